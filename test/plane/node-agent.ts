// The simulated node's agent. It stands in for the two components this plane does not run:
//  - kube-scheduler's binding step, with the scheduler's own identity (system:kube-scheduler);
//  - the kubelet and container runtime, with the node's identity (system:node:fab-node, so the
//    Node authorizer and NodeRestriction judge every request as they would a real kubelet's).
// It runs inside the node's network namespace, like a kubelet on its host, and talks to the
// apiserver at its advertise address. Pods are hostNetwork (there is no CNI, as on a fresh
// cluster), so a pod's IP is the node's address.
//
// What "running" a pod means here:
//  - the assets pod (cozystack-assets-0 serving the assets port, in any namespace): its container
//    is the static file server global setup already started in the network namespace, so the
//    agent only reports it Running and Ready;
//  - a pod whose command is Node at the distroless path: the agent materialises its volumes (a
//    TokenRequest-bound ServiceAccount token, kube-root-ca.crt, the namespace, ConfigMaps such as
//    the issuer program's), then runs the pod's exact command, args and env, as the image's user,
//    with the volumes bind-mounted at their mountPaths in a private mount namespace (container.sh)
//    and the image's own files in place: the local Node 24 for any image, and for a cert-issuer
//    image also its bundle, cert-issuer/build/cert-issuer.mjs. The stock distroless Node image has
//    Node alone, so a pod on it runs the program its ConfigMap volume holds. The exit code becomes
//    the pod phase, so the Job controller completes or fails the Job the real way;
//  - a pod that is not hostNetwork never starts (no CNI); any other image is reported as an
//    image the simulated runtime does not have.
//
// Usage (global setup starts it): ip netns exec fab-node node node-agent.ts <state.json>
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assets, node, readState } from './env.ts';
import { ApiError, Kube } from './kube.ts';

const state = readState(process.argv[2]);
const asNode = Kube.fromKubeconfig(state.kubeconfigs.node);
const asScheduler = Kube.fromKubeconfig(state.kubeconfigs.scheduler);
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '../..');

// The images' files (distroless Node 24 at /nodejs/bin/node, uid 65532; a cert-issuer image adds its
// bundle at /app/cert-issuer.mjs), mapped to the local files that stand for them. They are
// bind-mounted under imageRoot.
const imageRoot = '/run/fab-image';
const distrolessNode = /(^|\/)distroless\/nodejs24-debian12([:@]|$)/;
function imageFiles(image: string): Record<string, string> {
  const node = { '/nodejs/bin/node': process.execPath };
  if (distrolessNode.test(image)) return node;
  return { ...node, '/app/cert-issuer.mjs': join(repoRoot, 'cert-issuer/build/cert-issuer.mjs') };
}
const imageUser = 65532;
const imagePath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const maxLifetimeMs = 90 * 60_000; // a crashed jest run must not leave the agent running forever
const pollMs = 300;
const leaseRenewMs = 10_000;
const statusRetryMs = 60_000;

const log = (msg: string) => console.log(`${new Date().toISOString()} ${msg}`);
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const microNow = () => new Date().toISOString().replace('Z', '000Z'); // MicroTime wants 6 digits

/** Pods this agent has taken care of (by UID), and the container processes still running. */
const seen = new Set<string>();
/**
 * Pods whose start failed, with the attempts so far and when to try again. The kubelet retries a
 * pod's sync with a backoff: a failure such as a token refused while the Node authorizer has not
 * yet seen the pod's binding passes on its own.
 */
const startRetries = new Map<string, { readonly attempts: number; readonly at: number }>();
/** Pods whose container process was spawned: never started twice, whatever failed after the spawn. */
const spawned = new Set<string>();
const running = new Map<string, ChildProcess>();

// ---- Node registration and heartbeat -------------------------------------------------------

