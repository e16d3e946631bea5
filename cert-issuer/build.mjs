// Bundles the cert-issuer into self-contained ESM files that need no node_modules at run time: the
// issuer, and beside it `<name>-yaml.mjs`, the yaml package, which only a kubeconfig run imports.
// As a command: --outfile <path> (default cert-issuer/build/cert-issuer.mjs), the issuer's file;
// --keep-names leaves identifiers unminified, for readable CPU profiles. The default build is also
// the program that synth ships for a config without `issuer.image`: `currentIssuerProgram()`
// rebuilds it when its sources changed since it was made.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const defaultOutfile = join(root, 'cert-issuer/build/cert-issuer.mjs');
/** Beside the default build: the digest of the sources it was made from. */
const stampFile = `${defaultOutfile}.sources`;

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
const yamlAsItsOwnFile = (yamlFile) => ({
  name: 'yaml-as-its-own-file',
  setup(build) {
    build.onResolve({ filter: /^\.\/yaml\.ts$/ }, ({ kind }) => (kind === 'dynamic-import' ? { path: `./${yamlFile}`, external: true } : undefined));
  },
});

/** Builds the issuer into `outfile` and its yaml file beside it; the files written. */
export async function buildIssuer({ outfile = defaultOutfile, keepNames = false } = {}) {
  const issuer = basename(outfile, '.mjs');
  const yamlFile = `${issuer}-yaml.mjs`;
  // A build that is not the default one is no longer what its stamp says.
  if (outfile === defaultOutfile) rmSync(stampFile, { force: true });
  const { build } = await import('esbuild');
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
    minifyIdentifiers: !keepNames,
    legalComments: 'none',
    // yaml's CommonJS code (in the yaml file) calls require() ('buffer', 'process'), and only when a
    // kubeconfig is read; ESM has no require unless we make one. Built-ins are all it can ask for, so
    // it gets them as builtinsByGetBuiltinModule does, without loading node:module.
    banner: {
      js: "const require=(id)=>process.getBuiltinModule(id)??(()=>{throw new Error(`the bundle requires ${id}, which is not a built-in module`)})();",
    },
    plugins: [builtinsByGetBuiltinModule, yamlAsItsOwnFile(yamlFile)],
    logLevel: 'warning',
  });
  if (outfile === defaultOutfile && !keepNames) writeFileSync(stampFile, sourcesDigest());
  return [outfile, join(dirname(outfile), yamlFile)];
}

/** The digest of everything the bundle is built from. */
function sourcesDigest() {
  const hash = createHash('sha256');
  const files = ['cert-issuer/src', 'src/contract']
    .flatMap((folder) => readdirSync(join(root, folder), { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name)))
    .sort();
  for (const file of [...files, join(root, 'package-lock.json'), fileURLToPath(import.meta.url)]) hash.update(file.slice(root.length)).update(readFileSync(file));
  return hash.digest('hex');
}

/** The default build's path, rebuilt first when it is missing or older than its sources. */
export async function currentIssuerProgram() {
  const current = existsSync(defaultOutfile) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === sourcesDigest();
  if (!current) await buildIssuer();
  return defaultOutfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { outfile: { type: 'string' }, 'keep-names': { type: 'boolean', default: false } } });
  // No top-level await: the tests' global setup requires this module.
  buildIssuer({ outfile: values.outfile, keepNames: values['keep-names'] }).then((files) => {
    for (const file of files) console.error(`${file} ${(statSync(file).size / 1024).toFixed(1)} KiB`);
  });
}
