// How src/cli/cli.mjs bundles its commands with esbuild and runs the bundles. scripts/bundle-cli.mjs
// builds the package's bundles the same way; bench/synth.ts bundles and runs the libraries alone
// the same way, to measure the floor under a synth.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import vm from 'node:vm';

/** The command line's bundles, by name, with the source each is built from (under src/). */
export const CLI_BUNDLES = { main: 'cli/main.ts', doctor: 'doctor/doctor.ts' };

// CommonJS, because V8's code cache of a script can be made after it ran (below); cdk8s and
// cdk8s-plus are CommonJS themselves.
export const bundleOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  logLevel: 'warning',
  // CommonJS has no import.meta; the issuer program is found from the module's own file.
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
};

/**
 * Runs a CommonJS bundle as Node runs a module, from V8's compiled code of an earlier run, and
 * returns its exports. Node's own compile cache (`NODE_COMPILE_CACHE`) is made right after
 * compiling, so it holds only the top level: every function a run calls is compiled again on every
 * run (BENCHMARKS.md, Why the code is shaped this way). The cache here is made at the end of a run
 * that succeeded, with every function that run compiled, and kept beside the bundle. A cache that V8
 * rejects (another Node, a bundle of another length) is replaced after the next such run. V8
 * checks no more of the source than its length, so a bundle must never change in place: the bin's
 * are named by a hash of everything they are built from.
 *
 * @param {string} bundle path of the bundle
 * @param {{ saveCodeCache: boolean }} options whether this run's compiled code should be kept:
 *   a run that only prints its usage compiles too little to be worth keeping
 */
export function runBundle(bundle, { saveCodeCache }) {
  const codeCacheFile = `${bundle}.v8cache`;
  let cachedData;
  try {
    cachedData = readFileSync(codeCacheFile);
  } catch {
    // not made yet: this run compiles everything, and may make it
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, 'utf8')}\n})`, {
    filename: bundle,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (saveCodeCache && (cachedData === undefined || script.cachedDataRejected)) {
    process.once('exit', (code) => {
      if (code !== 0) return;
      const partial = `${codeCacheFile}.${process.pid}.partial`;
      try {
        writeFileSync(partial, script.createCachedData());
        renameSync(partial, codeCacheFile);
      } catch {
        // a read-only cache folder: every run compiles, as it would without the cache
        rmSync(partial, { force: true });
      }
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return module.exports;
}
