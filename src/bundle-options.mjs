// How src/cli.mjs bundles its commands with esbuild; bench/synth.ts bundles the libraries alone
// the same way, to measure the floor under a synth.
export const bundleOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // cdk8s and cdk8s-plus are CommonJS and call require() for Node's own modules.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
};
