// Stopping and restarting the plane's kube-apiserver, kube-controller-manager and flux-aio's
// controllers from a test, for the fault, renewal and user-path tests. The new process replaces the
// old one in the state file, so that teardown still stops exactly what is running, by PID.
import { join } from 'node:path';
import { node, type PlaneState, readState, stateEnvVar, writeState } from './env.ts';
import { type FluxController, fluxHealthPorts } from './flux-aio.ts';
import { Kube } from './kube.ts';
import { probe } from './plane.ts';
import { isAlive, startProcess, startTime, stopPids, waitFor } from './proc.ts';

export type Component = 'kube-apiserver' | 'kube-controller-manager' | FluxController;

const fluxReady = (name: FluxController) => async () => (await probe(`http://${node.address}:${fluxHealthPorts[name]}/readyz`)) === 200;

/** When a restarted component is back: the same checks global setup waits for. */
const readiness: Record<Component, (state: PlaneState, args: string[]) => Promise<boolean>> = {
  'kube-apiserver': async (state) => {
    const admin = Kube.fromKubeconfig(state.kubeconfigs.admin);
    try {
      return (await admin.raw('GET', '/readyz', undefined, 'application/json', 2_000)).status === 200;
    } catch {
      return false;
    } finally {
      admin.close();
    }
  },
  'kube-controller-manager': async (_state, args) => {
    const port = args.find((a) => a.startsWith('--secure-port='))!.split('=')[1];
    return (await probe(`https://127.0.0.1:${port}/healthz`)) === 200;
  },
  'source-controller': fluxReady('source-controller'),
  'kustomize-controller': fluxReady('kustomize-controller'),
  'helm-controller': fluxReady('helm-controller'),
};

function entryOf(state: PlaneState, name: Component) {
  const entry = state.pids.find((p) => p.name === name);
  if (!entry) throw new Error(`${name} is not part of this plane`);
  return entry;
}

/** Whether the process global setup (or the last restart) started for the component still runs. */
export function isRunning(name: Component): boolean {
  const entry = entryOf(readState(), name);
  return startTime(entry.pid) === entry.startTime;
}

/** Stops the component: SIGKILL models a crash, SIGTERM (then SIGKILL after 10 s) a shutdown. */
export async function stopComponent(name: Component, how: 'crash' | 'shutdown' = 'shutdown'): Promise<void> {
  if (!isRunning(name)) return;
  const entry = entryOf(readState(), name);
  if (how === 'crash') process.kill(entry.pid, 'SIGKILL');
  const left = await stopPids([entry.pid], how === 'crash' ? 0 : 10_000);
  if (left.length) throw new Error(`${name} (pid ${entry.pid}) did not stop`);
}

/**
 * Starts the component again with the arguments global setup gave it, each flag in `override`
 * replacing its namesake (or added), and waits until it is ready.
 */
export async function startComponent(name: Component, override: string[] = []): Promise<void> {
  const statePath = process.env[stateEnvVar]!;
  const state = readState(statePath);
  const entry = entryOf(state, name);
  if (isRunning(name)) throw new Error(`${name} is still running`);
  const flag = (arg: string) => arg.split('=')[0];
  // entry.args stay global setup's, so that a later start without override restores them.
  const args = [...entry.args.filter((a) => !override.some((o) => flag(o) === flag(a))), ...override];
  const started = startProcess(name, entry.command, args, { log: join(state.stateDir, 'logs', `${name}.log`), ...(entry.env && { env: entry.env }) });
  Object.assign(entry, { pid: started.pid, startTime: startTime(started.pid) });
  writeState(statePath, state);
  await waitFor(`${name} ready after a restart`, async () => {
    if (!isAlive(started.pid)) throw new Error(`${name} exited at once; see ${started.log}`);
    return (await readiness[name](state, args)) ? true : undefined;
  }, { timeoutMs: 90_000, intervalMs: 500, stopOn: () => !isAlive(started.pid) });
}

/** Restarts the component; with `override`, under changed flags (`[]` restores the originals). */
export async function restartComponent(name: Component, override: string[] = []): Promise<void> {
  await stopComponent(name);
  await startComponent(name, override);
}
