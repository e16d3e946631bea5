#!/usr/bin/env node
// `npm run synth`: runs src/main.ts from an esbuild bundle cached under node_modules/.cache.
// Loading cdk8s-plus and compiling TypeScript on every run costs seconds; one bundled file loads
// in a fraction of that. The cache key covers everything the bundle is built from, so an edit to
// src/ or imports/ or a dependency change rebuilds it (once, about half a second).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function sourceFiles(folder) {
  return readdirSync(join(root, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|mjs)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

const hash = createHash('sha256');
for (const file of [...sourceFiles('src'), ...sourceFiles('imports'), join(root, 'package-lock.json')]) {
  hash.update(file).update(readFileSync(file));
}
const bundle = join(root, 'node_modules', '.cache', 'flux-assets-bootstrap', `synth-${hash.digest('hex').slice(0, 16)}.mjs`);

if (!existsSync(bundle)) {
  const { build } = await import('esbuild');
  const partial = `${bundle}.${process.pid}.partial`;
  mkdirSync(dirname(bundle), { recursive: true });
  await build({
    entryPoints: [join(root, 'src', 'main.ts')],
    outfile: partial,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    // cdk8s and cdk8s-plus are CommonJS and call require() for Node's own modules.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  renameSync(partial, bundle);
}
await import(pathToFileURL(bundle).href);
