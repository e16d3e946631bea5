// Bundles the cert-issuer into one self-contained ESM file that needs no node_modules at run time.
// Options: --outfile <path> (default jobs/build/cert-issuer.mjs); --keep-names leaves identifiers
// unminified, for readable CPU profiles.
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { outfile: { type: 'string' }, 'keep-names': { type: 'boolean', default: false } } });
const outfile = values.outfile ?? new URL('./build/cert-issuer.mjs', import.meta.url).pathname;
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
  // client-node's CommonJS dependencies call require(); ESM has none unless we make one.
  banner: { js: "import{createRequire}from'module';const require=createRequire(import.meta.url);" },
  logLevel: 'warning',
});
console.log(`${outfile} ${(statSync(outfile).size / 1024 / 1024).toFixed(2)} MiB`);
