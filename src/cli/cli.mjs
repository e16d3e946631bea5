#!/usr/bin/env node
// The command line: `flux-assets-bootstrap [synth] [options]` (what `npm run synth` runs),
// `doctor --cluster <name>`, `status`, `init`, `version` and `help`. Each runs from an esbuild
// bundle, with V8's compiled code of an earlier run beside it (src/cli/bundle.mjs): one bundled
// file loads far faster than cdk8s-plus with TypeScript compiled on every run (BENCHMARKS.md, Why
// the code is shaped this way). An installed package runs the bundles it ships (lib/cli/, built by
// scripts/bundle-cli.mjs when it is packed); a checkout builds them from its sources into
// node_modules/.cache, under a key that covers everything they are built from, so an edit to src/,
// imports/ or cert-issuer/src/ or a dependency change rebuilds them once. A checkout's synth also
// rebuilds the issuer program it ships for a config without `issuer.image` when its sources change
// (cert-issuer/build.mjs); the package ships that program built.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleOptions, CLI_BUNDLES, runBundle } from './bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const checkout = existsSync(join(root, 'src', CLI_BUNDLES.main));
const onlyPrints = process.argv.some((arg) => arg === '-h' || arg === '--help' || arg === '--version') || ['help', 'version'].includes(process.argv[2]);

function sourceFiles(folder) {
  return readdirSync(join(root, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|mjs)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** The bundle `entry` built from this checkout's sources, once for each state of them. */
async function sourceBundle(entry) {
  const hash = createHash('sha256');
  for (const file of [...sourceFiles('src'), ...sourceFiles('imports'), ...sourceFiles('cert-issuer/src'), join(root, 'package-lock.json')]) {
    hash.update(file).update(readFileSync(file));
  }
  const bundle = join(root, 'node_modules', '.cache', 'flux-assets-bootstrap', `${entry}-${hash.digest('hex').slice(0, 16)}.cjs`);
  if (!existsSync(bundle)) {
    const { build } = await import('esbuild');
    const partial = `${bundle}.${process.pid}.partial`;
    mkdirSync(dirname(bundle), { recursive: true });
    await build({ ...bundleOptions, entryPoints: [join(root, 'src', CLI_BUNDLES[entry])], outfile: partial });
    renameSync(partial, bundle);
  }
  return bundle;
}

async function bundled(entry) {
  const bundle = checkout ? await sourceBundle(entry) : join(root, 'lib', 'cli', `${entry}.cjs`);
  return runBundle(bundle, { saveCodeCache: !onlyPrints });
}

const [command, ...rest] = process.argv.slice(2);
// doctor and status read a live cluster, with client-node: a bundle of their own.
const live = ['doctor', 'status'];
if (live.includes(command) || (command === 'help' && rest.length === 1 && live.includes(rest[0]))) {
  const commands = await bundled('doctor');
  process.exitCode = await (command === 'help' ? commands[rest[0]](['--help']) : commands[command](rest));
} else {
  if (checkout && !onlyPrints) await (await import('../../cert-issuer/build.mjs')).currentIssuerProgram();
  await bundled('main'); // it reads its command from process.argv, and sets the exit code
}