async function registerNode(): Promise<void> {
  const version = (await asNode.get('/version')).gitVersion as string;
  const res = await asNode.raw('POST', '/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: node.name, labels: { 'kubernetes.io/hostname': node.name, 'kubernetes.io/os': 'linux' } },
  });
  if (res.status !== 201 && res.status !== 409) throw new ApiError('POST', '/api/v1/nodes', res.status, res.text);
  const resources = { cpu: '2', memory: '4Gi', pods: '110' };
  await asNode.mergePatch(`/api/v1/nodes/${node.name}/status`, {
    status: {
      addresses: [
        { type: 'InternalIP', address: node.address },
        { type: 'Hostname', address: node.name },
      ],
      capacity: resources,
      allocatable: resources,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'simulated kubelet (e2e node agent) is posting ready status',
          lastHeartbeatTime: now(),
          lastTransitionTime: now(),
        },
      ],
      nodeInfo: { kubeletVersion: version, operatingSystem: 'linux', architecture: 'amd64', containerRuntimeVersion: 'e2e-node-agent://1' },
    },
  });
  log(`registered node ${node.name} (${node.address})`);
}

/** The node lease is what kube-controller-manager's node lifecycle controller watches. */
async function renewLease(): Promise<void> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node.name}`;
  const spec = { holderIdentity: node.name, leaseDurationSeconds: 40, renewTime: microNow() };
  const res = await asNode.raw('PATCH', path, { spec }, 'application/merge-patch+json');
  if (res.status === 404) {
    await asNode.call('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: node.name },
      spec,
    });
  } else if (res.status !== 200) throw new ApiError('PATCH', path, res.status, res.text);
}

// ---- The scheduler's part: bind every pending pod to the one node ----------------------------

async function scheduleOnce(): Promise<void> {
  const pods = await asScheduler.get(`/api/v1/pods?fieldSelector=${encodeURIComponent('spec.nodeName=')}`);
  for (const pod of pods.items) {
    const { name, namespace } = pod.metadata;
    if (pod.metadata.deletionTimestamp || (pod.spec.schedulerName ?? 'default-scheduler') !== 'default-scheduler') continue;
    const res = await asScheduler.raw('POST', `/api/v1/namespaces/${namespace}/pods/${name}/binding`, {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name, uid: pod.metadata.uid },
      target: { apiVersion: 'v1', kind: 'Node', name: node.name },
    });
    if (res.status === 201) log(`bound ${namespace}/${name} to ${node.name}`);
    else if (res.status !== 409) log(`binding ${namespace}/${name} failed: ${res.status} ${res.text.slice(0, 200)}`);
  }
}

// ---- The kubelet's part ---------------------------------------------------------------------

async function syncOnce(): Promise<void> {
  const pods = await asNode.get(`/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node.name}`)}`);
  for (const pod of pods.items) {
    const { uid, name, namespace } = pod.metadata;
    if (pod.metadata.deletionTimestamp) {
      const child = running.get(uid);
      if (child) child.kill('SIGTERM'); // its exit handler reports the status; the next sync deletes
      else await finishDeletion(pod);
      continue;
    }
    const retry = startRetries.get(uid);
    if (seen.has(uid) && (retry === undefined || retry.at > Date.now())) continue;
    seen.add(uid);
    if (pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed') continue;
    startPod(pod).then(() => startRetries.delete(uid), async (err: Error) => {
      const attempts = (retry?.attempts ?? 0) + 1;
      if (spawned.has(uid)) startRetries.delete(uid);
      else startRetries.set(uid, { attempts, at: Date.now() + Math.min(1000 * 2 ** (attempts - 1), 10_000) });
      log(`${namespace}/${name}: cannot start (attempt ${attempts}${spawned.has(uid) ? '' : ', will retry'}): ${err.message}`);
      await setWaiting(pod, 'CreateContainerConfigError', err.message).catch((e: Error) => log(`status: ${e.message}`));
    });
  }
}

async function finishDeletion(pod: any): Promise<void> {
  const { uid, name, namespace } = pod.metadata;
  const res = await asNode.raw('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`, {
    apiVersion: 'v1',
    kind: 'DeleteOptions',
    gracePeriodSeconds: 0,
    preconditions: { uid },
  });
  if (res.status === 200) log(`${namespace}/${name}: deleted`);
}

