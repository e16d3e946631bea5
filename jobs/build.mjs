// Bundles the cert-issuer into one self-contained ESM file that needs no node_modules at run time.
// Options: --outfile <path> (default jobs/build/cert-issuer.mjs); --keep-names leaves identifiers
// unminified, for readable CPU profiles.
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { outfile: { type: 'string' }, 'keep-names': { type: 'boolean', default: false } } });
const outfile = values.outfile ?? new URL('./build/cert-issuer.mjs', import.meta.url).pathname;

/**
 * Node's own modules are taken with process.getBuiltinModule() instead of ESM imports. An ESM
 * import of a built-in builds a namespace object of all its exports, which runs their lazy
 * getters too (fs.promises, util's and readline's extras): 1.7 MiB of the Job's peak RSS, and
 * start-up time, for modules it never uses. The bundle keeps reading them as named imports.
 */
const builtinsByGetBuiltinModule = {
  name: 'builtins-by-getBuiltinModule',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, ({ path, kind }) => (kind === 'import-statement' ? { path, namespace: 'builtin' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, ({ path }) => ({ contents: `module.exports = process.getBuiltinModule(${JSON.stringify(path)});`, loader: 'js' }));
  },
};
await build({
  entryPoints: [new URL('./src/main.ts', import.meta.url).pathname],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: !values['keep-names'],
  legalComments: 'none',
  // yaml's CommonJS code calls require() ('buffer', 'process'); ESM has none unless we make one,
  // from node:module taken the way the plugin below takes every built-in.
  banner: { js: "const require=process.getBuiltinModule('node:module').createRequire(import.meta.url);" },
  plugins: [builtinsByGetBuiltinModule],
  logLevel: 'warning',
});
console.log(`${outfile} ${(statSync(outfile).size / 1024 / 1024).toFixed(2)} MiB`);
