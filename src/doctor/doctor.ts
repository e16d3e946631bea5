/**
 * `flux-assets-bootstrap doctor --cluster <name>`: checks a live cluster against its config and
 * prints one verdict per check. Exits 1 when any check fails, with what to do about it.
 *
 * It reads with the caller's kubeconfig (an admin's, usually) and fetches every repository index
 * exactly the way Flux does: through the pod proxy, with the Secret in the repository's namespace.
 */
import { ApiEndpoint } from '../contract/api-endpoint.ts';
import { loadClusterConfig } from '../config/cluster-config.ts';
import { findClusterConfig } from '../cli/cluster-files.ts';
import { type CommandLine, runCommand, UsageError } from '../cli/command-line.ts';
import { ApiError, KubeApi } from './api.ts';
import { firstLine, loadKubeConfig } from './kubeconfig.ts';
import { runDoctor } from './checks.ts';
import { STATUS } from './status-command.ts';
import type { Verdict } from './verdicts.ts';

export const DOCTOR: CommandLine<{
  cluster: { type: 'string' };
  clusters: { type: 'string'; default: string };
  kubeconfig: { type: 'string' };
  context: { type: 'string' };
  endpoint: { type: 'string' };
}> = {
  name: 'doctor',
  invocation: 'flux-assets-bootstrap doctor',
  usage: `Usage: flux-assets-bootstrap doctor --cluster NAME [--clusters DIR] [--kubeconfig PATH] [--context NAME] [--endpoint HOST:PORT]

Checks a live cluster against DIR/NAME.yaml and prints one verdict per check: the reader's and
the issuer's access, the admission policy, every Secret's certificate, and every repository index
fetched through the pod proxy the way Flux fetches it.

Options:
  --cluster NAME         the cluster to check, a DIR/NAME.yaml or .yml (required)
  --clusters DIR         folder of cluster configs (default: clusters)
  --kubeconfig PATH      kubeconfig of a user who may read Secrets and create SubjectAccessReviews
                         (default: KUBECONFIG or ~/.kube/config)
  --context NAME         the kubeconfig's context to use (default: its current context)
  --endpoint HOST:PORT   reach the API here instead of the config's endpoint (from a workstation)
  -h, --help             show this help
  --version              show the version

Exit codes: 0 every check passed, 1 a check failed, the cluster could not be read, or the config is
invalid (each says what to do), 2 usage error.`,
  options: { cluster: { type: 'string' }, clusters: { type: 'string', default: 'clusters' }, kubeconfig: { type: 'string' }, context: { type: 'string' }, endpoint: { type: 'string' } },
  afterConfigError: 'nothing was checked',
  run: async (values) => {
    if (!values.cluster) throw new UsageError('--cluster NAME is required (a clusters/NAME.yaml)');
    const cluster = loadClusterConfig(findClusterConfig(values.clusters, values.cluster));
    let endpoint: ApiEndpoint;
    try {
      endpoint = values.endpoint ? ApiEndpoint.parse(values.endpoint) : cluster.endpoint;
    } catch (error) {
      throw new UsageError(`--endpoint ${(error as Error).message}`);
    }
    const kubeConfig = loadKubeConfig(values.kubeconfig, values.context);
    if (typeof kubeConfig === 'string') {
      console.error(`doctor: ${kubeConfig}`);
      return 1;
    }
    let api: KubeApi;
    try {
      api = await KubeApi.fromKubeConfig(kubeConfig);
    } catch (error) {
      console.error(`doctor: cannot use the kubeconfig's context ${kubeConfig.getCurrentContext()}: ${firstLine(error)}`);
      return 1;
    }
    let verdicts: Verdict[];
    try {
      verdicts = await runDoctor(cluster, api, endpoint);
    } catch (error) {
      const server = kubeConfig.getCurrentCluster()!.server;
      console.error(error instanceof ApiError
        ? `doctor: cannot read the cluster at ${server} (${firstLine(error)}); check that the kubeconfig's user may read Secrets and create SubjectAccessReviews`
        : `doctor: cannot reach the API server at ${server} (${firstLine(error)}); check --kubeconfig and --context, and that the cluster is up`);
      return 1;
    }
    for (const verdict of verdicts) console.log(`${verdict.ok ? 'ok  ' : 'FAIL'} ${verdict.check}: ${verdict.detail}`);
    const failed = verdicts.filter((verdict) => !verdict.ok).length;
    console.log(failed === 0 ? `doctor: all ${verdicts.length} checks passed` : `doctor: ${failed} of ${verdicts.length} checks failed`);
    return failed === 0 ? 0 : 1;
  },
};

/** `flux-assets-bootstrap doctor ...`: the exit code. */
export function doctor(argv: readonly string[]): Promise<number> {
  return runCommand(DOCTOR, argv);
}

/** `flux-assets-bootstrap status ...`, which this bundle holds too: it reads a live cluster as doctor does. */
export function status(argv: readonly string[]): Promise<number> {
  return runCommand(STATUS, argv);
}
