/**
 * `flux-assets-bootstrap status`: for each cluster config, what its cluster holds now (status.ts
 * judges it), as a table for people or JSON for scripts, with the exit code of a monitoring check.
 * Read-only: every request is a GET, with the caller's kubeconfig.
 */
import type { V1ConfigMap, V1Job, V1JobList, V1Secret } from '@kubernetes/client-node';
import { filesOf } from '../../cert-issuer/src/secret.ts';
import { type ClusterConfig, loadClusterConfig } from '../config/cluster-config.ts';
import { findClusterConfig, findClusterConfigs } from '../cli/cluster-files.ts';
import { type CommandLine, UsageError } from '../cli/command-line.ts';
import { FLUX_NAMESPACE, FLUX_SYNC_NAME, ISSUER_APP_NAME } from '../constructs/names.ts';
import { PART_OF } from '../constructs/hardening.ts';
import { KubeApi } from './api.ts';
import { atContext, firstLine, loadKubeConfig } from './kubeconfig.ts';
import { assess, type ClusterStatus, type FluxObject, LEVELS, type Snapshot, unreadable } from './status.ts';

/** Nagios's plugin exit codes, which monitoring systems read: the index of the level in LEVELS. */
const UNKNOWN_EXIT_CODE = LEVELS.indexOf('unknown');

export const STATUS: CommandLine<{
  cluster: { type: 'string'; multiple: true };
  clusters: { type: 'string'; default: string };
  kubeconfig: { type: 'string' };
  context: { type: 'string' };
  output: { type: 'string'; short: 'o'; default: string };
}> = {
  name: 'status',
  invocation: 'flux-assets-bootstrap status',
  usage: `Usage: flux-assets-bootstrap status [--cluster NAME]... [--clusters DIR] [--kubeconfig PATH] [--context NAME] [-o table|json]

For each cluster config, reads its cluster: the certificate in every repository namespace (valid
until, renews after), the issuer's last run and its outcome, each HelmRepository's Ready state and
the sync Kustomization's applied revision. Each line gets a level: ok, warning (a renewal overdue,
a Flux object not Ready), critical (a certificate missing, expired or wrong, a failed issuer run,
an object missing) or unknown (the cluster could not be read).

Options:
  --cluster NAME      a cluster to read, a DIR/NAME.yaml or .yml; repeat for more
                      (default: every config in DIR)
  --clusters DIR      folder of cluster configs (default: clusters)
  --kubeconfig PATH   kubeconfig of a user who may read Secrets, Jobs and Flux objects
                      (default: KUBECONFIG or ~/.kube/config)
  --context NAME      the kubeconfig's context, for one cluster (default: the context named like
                      the cluster, else with one cluster the current context)
  -o, --output FMT    table (default) or json
  -h, --help          show this help
  --version           show the version

Exit codes: as a monitoring check's, the worst cluster's: 0 ok, 1 warning, 2 critical, 3 unknown
(a cluster that could not be read, an invalid config or a usage error).`,
  options: {
    cluster: { type: 'string', multiple: true },
    clusters: { type: 'string', default: 'clusters' },
    kubeconfig: { type: 'string' },
    context: { type: 'string' },
    output: { type: 'string', short: 'o', default: 'table' },
  },
  afterConfigError: 'nothing was read',
  failureExitCode: UNKNOWN_EXIT_CODE,
  run: async (values) => {
    if (values.output !== 'table' && values.output !== 'json') throw new UsageError(`--output must be table or json (got "${values.output}")`);
    const files = values.cluster?.map((name) => findClusterConfig(values.clusters, name)) ?? findClusterConfigs(values.clusters);
    if (files.length === 0) throw new UsageError(`${values.clusters}/ holds no cluster config (*.yaml)`);
    if (values.context !== undefined && files.length > 1) throw new UsageError('--context names the context of one cluster: pass one --cluster with it');
    const clusters = files.map((file) => loadClusterConfig(file));
    const statuses: ClusterStatus[] = [];
    for (const cluster of clusters) statuses.push(await statusOf(cluster, values.kubeconfig, values.context, clusters.length === 1));
    console.log(values.output === 'json' ? JSON.stringify(statuses, null, 2) : table(statuses));
    return Math.max(...statuses.map((status) => LEVELS.indexOf(status.level)));
  },
};

