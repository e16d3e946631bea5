// Brings up the real control plane for the e2e suite, in order, waiting for each component's
// readiness: PKI, etcd, kube-apiserver, kube-controller-manager and the Flux CRDs; then the
// simulated node: its network namespace, the assets server, the KubePrism stand-in and the node
// agent; then the Git server and the flux-aio pod on the node. Every started process is recorded in the state file
// before the next step, so teardown (or the cleanup of a failed setup) can stop it by PID.
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assets, node, plane, type PlaneState, writeState } from './env.ts';
import { Kube } from './kube.ts';
import { issue, makeCa, serviceAccountKeys, writeKubeconfig } from './pki.ts';
import { createNodeNetwork } from './netns.ts';
import { buildHelmRepos } from './helm-repos.ts';
import { execFileP, isAlive, startProcess, startTime, type Started, waitFor } from './proc.ts';
import { fluxAioPod, fluxHealthPorts } from './flux-aio.ts';

const here = dirname(fileURLToPath(import.meta.url));
/** The line kubeprism.mjs logs once it listens. */
const kubeprismListening = 'kubeprism: listening';
/** What git-server.mjs logs once it listens: the URL it serves. */
const gitServerListening = /git-server: listening on (http:\/\/\S+),/;

class ExitedError extends Error {}

function tailOf(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function tryListen(port: number, host: string): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(undefined) : reject(err)));
    server.listen(port, host, () => resolve(server));
  });
}

const closeServer = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/**
 * `count` distinct free loopback ports for the components' own listeners. They come from below
 * the kernel's ephemeral range, from which outgoing connections take their local ports, so no
 * connection takes one between this check and the component's bind; and all are held until all
 * are found, so two never coincide.
 */
async function freePorts(count: number): Promise<number[]> {
  const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  const [low, high] = [10_000, Math.min(ephemeralLow, 32_000)];
  if (!(high - low >= 1_000)) throw new Error(`the ephemeral port range starts at ${ephemeralLow}: no room below it for the plane's ports`);
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    for (let attempt = 0; ports.length < count; attempt++) {
      if (attempt === 500) throw new Error(`no ${count} free ports between ${low} and ${high} on 127.0.0.1`);
      const port = low + Math.floor(Math.random() * (high - low));
      if (ports.includes(port)) continue;
      const server = await tryListen(port, '127.0.0.1');
      if (server) {
        held.push(server);
        ports.push(port);
      }
    }
    return ports;
  } finally {
    await Promise.all(held.map(closeServer));
  }
}

/** The apiserver's port is fixed (dist/dev's endpoint is localhost:7445): say who to blame when
 *  something still holds it, instead of an apiserver that exits with a bind error. */
export async function assertPortFree(port: number): Promise<void> {
  const server = await tryListen(port, '0.0.0.0');
  if (!server) {
    throw new Error(
      `port ${port} is in use, most likely by a kube-apiserver an earlier run left behind; ` +
        `find it with 'ss -ltnp sport = :${port}' and stop it`,
    );
  }
  await closeServer(server);
}

/** Status code of a GET, or undefined while nothing answers. TLS is not verified: loopback
 *  health endpoints of components that serve self-signed certificates. */
