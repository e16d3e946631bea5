// Creating the run's state and stopping everything a run started, used by global setup (also
// to clean up after a failed setup or a crashed earlier run) and by global teardown.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastStatePointer, type PlaneState, readState } from './env.ts';
import { deleteNodeNetwork } from './netns.ts';
import { startTime, stopPids } from './proc.ts';

export function newState(binDir: string): { state: PlaneState; statePath: string } {
  const stateDir = mkdtempSync(join(tmpdir(), 'fab-e2e-'));
  const statePath = join(stateDir, 'state.json');
  const state: PlaneState = {
    stateDir,
    binDir,
    kubectl: join(stateDir, 'bin/kubectl'),
    helm: join(binDir, 'helm'),
    kubeconfigs: {
      admin: join(stateDir, 'pki/admin.kubeconfig'),
      sourceController: join(stateDir, 'pki/source-controller.kubeconfig'),
      scheduler: join(stateDir, 'pki/kube-scheduler.kubeconfig'),
      node: join(stateDir, 'pki/node.kubeconfig'),
    },
    caCert: join(stateDir, 'pki/ca.crt'),
    caKey: join(stateDir, 'pki/ca.key'),
    apiServer: 'https://127.0.0.1:7445',
    auditLog: join(stateDir, 'logs/audit.log'),
    containerLogDir: join(stateDir, 'logs/containers'),
    sourceControllerStorage: join(stateDir, 'source-controller-storage'),
    pids: [],
    startedAt: new Date().toISOString(),
  };
  writeFileSync(lastStatePointer, statePath);
  return { state, statePath };
}

/** Stops the run's processes newest first (the node agent before the apiserver it talks to),
 *  each by PID with a bounded wait, then removes the node's network. Returns the survivors. */
export async function stopAll(state: PlaneState): Promise<string[]> {
  const survivors: string[] = [];
  for (const p of [...state.pids].reverse()) {
    // Only signal a PID that is still the process this run started.
    if (startTime(p.pid) !== p.startTime) continue;
    if ((await stopPids([p.pid])).length) survivors.push(`${p.name} (pid ${p.pid})`);
  }
  await deleteNodeNetwork();
  return survivors;
}

/** A run that crashed before its teardown left processes and a network namespace behind. */
export async function cleanUpLastRun(): Promise<void> {
  if (!existsSync(lastStatePointer)) return;
  const path = readFileSync(lastStatePointer, 'utf8').trim();
  if (existsSync(path)) {
    const left = await stopAll(readState(path));
    if (left.length) throw new Error(`could not stop the previous run's ${left.join(', ')}`);
  }
  await deleteNodeNetwork();
}
