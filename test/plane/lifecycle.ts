// A plane's whole life, shared by the e2e suite's global setup and teardown, the benchmark and the
// bring-up soak: the binaries, the claim on the machine's one plane slot, bring-up, and a teardown
// that stops everything the run started, by PID.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planeOwnerFile, type PlaneState, readState } from './env.ts';
import { deleteNodeNetwork } from './netns.ts';
import { startPlane } from './plane.ts';
import { startTime, stopPids } from './proc.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** The cached bin folder of the plane's binaries; builds them first when the cache is cold. */
export function planeBinaries(): string {
  return execFileSync(join(repoRoot, 'test/controlplane/build.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

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
      scheduler: join(stateDir, 'pki/kube-scheduler.kubeconfig'),
      node: join(stateDir, 'pki/node.kubeconfig'),
    },
    caCert: join(stateDir, 'pki/ca.crt'),
    caKey: join(stateDir, 'pki/ca.key'),
    apiServer: 'https://127.0.0.1:7445',
    auditLog: join(stateDir, 'logs/audit.log'),
    containerLogDir: join(stateDir, 'logs/containers'),
    sourceControllerStorage: join(stateDir, 'source-controller-storage'),
    git: { root: join(stateDir, 'git') },
    pids: [],
    startedAt: new Date().toISOString(),
  };
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

interface PlaneOwner {
  readonly pid: number;
  readonly startTime: string;
  readonly statePath: string;
}

function readOwner(): PlaneOwner | 'none' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(planeOwnerFile, 'utf8');
  } catch {
    return 'none';
  }
  try {
    return JSON.parse(text) as PlaneOwner;
  } catch {
    return 'unreadable'; // a claimer that died between creating the file and writing it
  }
}

/**
 * Takes the machine's one plane slot for this process. A live owner keeps it (the run fails at
 * once and says who holds it); a dead owner's processes and network are stopped first. The file
 * is created with O_EXCL, so of two runs that start together only one gets the slot.
 */
async function claimPlane(statePath: string): Promise<void> {
  const me: PlaneOwner = { pid: process.pid, startTime: startTime(process.pid), statePath };
  for (let attempt = 1; attempt <= 3; attempt++) {
    const owner = readOwner();
    if (owner === 'none') {
      try {
        writeFileSync(planeOwnerFile, JSON.stringify(me), { flag: 'wx' });
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue; // another run was faster
        throw err;
      }
    }
    if (owner !== 'unreadable') {
      if (startTime(owner.pid) === owner.startTime) {
        throw new Error(
          `another e2e plane is running (pid ${owner.pid}, state ${owner.statePath}); ` +
            `wait for it to finish, or stop it with 'kill ${owner.pid}' and start again`,
        );
      }
      if (existsSync(owner.statePath)) {
        const left = await stopAll(readState(owner.statePath));
        if (left.length) throw new Error(`could not stop the previous run's ${left.join(', ')}`);
      }
    }
    await deleteNodeNetwork();
    rmSync(planeOwnerFile, { force: true });
  }
  throw new Error(`could not claim the e2e plane: other runs keep claiming ${planeOwnerFile}`);
}

function releasePlane(): void {
  const owner = readOwner();
  if (typeof owner === 'object' && owner.pid === process.pid) rmSync(planeOwnerFile, { force: true });
}

/** Claims the slot and brings the plane up; a failed bring-up is stopped and released again,
 *  keeping its folder for the logs. */
export async function bringUpPlane(binDir: string): Promise<{ state: PlaneState; statePath: string }> {
  const { state, statePath } = newState(binDir);
  try {
    await claimPlane(statePath);
  } catch (err) {
    rmSync(state.stateDir, { recursive: true, force: true });
    throw err;
  }
  try {
    await startPlane(state, statePath);
  } catch (err) {
    const notStopped = await tearDownPlane(state, { keepState: true }).then(
      () => '',
      (stopErr: Error) => `; and then ${stopErr.message}`,
    );
    throw new Error(`the e2e plane did not start (logs in ${state.stateDir}/logs): ${(err as Error).message}${notStopped}`);
  }
  return { state, statePath };
}

/**
 * Stops everything the run started and gives the slot back. Throws when a process survives: the
 * slot then stays claimed, so the next run stops the survivors before it starts.
 */
export async function tearDownPlane(state: PlaneState, { keepState = false } = {}): Promise<void> {
  const survivors = await stopAll(state);
  if (survivors.length) throw new Error(`could not stop ${survivors.join(', ')}`);
  releasePlane();
  if (!keepState) rmSync(state.stateDir, { recursive: true, force: true });
}

/** Runs `body` on a plane of its own (the benchmark, the soak), torn down whatever happens. */
export async function withPlane<T>(body: (state: PlaneState) => Promise<T>): Promise<T> {
  const { state } = await bringUpPlane(planeBinaries());
  try {
    return await body(state);
  } finally {
    await tearDownPlane(state);
  }
}