export function probe(url: string): Promise<number | undefined> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = request(url, { rejectUnauthorized: false, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  # Everything the issuer's ServiceAccount does, and every write to Secrets and CSRs by anyone:
  # the "second run writes nothing" test reads this log.
  - level: Metadata
    users: ["system:serviceaccount:cozy-system:cert-issuer"]
  - level: Metadata
    verbs: [create, update, patch, delete, deletecollection]
    resources:
      - { group: "", resources: [secrets] }
      - { group: certificates.k8s.io, resources: [certificatesigningrequests, certificatesigningrequests/approval] }
  # Every request of the reader's certificate, with the certificate's fingerprint (the
  # credential-id in user.extra): which certificate each of Flux's fetches used.
  - level: Metadata
    users: ["cozystack-assets-reader"]
  - level: None
`;

/** What the bring-up's steps share: the state they record their processes into, and where they write. */
interface BringUp {
  readonly state: PlaneState;
  readonly statePath: string;
  /** The one binary of the plane's Kubernetes components, each a subcommand. */
  readonly kubeplane: string;
  readonly logs: string;
  readonly pki: string;
}

/** The files the components' TLS flags name: the cluster CA, the apiserver's serving pair, the ServiceAccount token keys. */
type PlaneCerts = Awaited<ReturnType<typeof makeCertificates>>;

/**
 * Starts a process with its log in the run's logs, and records it in the state file before
 * anything else happens, so that a failure from here on still stops it.
 */
function start(up: BringUp, name: string, command: string, args: string[], env?: NodeJS.ProcessEnv): Started {
  const p = startProcess(name, command, args, { log: join(up.logs, `${name}.log`), ...(env && { env }) });
  up.state.pids.push({ name, pid: p.pid, startTime: startTime(p.pid), command, args, ...(env && { env }) });
  writeState(up.statePath, up.state);
  return p;
}

/** Waits for a component's readiness, but fails at once, with its last log lines, if it exits. */
function ready(p: Started, what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<true> {
  return waitFor(
    what,
    async () => {
      if (!isAlive(p.pid)) throw new ExitedError(`${p.name} exited:\n${tailOf(p.log)}`);
      return (await check()) ? true : undefined;
    },
    { timeoutMs, stopOn: (err) => err instanceof ExitedError },
  );
}

/** The bring-up's step runner: each named step is timed into state.bringUpMs, and the state saved after it. */
function timedSteps(state: PlaneState, statePath: string) {
  const timings: Record<string, number> = (state.bringUpMs = {});
  return async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const value = await fn();
    timings[name] = Date.now() - t0;
    writeState(statePath, state);
    return value;
  };
}

/**
 * Brings the plane up in the order described at the top of this file. On a failure it throws
 * and leaves what it started recorded in the state file, for the caller to stop.
 */
export async function startPlane(state: PlaneState, statePath: string): Promise<void> {
  const up: BringUp = {
    state,
    statePath,
    kubeplane: join(state.binDir, 'kubeplane'),
    logs: join(state.stateDir, 'logs'),
    pki: join(state.stateDir, 'pki'),
  };
  const step = timedSteps(state, statePath);
  for (const d of [up.logs, up.pki, state.containerLogDir, state.sourceControllerStorage]) mkdirSync(d, { recursive: true });

  await step('network namespace', createNodeNetwork);
  const certs = await step('pki', () => makeCertificates(state, up.pki));
  installKubectl(state, up.kubeplane);

  // Built while etcd and the apiserver start; awaited before the assets server needs it.
  const helmRoot = step('helm repositories', () => buildHelmRepos(state.helm, state.stateDir, assets.repos));
  helmRoot.catch(() => undefined); // its failure surfaces where it is awaited

  await step('etcd', () => startEtcd(up));
  const admin = Kube.fromKubeconfig(state.kubeconfigs.admin);
  await step('kube-apiserver', () => startApiserver(up, certs, admin));
  await step('kube-controller-manager', () => startControllerManager(up, certs, admin));
  await step('flux CRDs', () => applyFluxCrds(state));
  await step('node', async () => startNode(up, await helmRoot, admin));
  await step('git server', () => startGitServer(up));
  await step('flux-aio', () => startFluxAio(up, admin));
  admin.close();
}

/** The cluster CA, the leaves it signs for the plane's own identities, and their kubeconfigs. */
async function makeCertificates(state: PlaneState, pki: string) {
  const ca = await makeCa(pki);
  const client = (name: string, subject: string) => issue(pki, ca, name, subject, 'clientAuth');
  const [serving, admin, kcm, scheduler, nodeCert, sa] = await Promise.all([
    issue(pki, ca, 'apiserver', '/CN=kube-apiserver', 'serverAuth', [
      'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc',
      'IP:127.0.0.1', `IP:${plane.advertiseAddress}`, `IP:${plane.kubernetesServiceIp}`,
    ]),
    client('admin', '/O=system:masters/CN=fab-e2e-admin'),
    client('kube-controller-manager', '/CN=system:kube-controller-manager'),
    client('kube-scheduler', '/CN=system:kube-scheduler'),
    client('node', `/O=system:nodes/CN=system:node:${node.name}`),
    serviceAccountKeys(pki),
  ]);
  const loopback = `https://127.0.0.1:${plane.securePort}`;
  const onNode = `https://${plane.advertiseAddress}:${plane.securePort}`; // how the node reaches the API
  writeKubeconfig(state.kubeconfigs.admin, loopback, ca.cert, admin, 'fab-e2e-admin');
  writeKubeconfig(join(pki, 'kube-controller-manager.kubeconfig'), loopback, ca.cert, kcm, 'kube-controller-manager');
  writeKubeconfig(state.kubeconfigs.scheduler, onNode, ca.cert, scheduler, 'kube-scheduler');
  writeKubeconfig(state.kubeconfigs.node, onNode, ca.cert, nodeCert, 'node');
  return { ca, serving, sa };
}

/** Scripts and tests call plain `kubectl` and `helm`. */
function installKubectl(state: PlaneState, kubeplane: string): void {
  mkdirSync(dirname(state.kubectl), { recursive: true });
  writeFileSync(state.kubectl, `#!/bin/sh\nexec '${kubeplane}' kubectl "$@"\n`);
  chmodSync(state.kubectl, 0o755);
}

async function startEtcd(up: BringUp): Promise<void> {
  const { state } = up;
  const [client, peer] = await freePorts(2);
  state.etcd = `http://127.0.0.1:${client}`;
  const etcd = start(up, 'etcd', up.kubeplane, [
    'etcd', '--name=fab-e2e', `--data-dir=${join(state.stateDir, 'etcd')}`,
    `--listen-client-urls=${state.etcd}`, `--advertise-client-urls=${state.etcd}`,
    `--listen-peer-urls=http://127.0.0.1:${peer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-cluster=fab-e2e=http://127.0.0.1:${peer}`,
    '--unsafe-no-fsync', // a throwaway test store: durability costs seconds and buys nothing
    '--log-level=warn',
  ]);
  await ready(etcd, 'etcd /health', async () => (await probe(`${state.etcd}/health`)) === 200, 30_000);
}

async function startApiserver(up: BringUp, certs: PlaneCerts, admin: Kube): Promise<void> {
  const { state, pki } = up;
  await assertPortFree(plane.securePort);
  writeFileSync(join(pki, 'audit-policy.yaml'), auditPolicy);
  const apiserver = start(up, 'kube-apiserver', up.kubeplane, [
    'kube-apiserver',
    `--etcd-servers=${state.etcd}`,
    `--secure-port=${plane.securePort}`, '--bind-address=0.0.0.0', `--advertise-address=${plane.advertiseAddress}`,
    `--tls-cert-file=${certs.serving.cert}`, `--tls-private-key-file=${certs.serving.key}`,
    `--client-ca-file=${certs.ca.cert}`,
    '--authorization-mode=Node,RBAC',
    // Default admission plugins (CertificateSubjectRestriction among them) plus NodeRestriction,
    // which every real cluster runs and which keeps the node agent honest.
    '--enable-admission-plugins=NodeRestriction',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${certs.sa.pub}`, `--service-account-signing-key-file=${certs.sa.key}`,
    `--service-cluster-ip-range=${plane.serviceClusterIpRange}`,
    `--audit-policy-file=${join(pki, 'audit-policy.yaml')}`, `--audit-log-path=${state.auditLog}`,
    `--cert-dir=${join(state.stateDir, 'apiserver-certs')}`,
    '--profiling=false',
  ]);
  await ready(apiserver, 'kube-apiserver /readyz', async () => (await admin.raw('GET', '/readyz')).status === 200, 90_000);
}

async function startControllerManager(up: BringUp, certs: PlaneCerts, admin: Kube): Promise<void> {
  const [port] = await freePorts(1);
  const kcm = start(up, 'kube-controller-manager', up.kubeplane, [
    'kube-controller-manager',
    `--kubeconfig=${join(up.pki, 'kube-controller-manager.kubeconfig')}`,
    `--bind-address=127.0.0.1`, `--secure-port=${port}`, `--cert-dir=${join(up.state.stateDir, 'kcm-certs')}`,
    `--cluster-signing-cert-file=${certs.ca.cert}`, `--cluster-signing-key-file=${certs.ca.key}`,
    `--root-ca-file=${certs.ca.cert}`,
    `--service-account-private-key-file=${certs.sa.key}`,
    '--use-service-account-credentials=true',
    '--controllers=*',
    '--leader-elect=false',
    '--profiling=false',
  ]);
  await ready(kcm, 'kube-controller-manager /healthz', async () => (await probe(`https://127.0.0.1:${port}/healthz`)) === 200, 60_000);
  // Healthy is not yet working: the serviceaccount and root-ca-cert-publisher controllers have
  // acted once these two exist.
  await waitFor('default ServiceAccount and kube-root-ca.crt', async () =>
    (await admin.find('/api/v1/namespaces/default/serviceaccounts/default')) &&
    (await admin.find('/api/v1/namespaces/default/configmaps/kube-root-ca.crt'))
      ? true
      : undefined,
  );
}

/** All of the controllers' CRDs: a controller will not start while any kind it serves is unknown. */
async function applyFluxCrds(state: PlaneState): Promise<void> {
  const { binDir } = state;
  const crds = readdirSync(binDir).filter((f) => /^[a-z]+\.toolkit\.fluxcd\.io_.*\.yaml$/.test(f)).map((f) => join(binDir, f));
  const kubeconfig = `--kubeconfig=${state.kubeconfigs.admin}`;
  await execFileP(state.kubectl, [kubeconfig, 'apply', '--server-side', ...crds.flatMap((f) => ['-f', f])]);
  await execFileP(state.kubectl, [kubeconfig, 'wait', '--for=condition=Established', '--timeout=60s', ...crds.flatMap((f) => ['-f', f])]);
}

/** The simulated node in its network namespace: the assets server, the KubePrism stand-in, then the node agent. */
async function startNode(up: BringUp, helmRoot: string, admin: Kube): Promise<void> {
  const inNode = ['netns', 'exec', node.netns, process.execPath];
  const server = start(up, 'assets-server', 'ip', [...inNode, join(here, '../../assets-image/server.mjs'), helmRoot, String(assets.port)]);
  const kubeprism = start(up, 'kubeprism', 'ip', [...inNode, join(here, 'kubeprism.mjs'), String(plane.securePort), plane.advertiseAddress, String(plane.securePort)]);
  await ready(server, `assets server on ${node.address}:${assets.port}`, async () =>
    (await probe(`http://${node.address}:${assets.port}/repos/${assets.repos[0]}/index.yaml`)) === 200, 30_000);
  // Its port is on the node's own loopback, out of this process's reach: it reports listening in
  // its log. Pods dial it at once, so the node agent, which starts them, comes after.
  await ready(kubeprism, `KubePrism stand-in on the node's localhost:${plane.securePort}`, async () =>
    readFileSync(kubeprism.log, 'utf8').includes(kubeprismListening), 10_000);
  const agent = start(up, 'node-agent', 'ip', [...inNode, join(here, 'node-agent.ts'), up.statePath]);
  await ready(agent, `node ${node.name} Ready`, async () => {
    const n = await admin.find(`/api/v1/nodes/${node.name}`);
    return n?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') ?? false;
  }, 30_000);
}

/**
 * On the host end of the node's link, the way a Git host outside the cluster is reached: the
 * flux-aio pod dials it from the node, the tests push to it from the host.
 */
async function startGitServer(up: BringUp): Promise<void> {
  const { git: repos } = up.state;
  mkdirSync(repos.root, { recursive: true });
  const git = start(up, 'git-server', process.execPath, [join(here, 'git-server.mjs'), repos.root, node.hostAddress]);
  await ready(git, 'git server listening', async () => gitServerListening.test(readFileSync(git.log, 'utf8')), 10_000);
  repos.url = gitServerListening.exec(readFileSync(git.log, 'utf8'))![1]!;
}

async function startFluxAio(up: BringUp, admin: Kube): Promise<void> {
  const containers = await fluxAioPod(admin, up.state, join(here, 'container.sh'));
  const started = containers.map((c) => start(up, c.name, c.command, c.args, c.env));
  await Promise.all(started.map((p, i) => {
    const port = fluxHealthPorts[containers[i]!.name];
    return ready(p, `${p.name} /readyz on the node`, async () => (await probe(`http://${node.address}:${port}/readyz`)) === 200, 60_000);
  }));
}