async function startPod(pod: any): Promise<void> {
  const { name, namespace } = pod.metadata;
  if (!pod.spec.hostNetwork) {
    log(`${namespace}/${name}: not hostNetwork; without a CNI it never starts`);
    return;
  }
  if (pod.spec.initContainers?.length || pod.spec.containers.length !== 1) {
    throw new Error('the simulated runtime runs exactly one container and no init containers');
  }
  const container = pod.spec.containers[0];
  if (name === assets.pod && container.ports?.some((p: any) => p.containerPort === assets.port)) {
    // Its container is the static server global setup runs in the node's network namespace, in
    // whichever namespace a config puts the assets server.
    await setRunning(pod, container);
    log(`${namespace}/${name}: running (the assets server on ${node.address}:${assets.port})`);
    return;
  }
  if (container.command?.[0] === '/nodejs/bin/node') {
    await runContainer(pod, container);
    return;
  }
  await setWaiting(pod, 'ErrImagePull', `the simulated runtime has no image ${container.image}`);
}

async function runContainer(pod: any, container: any): Promise<void> {
  const { uid, name, namespace } = pod.metadata;
  if (pod.spec.restartPolicy !== 'Never') throw new Error(`restartPolicy ${pod.spec.restartPolicy} is not simulated (only Never)`);
  const files = imageFiles(container.image);
  for (const file of Object.values(files)) {
    if (!existsSync(file)) throw new Error(`${file} is missing (run npm run build:job)`);
  }
  const podDir = join(state.stateDir, 'pods', uid);
  mkdirSync(podDir, { recursive: true, mode: 0o755 });
  const mounts = [
    ...Object.entries(files).map(([inImage, local]) => [local, imageRoot + inImage]),
    ...(await materialiseVolumes(pod, container, podDir)),
  ];
  const mountsFile = join(podDir, 'mounts');
  writeFileSync(mountsFile, mounts.map((m) => m.join('\t') + '\n').join(''));

  const command = (container.command as string[]).map((p) => (p in files ? imageRoot + p : p));
  const args = (container.args ?? []) as string[];
  const sc = { ...pod.spec.securityContext, ...container.securityContext };
  const uidToRun = String(sc.runAsUser ?? imageUser);
  const gidToRun = String(sc.runAsGroup ?? sc.runAsUser ?? imageUser);
  const log_ = join(state.containerLogDir, `${namespace}_${name}_${container.name}.log`);
  const fd = openSync(log_, 'a');
  const child = spawn(
    'unshare',
    ['-m', '--propagation', 'private', 'sh', join(here, 'container.sh'), uidToRun, gidToRun, sc.readOnlyRootFilesystem ? '1' : '0', mountsFile, '--', ...command, ...args],
    { env: await containerEnv(pod, container), stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  spawned.add(uid);
  running.set(uid, child);
  const startedAt = now();
  log(`${namespace}/${name}: started ${[...container.command, ...args].join(' ')} as uid ${uidToRun} (pid ${child.pid})`);
  child.on('exit', (code, signal) => {
    running.delete(uid);
    const exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
    log(`${namespace}/${name}: exited with ${exitCode}`);
    // Like a kubelet, keep reporting through an apiserver outage (a test restarts it): a lost
    // final status would leave the Job waiting for a pod that is long gone.
    retryFor(statusRetryMs, () => setTerminated(pod, container, exitCode, startedAt)).catch((e: Error) =>
      log(`${namespace}/${name}: status: ${e.message}`),
    );
  });
  await setRunning(pod, container, startedAt);
}

/** Writes each mounted volume's files like the kubelet does; returns [source, target] pairs. */
async function materialiseVolumes(pod: any, container: any, podDir: string): Promise<string[][]> {
  const pairs: string[][] = [];
  for (const mount of container.volumeMounts ?? []) {
    const target = String(mount.mountPath).replace(/^\/var\/run\//, '/run/');
    // container.sh keeps the host's tree untouched: a fresh /run, overlays elsewhere.
    if (!/^\/[^/]+\/./.test(target) || mount.subPath) throw new Error(`cannot mount ${mount.mountPath}: the simulated runtime mounts whole volumes below a top-level folder, without subPath`);
    const volume = pod.spec.volumes.find((v: any) => v.name === mount.name);
    const dir = join(podDir, 'volumes', volume.name);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755); // readable by the container's non-root user, as a kubelet volume is
    const mode = volume.projected?.defaultMode ?? volume.configMap?.defaultMode ?? volume.secret?.defaultMode ?? 0o644;
    const sources = volume.projected?.sources ?? [volume];
    if (!sources.every((s: any) => s.serviceAccountToken || s.configMap || s.secret || s.downwardAPI)) {
      throw new Error(`volume ${volume.name}: only projected, configMap, secret and downwardAPI volumes are simulated`);
    }
    for (const source of sources) {
      for (const [path, content] of await volumeFiles(pod, source)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true, mode: 0o755 });
        writeFileSync(join(dir, path), content, { mode });
      }
    }
    pairs.push([dir, target]);
  }
  return pairs;
}

