// Jest global setup for the e2e suite: builds (or reuses from the cache) the real binaries,
// starts the control plane and the simulated node, and publishes the state file's path in
// FAB_E2E_STATE for the tests and global teardown.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stateEnvVar } from '../plane/env.ts';
import { bringUpPlane, planeBinaries } from '../plane/lifecycle.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');

export default async function globalSetup(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the e2e plane needs root: it creates a network namespace and mount namespaces');
  // build.sh prints the cached bin folder at once when the binaries exist (CI builds them first).
  const binDir = planeBinaries();
  // The Job's pod runs cert-issuer/build/cert-issuer.mjs; bundle it from the current sources (0.3 s), so
  // a fresh clone works and a stale bundle is never what gets tested.
  execFileSync(process.execPath, [join(repoRoot, 'cert-issuer/build.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const t0 = Date.now();
  const { state, statePath } = await bringUpPlane(binDir);
  process.env[stateEnvVar] = statePath;
  const steps = Object.entries(state.bringUpMs ?? {}).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}s`);
  console.log(`\ne2e plane up in ${((Date.now() - t0) / 1000).toFixed(1)} s (${steps.join(', ')}); state ${statePath}`);
}
