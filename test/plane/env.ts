// Names, addresses and the state file shared by global setup, the node agent, the tests and
// teardown. The fixed names and addresses come from the team contract's example cluster "dev".
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const plane = {
  // The apiserver listens on every address, as KubePrism's port on a Talos node does; clients
  // use localhost:7445 (the dist/dev endpoint) or the advertise address from inside the node.
  securePort: 7445,
  advertiseAddress: '10.213.0.1',
  serviceClusterIpRange: '10.96.0.0/16',
  kubernetesServiceIp: '10.96.0.1',
} as const;

export const node = {
  // One simulated node: a network namespace whose veth address is the node (and hostNetwork pod) IP.
  name: 'fab-node',
  netns: 'fab-node',
  hostVeth: 'fab-veth-h',
  nodeVeth: 'fab-veth-n',
  hostAddress: '10.213.0.1',
  address: '10.213.0.2',
  prefix: 24,
} as const;

export const assets = {
  namespace: 'cozy-system',
  statefulSet: 'cozystack-assets',
  pod: 'cozystack-assets-0',
  port: 8123,
  repos: ['system', 'apps', 'extra'],
} as const;

/** Everything a test or teardown needs to find the running plane. */
export interface PlaneState {
  stateDir: string;
  binDir: string;
  /** kubectl wrapper around `kubeplane kubectl`, so scripts can call plain `kubectl`. */
  kubectl: string;
  helm: string;
  kubeconfigs: { admin: string; scheduler: string; node: string };
  caCert: string;
  caKey: string;
  apiServer: string;
  etcd?: string;
  auditLog: string;
  containerLogDir: string;
  sourceControllerStorage: string;
  /** The Git server's bare repositories and the URL it serves them at (set once it listens). */
  git: { root: string; url?: string };
  /** PIDs in start order, with the process start time, so that a later cleanup never signals a
   *  reused PID; teardown stops them in reverse. Command, args and env let a test restart one. */
  pids: { name: string; pid: number; startTime: string; command: string; args: string[]; env?: NodeJS.ProcessEnv }[];
  startedAt: string;
  bringUpMs?: Record<string, number>;
}

export const stateEnvVar = 'FAB_E2E_STATE';
/**
 * The machine has room for one plane (fixed port 7445, one network namespace), so a run claims it
 * in this file, with its own PID: a later run refuses to start while the owner lives, and stops
 * what a dead owner left behind before it takes over.
 */
export const planeOwnerFile = join(tmpdir(), 'flux-assets-bootstrap-e2e.owner.json');

export function readState(path = process.env[stateEnvVar]): PlaneState {
  if (!path) throw new Error(`${stateEnvVar} is not set: run the e2e suite through jest.e2e.config.js`);
  return JSON.parse(readFileSync(path, 'utf8')) as PlaneState;
}

/** Atomic (write, then rename), so a reader in another process or a crash never sees half a file. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(value, null, 2));
  renameSync(temporary, path);
}

export function writeState(path: string, state: PlaneState): void {
  writeJsonAtomic(path, state);
}