async function volumeFiles(pod: any, source: any): Promise<[string, string | Buffer][]> {
  const { name, namespace, uid } = pod.metadata;
  if (source.serviceAccountToken) {
    // The kubelet's TokenRequest: bound to this pod, so the token dies with it.
    const sat = source.serviceAccountToken;
    const tr = await asNode.call('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${pod.spec.serviceAccountName}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        audiences: sat.audience ? [sat.audience] : [],
        expirationSeconds: sat.expirationSeconds ?? 3607,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name, uid },
      },
    });
    return [[sat.path, tr.status.token]];
  }
  const pick = (data: Record<string, string | Buffer>, items: any[] | undefined) =>
    items ? items.map((i): [string, string | Buffer] => [i.path, data[i.key]!]) : Object.entries(data);
  if (source.configMap) {
    const cm = await asNode.get(`/api/v1/namespaces/${namespace}/configmaps/${source.configMap.name}`);
    return pick(cm.data ?? {}, source.configMap.items);
  }
  if (source.secret) {
    const secretName = source.secret.name ?? source.secret.secretName;
    const secret = await asNode.get(`/api/v1/namespaces/${namespace}/secrets/${secretName}`);
    const data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v as string, 'base64')]));
    return pick(data, source.secret.items);
  }
  return source.downwardAPI.items.map((i: any): [string, string] => [i.path, fieldValue(pod, i.fieldRef?.fieldPath)]);
}

function fieldValue(pod: any, fieldPath: string | undefined): string {
  const fields: Record<string, string> = {
    'metadata.name': pod.metadata.name,
    'metadata.namespace': pod.metadata.namespace,
    'metadata.uid': pod.metadata.uid,
    'spec.nodeName': node.name,
    'spec.serviceAccountName': pod.spec.serviceAccountName,
    'status.hostIP': node.address,
    'status.podIP': node.address,
  };
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath ?? '');
  const value = label ? pod.metadata[label[1]!]?.[label[2]!] : fields[fieldPath ?? ''];
  if (value === undefined) throw new Error(`fieldRef ${fieldPath} is not simulated`);
  return value;
}

/** The kubelet's environment: the image's PATH, the master service's variables, then the
 *  container's own env in order (so the pod spec's KUBERNETES_SERVICE_HOST/PORT win). */
async function containerEnv(pod: any, container: any): Promise<NodeJS.ProcessEnv> {
  const svc = await asNode.get('/api/v1/namespaces/default/services/kubernetes');
  const ip = svc.spec.clusterIP as string;
  const port = String(svc.spec.ports[0].port);
  const env: Record<string, string> = {
    PATH: imagePath,
    HOSTNAME: pod.spec.hostNetwork ? node.name : pod.metadata.name,
    KUBERNETES_SERVICE_HOST: ip,
    KUBERNETES_SERVICE_PORT: port,
    KUBERNETES_SERVICE_PORT_HTTPS: port,
    KUBERNETES_PORT: `tcp://${ip}:${port}`,
    [`KUBERNETES_PORT_${port}_TCP`]: `tcp://${ip}:${port}`,
    [`KUBERNETES_PORT_${port}_TCP_PROTO`]: 'tcp',
    [`KUBERNETES_PORT_${port}_TCP_PORT`]: port,
    [`KUBERNETES_PORT_${port}_TCP_ADDR`]: ip,
  };
  if (container.envFrom?.length) throw new Error('envFrom is not simulated');
  for (const e of container.env ?? []) {
    if (e.valueFrom && !e.valueFrom.fieldRef) throw new Error(`env ${e.name}: only value and fieldRef are simulated`);
    // $(VAR) refers to variables defined earlier, as in the kubelet; $$ escapes.
    env[e.name] = e.valueFrom
      ? fieldValue(pod, e.valueFrom.fieldRef.fieldPath)
      : String(e.value ?? '').replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v) => (m === '$$' ? '$' : (env[v] ?? m)));
  }
  return env;
}

