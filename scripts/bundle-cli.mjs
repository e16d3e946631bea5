// The command line's bundles for the package (npm pack runs this in prepack): lib/cli/main.cjs and
// lib/cli/doctor.cjs, built the way src/cli/cli.mjs builds them in a checkout, so that an installed
// package runs without esbuild and without its TypeScript sources.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleOptions, CLI_BUNDLES } from '../src/cli/bundle.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
for (const [entry, source] of Object.entries(CLI_BUNDLES)) {
  await build({ ...bundleOptions, entryPoints: [join(root, 'src', source)], outfile: join(root, 'lib', 'cli', `${entry}.cjs`) });
}
