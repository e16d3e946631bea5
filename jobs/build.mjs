// Bundles the cert-issuer into one self-contained ESM file that needs no node_modules at run time.
import { build } from 'esbuild';
import { statSync } from 'node:fs';

const outfile = new URL('./build/cert-issuer.mjs', import.meta.url).pathname;
await build({
  entryPoints: [new URL('./src/main.ts', import.meta.url).pathname],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minify: true,
  legalComments: 'none',
  // client-node's CommonJS dependencies call require(); ESM has none unless we make one.
  banner: { js: "import{createRequire}from'module';const require=createRequire(import.meta.url);" },
  logLevel: 'warning',
});
console.log(`jobs/build/cert-issuer.mjs ${(statSync(outfile).size / 1024 / 1024).toFixed(2)} MiB`);