// ---- Pod status, as the kubelet's status manager reports it -----------------------------------

function statusPath(pod: any): string {
  return `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`;
}

function conditions(ready: boolean, reason?: string) {
  const t = now();
  const c = (type: string, status: boolean, r?: string) => ({ type, status: status ? 'True' : 'False', lastTransitionTime: t, ...(r && { reason: r }) });
  return [c('PodReadyToStartContainers', true), c('Initialized', true), c('Ready', ready, reason), c('ContainersReady', ready, reason), c('PodScheduled', true)];
}

const addresses = { hostIP: node.address, hostIPs: [{ ip: node.address }], podIP: node.address, podIPs: [{ ip: node.address }] };

async function setRunning(pod: any, container: any, startedAt = now()): Promise<void> {
  await asNode.mergePatch(statusPath(pod), {
    status: {
      phase: 'Running',
      ...addresses,
      startTime: startedAt,
      conditions: conditions(true),
      containerStatuses: [
        { name: container.name, image: container.image, imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt } } },
      ],
    },
  });
}

async function setTerminated(pod: any, container: any, exitCode: number, startedAt: string): Promise<void> {
  const reason = exitCode === 0 ? 'Completed' : 'Error';
  await asNode.mergePatch(statusPath(pod), {
    status: {
      phase: exitCode === 0 ? 'Succeeded' : 'Failed',
      ...addresses,
      conditions: conditions(false, 'PodCompleted'),
      containerStatuses: [
        {
          name: container.name,
          image: container.image,
          imageID: '',
          ready: false,
          started: false,
          restartCount: 0,
          state: { terminated: { exitCode, reason, startedAt, finishedAt: now() } },
        },
      ],
    },
  });
}

async function setWaiting(pod: any, reason: string, message: string): Promise<void> {
  const container = pod.spec.containers[0];
  await asNode.mergePatch(statusPath(pod), {
    status: {
      phase: 'Pending',
      ...addresses,
      conditions: conditions(false, 'ContainersNotReady'),
      containerStatuses: [
        { name: container.name, image: container.image, imageID: '', ready: false, started: false, restartCount: 0, state: { waiting: { reason, message } } },
      ],
    },
  });
}

// ---- Main loop ------------------------------------------------------------------------------

let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
  if (!running.size) process.exit(0);
  // Containers are this agent's children, unknown to teardown: stop them too, and SIGKILL what
  // is left after a moment, so that none outlives the agent (teardown waits for this PID).
  for (const child of running.values()) child.kill('SIGTERM');
  setTimeout(() => {
    for (const child of running.values()) child.kill('SIGKILL');
    process.exit(0);
  }, 3_000);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls fn until it succeeds, every second, for at most `ms`; rethrows the last error. */
async function retryFor(ms: number, fn: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() + 1_000 > deadline) throw err;
      await sleep(1_000);
    }
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  await registerNode();
  let lastLease = 0;
  let lastError = '';
  while (!stopping && Date.now() - started < maxLifetimeMs) {
    try {
      if (Date.now() - lastLease >= leaseRenewMs) {
        await renewLease();
        lastLease = Date.now();
      }
      await scheduleOnce();
      await syncOnce();
      lastError = '';
    } catch (err) {
      const msg = (err as Error).message;
      if (msg !== lastError) log(`sync failed (will retry): ${msg}`); // log each distinct error once
      lastError = msg;
    }
    await sleep(pollMs);
  }
  log('lifetime bound reached, exiting');
  process.exit(0);
}

main().catch((err: Error) => {
  log(`fatal: ${err.stack ?? err.message}`);
  process.exit(1);
});