/** One cluster's status, read with the context given, else the one named like the cluster, else (alone) the current one. */
async function statusOf(cluster: ClusterConfig, kubeconfig: string | undefined, context: string | undefined, alone: boolean): Promise<ClusterStatus> {
  const loaded = loadKubeConfig(kubeconfig, undefined);
  if (typeof loaded === 'string') return unreadable(cluster.name, context, loaded);
  const named = loaded.getContexts().some(({ name }) => name === cluster.name) ? cluster.name : undefined;
  const chosen = context ?? named ?? (alone ? loaded.getCurrentContext() : undefined);
  if (chosen === undefined) {
    return unreadable(cluster.name, undefined, `the kubeconfig has no context named "${cluster.name}": name one so, or read this cluster alone with --cluster ${cluster.name} --context NAME`);
  }
  const kubeConfig = atContext(loaded, chosen);
  if (typeof kubeConfig === 'string') return unreadable(cluster.name, chosen, kubeConfig);
  try {
    const api = await KubeApi.fromKubeConfig(kubeConfig);
    return assess(cluster.name, chosen, await snapshotOf(cluster, api), new Date());
  } catch (error) {
    return unreadable(cluster.name, chosen, `cannot read the cluster at ${kubeConfig.getCurrentCluster()?.server} (${firstLine(error)})`);
  }
}

/** Everything status judges, read as `api`'s user. */
async function snapshotOf(cluster: ClusterConfig, api: KubeApi): Promise<Snapshot> {
  const { secretName, commonName, organization } = cluster.certificate;
  const { namespace } = cluster.assets;
  const rootCA = await api.get<V1ConfigMap>(`/api/v1/namespaces/${namespace}/configmaps/kube-root-ca.crt`);
  const secrets = new Map<string, ReturnType<typeof filesOf>>();
  for (const secretNamespace of new Set(cluster.repositories.map((repo) => repo.namespace))) {
    secrets.set(secretNamespace, filesOf(await api.find<V1Secret>(`/api/v1/namespaces/${secretNamespace}/secrets/${secretName}`)));
  }
  const selector = encodeURIComponent(Object.entries({ 'app.kubernetes.io/name': ISSUER_APP_NAME, ...PART_OF }).map(([key, value]) => `${key}=${value}`).join(','));
  const jobs: V1Job[] = (await api.get<V1JobList>(`/apis/batch/v1/namespaces/${namespace}/jobs?labelSelector=${selector}`)).items;
  const helmRepositories = new Map<string, FluxObject | undefined>();
  for (const repo of cluster.repositories) {
    helmRepositories.set(`${repo.namespace}/${repo.name}`, fluxObject(await api.find(`/apis/source.toolkit.fluxcd.io/v1/namespaces/${repo.namespace}/helmrepositories/${repo.name}`)));
  }
  const sync = cluster.flux && {
    name: `${FLUX_NAMESPACE}/${FLUX_SYNC_NAME}`,
    object: fluxObject(await api.find(`/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${FLUX_NAMESPACE}/kustomizations/${FLUX_SYNC_NAME}`)),
  };
  return {
    secrets,
    secretName,
    expected: { commonName, organization, signerCaPem: rootCA.data?.['ca.crt'] ?? '' },
    jobs,
    helmRepositories,
    ...(sync ? { sync } : {}),
  };
}

interface FluxResource {
  readonly status?: {
    readonly conditions?: { readonly type: string; readonly status: string; readonly message?: string }[];
    readonly lastAppliedRevision?: string;
  };
}

function fluxObject(found: FluxResource | undefined): FluxObject | undefined {
  if (found === undefined) return undefined;
  const ready = found.status?.conditions?.find((condition) => condition.type === 'Ready');
  return { ready, ...(found.status?.lastAppliedRevision ? { revision: found.status.lastAppliedRevision } : {}) };
}

/** One line per item, in columns: level, cluster, what, detail. */
function table(statuses: readonly ClusterStatus[]): string {
  const rows = [['LEVEL', 'CLUSTER', 'WHAT', 'DETAIL'], ...statuses.flatMap((status) => status.items.map((item) => [item.level.toUpperCase(), status.cluster, item.what, item.detail]))];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]!) : cell)).join('  ')).join('\n');
}
