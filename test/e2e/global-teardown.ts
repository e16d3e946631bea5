// Jest global teardown: stops every process global setup started, by PID and within a bounded
// wait, deletes the node's network namespace, and removes the run's folder (kept when
// FAB_E2E_KEEP_STATE=1, for reading its logs).
import { rmSync } from 'node:fs';
import { readState, stateEnvVar } from './harness/env.ts';
import { stopAll } from './harness/lifecycle.ts';

export default async function globalTeardown(): Promise<void> {
  if (!process.env[stateEnvVar]) return; // setup failed and already cleaned up after itself
  const state = readState();
  const survivors = await stopAll(state);
  if (survivors.length) throw new Error(`e2e teardown could not stop: ${survivors.join(', ')}`);
  if (process.env.FAB_E2E_KEEP_STATE === '1') console.log(`e2e state kept in ${state.stateDir}`);
  else rmSync(state.stateDir, { recursive: true, force: true });
}
