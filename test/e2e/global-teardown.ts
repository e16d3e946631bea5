// Jest global teardown: stops every process global setup started, by PID and within a bounded
// wait, deletes the node's network namespace, gives the plane slot back, and removes the run's
// folder (kept when FAB_E2E_KEEP_STATE=1, for reading its logs).
import { readState, stateEnvVar } from '../plane/env.ts';
import { tearDownPlane } from '../plane/lifecycle.ts';

export default async function globalTeardown(): Promise<void> {
  if (!process.env[stateEnvVar]) return; // setup failed and already cleaned up after itself
  const state = readState();
  const keepState = process.env.FAB_E2E_KEEP_STATE === '1';
  await tearDownPlane(state, { keepState });
  if (keepState) console.log(`e2e state kept in ${state.stateDir}`);
}
