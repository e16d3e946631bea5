// The flux-aio "pod": source-, kustomize- and helm-controller run the way stefanprodan/flux-aio
// runs them (modules/flux-aio/templates/*-controller.cue, env.cue, rbac.cue), as three processes
// of one host-network pod on the simulated node:
//  - inside the node's network namespace, so they reach each other on the node's loopback: the
//    artifacts are served on :9790 and fetched through SOURCE_CONTROLLER_LOCALHOST=localhost:9790,
//    since the advertised service name does not resolve without cluster DNS;
//  - KUBERNETES_SERVICE_HOST/PORT set to the KubePrism stand-in (localhost:7445), flux-aio's `env`
//    setting for clusters without kube-proxy;
//  - one identity for the pod, the ServiceAccount flux-system/flux bound to cluster-admin by the
//    ClusterRoleBinding flux, its token and CA at the in-cluster path in each container's own
//    mount namespace (container.sh), where client-go's in-cluster config reads them;
//  - as uid 65534, the user of Flux's images, on a read-only root, with the binary (the image),
//    source-controller's /data emptyDir and each container's /tmp bind-mounted under /run/flux
//    (container.sh mounts volumes below /run; the host paths are not the container user's to
//    reach).
// flux-aio's notification-controller is not run: nothing in this product sends it events.
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { node, plane, type PlaneState } from './env.ts';
import type { Kube } from './kube.ts';

export const fluxNamespace = 'flux-system';
/** flux-aio's instance name: its ServiceAccount, ClusterRoleBinding and Deployment. */
const instance = 'flux';
/** The user Flux's controller images run as. */
const imageUser = '65534';
/** How long the pod's token lives; the suite and the benchmark end long before. */
const tokenSeconds = 6 * 3600;

/** flux-aio's health ports; readiness is probed on the node's address from the host. */
export const fluxHealthPorts = { 'source-controller': 9792, 'kustomize-controller': 9794, 'helm-controller': 9796 } as const;
export type FluxController = keyof typeof fluxHealthPorts;

export interface FluxContainer {
  readonly name: FluxController;
  /** The command for `startProcess`: the container's process in the node's namespaces. */
  readonly command: string;
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
}

// flux-aio's reconcile settings (values `reconcile.concurrent` 5 and `reconcile.requeue`); the
// dependency requeue is shortened from its 30 s so that dependent releases follow in seconds.
const common = ['--watch-all-namespaces', '--log-level=info', '--log-encoding=json', '--enable-leader-election=false', '--watch-label-selector=!sharding.fluxcd.io/key', '--concurrent=5', '--requeue-dependency=5s'];
const controllerArgs: Record<FluxController, string[]> = {
  'source-controller': [
    ...common, '--metrics-addr=:9791', '--health-addr=:9792', '--storage-addr=:9790', '--storage-path=/data',
    `--storage-adv-addr=${instance}.${fluxNamespace}.svc.cluster.local.`,
    '--helm-cache-max-size=10', '--helm-cache-ttl=60m', '--helm-cache-purge-interval=5m',
  ],
  'kustomize-controller': [...common, '--metrics-addr=:9793', '--health-addr=:9794'],
  'helm-controller': [...common, '--metrics-addr=:9795', '--health-addr=:9796'],
};

/**
 * Creates what installing flux-aio creates for the pod's identity (the namespace, the
 * ServiceAccount and its cluster-admin binding), requests the pod's token, and returns the three
 * containers ready to start.
 */
export async function fluxAioPod(admin: Kube, state: PlaneState, containerScript: string): Promise<FluxContainer[]> {
  const post = (path: string, body: object) => admin.call('POST', path, body);
  await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: fluxNamespace } });
  await post(`/api/v1/namespaces/${fluxNamespace}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: instance } });
  await post('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: instance },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: instance, namespace: fluxNamespace }],
  });
  const request = await post(`/api/v1/namespaces/${fluxNamespace}/serviceaccounts/${instance}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { audiences: [], expirationSeconds: tokenSeconds },
  });

  const podDir = join(state.stateDir, 'flux-aio');
  const serviceAccount = join(podDir, 'serviceaccount');
  mkdirSync(serviceAccount, { recursive: true, mode: 0o755 });
  writeFileSync(join(serviceAccount, 'token'), request.status.token, { mode: 0o644 });
  writeFileSync(join(serviceAccount, 'ca.crt'), readFileSync(state.caCert), { mode: 0o644 });
  writeFileSync(join(serviceAccount, 'namespace'), fluxNamespace, { mode: 0o644 });
  // The pod's emptyDirs, writable by its user: /data for the artifacts and a /tmp per container.
  const emptyDir = (path: string) => {
    mkdirSync(path, { recursive: true });
    chownSync(path, Number(imageUser), Number(imageUser));
    return path;
  };
  const data = emptyDir(state.sourceControllerStorage);

  return (Object.keys(controllerArgs) as FluxController[]).map((name) => {
    const mounts = join(podDir, `${name}.mounts`);
    writeFileSync(mounts, [
      `${serviceAccount}\t/run/secrets/kubernetes.io/serviceaccount`,
      `${join(state.binDir, name)}\t/run/flux/${name}`,
      `${emptyDir(join(podDir, `tmp-${name}`))}\t/run/flux/tmp\trw`,
      ...(name === 'source-controller' ? [`${data}\t/run/flux/data\trw`] : []),
    ].join('\n') + '\n');
    const args = controllerArgs[name].map((a) => (a === '--storage-path=/data' ? '--storage-path=/run/flux/data' : a));
    return {
      name,
      command: 'ip',
      args: ['netns', 'exec', node.netns, 'unshare', '-m', '--propagation', 'private', 'sh', containerScript, imageUser, imageUser, '1', mounts, '--', `/run/flux/${name}`, ...args],
      env: {
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        HOSTNAME: node.name, // hostNetwork
        HOME: '/run/flux/tmp',
        TMPDIR: '/run/flux/tmp',
        // flux-aio's container env (env.cue), then its `env` setting for the API endpoint.
        SOURCE_CONTROLLER_LOCALHOST: 'localhost:9790',
        RUNTIME_NAMESPACE: fluxNamespace,
        TUF_ROOT: '/run/flux/tmp/.sigstore',
        NO_PROXY: '.cluster.local.,.cluster.local,.svc',
        KUBERNETES_SERVICE_HOST: 'localhost',
        KUBERNETES_SERVICE_PORT: String(plane.securePort),
      },
    };
  });
}
