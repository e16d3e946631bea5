// Bundles the cert-issuer into self-contained ESM files that need no node_modules at run time: the
// issuer, and beside it `<name>-yaml.mjs`, the yaml package, which only a kubeconfig run imports.
// Options: --outfile <path> (default cert-issuer/build/cert-issuer.mjs), the issuer's file; --keep-names
// leaves identifiers unminified, for readable CPU profiles.
import { build } from 'esbuild';
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { outfile: { type: 'string' }, 'keep-names': { type: 'boolean', default: false } } });
const outfile = values.outfile ?? new URL('./build/cert-issuer.mjs', import.meta.url).pathname;
const issuer = basename(outfile, '.mjs');
const yamlFile = `${issuer}-yaml.mjs`;

/**
 * Node's own modules are taken with process.getBuiltinModule() instead of ESM imports, and only the
 * names the importing file asks for are read from them. An ESM import of a built-in builds a
 * namespace object of all its exports, and esbuild's CommonJS interop reads every property's
 * descriptor; either materializes Node's lazy properties (fs.promises, fs.Dir, util's and
 * readline's extras), loading modules the issuer never uses, at a cost in start-up time and memory
 * (BENCHMARKS.md, Why the code is shaped this way).
 */
const builtinsByGetBuiltinModule = {
  name: 'builtins-by-getBuiltinModule',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, ({ path, kind, importer }) => {
      if (kind !== 'import-statement') return undefined;
      return { path: `${path}?${importer}`, namespace: 'builtin', pluginData: { builtin: path, names: importedNames(importer, path) } };
    });
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, ({ pluginData: { builtin, names } }) => ({
      contents: `const m = process.getBuiltinModule(${JSON.stringify(builtin)});\n${names.map((name) => `export const ${name} = m.${name};`).join('\n')}\n`,
      loader: 'js',
    }));
  },
};

/** The values `file` imports from `builtin`, from its `import { a, b as c, type T } from 'builtin'` lines. */
function importedNames(file, builtin) {
  const source = readFileSync(file, 'utf8');
  const imports = [...source.matchAll(/^import\s+(.*?)\s+from\s+'([^']+)';$/gms)].filter(([, , from]) => from === builtin);
  const names = imports.flatMap(([statement, clause]) => {
    const named = /^\{([^}]*)\}$/.exec(clause.trim());
    if (!named) throw new Error(`${file}: ${statement}: import Node's modules by name, as in import { readFileSync } from 'node:fs'`);
    return named[1].split(',').map((specifier) => specifier.trim()).filter((specifier) => specifier !== '' && !specifier.startsWith('type '))
      .map((specifier) => specifier.split(/\s+as\s+/)[0]);
  });
  return [...new Set(names)];
}

/**
 * The issuer's `import('./yaml.ts')` becomes an import of the yaml file at run time: in the Job's
 * pod, which never reads a kubeconfig, yaml is neither read nor held. Two separate entries rather
 * than esbuild's code splitting, whose chunk of shared helpers the issuer would import at start-up,
 * costing what yaml saves (BENCHMARKS.md, Why the code is shaped this way).
 */
const yamlAsItsOwnFile = {
  name: 'yaml-as-its-own-file',
  setup(build) {
    build.onResolve({ filter: /^\.\/yaml\.ts$/ }, ({ kind }) => (kind === 'dynamic-import' ? { path: `./${yamlFile}`, external: true } : undefined));
  },
};

await build({
  entryPoints: {
    [issuer]: new URL('./src/main.ts', import.meta.url).pathname,
    [basename(yamlFile, '.mjs')]: new URL('./src/yaml.ts', import.meta.url).pathname,
  },
  outdir: dirname(outfile),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: !values['keep-names'],
  legalComments: 'none',
  // yaml's CommonJS code (in the yaml file) calls require() ('buffer', 'process'), and only when a
  // kubeconfig is read; ESM has no require unless we make one. Built-ins are all it can ask for, so
  // it gets them as builtinsByGetBuiltinModule does, without loading node:module.
  banner: {
    js: "const require=(id)=>process.getBuiltinModule(id)??(()=>{throw new Error(`the bundle requires ${id}, which is not a built-in module`)})();",
  },
  plugins: [builtinsByGetBuiltinModule, yamlAsItsOwnFile],
  logLevel: 'warning',
});
for (const file of [outfile, join(dirname(outfile), yamlFile)]) console.log(`${file} ${(statSync(file).size / 1024).toFixed(1)} KiB`);
