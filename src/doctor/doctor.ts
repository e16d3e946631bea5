/**
 * `flux-assets-bootstrap doctor --cluster <name>`: checks a live cluster against its config and
 * prints one verdict per check. Exits 1 when any check fails, with what to do about it.
 *
 * It reads with the caller's kubeconfig (an admin's, usually) and fetches every repository index
 * exactly the way Flux does: through the pod proxy, with the Secret in the repository's namespace.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { ApiEndpoint } from '../contract/api-endpoint.ts';
import { loadClusterConfig } from '../config/cluster-config.ts';
import { type CommandLine, runCommand, UsageError } from '../cli/command-line.ts';
import { KubeApi } from './api.ts';
import { runDoctor } from './checks.ts';
import type { Verdict } from './verdicts.ts';

export const DOCTOR: CommandLine<{
  cluster: { type: 'string' };
  clusters: { type: 'string'; default: string };
  kubeconfig: { type: 'string' };
  endpoint: { type: 'string' };
}> = {
  name: 'doctor',
  invocation: 'flux-assets-bootstrap doctor',
  usage: `Usage: flux-assets-bootstrap doctor --cluster NAME [--clusters DIR] [--kubeconfig PATH] [--endpoint HOST:PORT]

Checks a live cluster against DIR/NAME.yaml and prints one verdict per check: the reader's and
the issuer's access, the admission policy, every Secret's certificate, and every repository index
fetched through the pod proxy the way Flux fetches it.

Options:
  --cluster NAME         the cluster to check, a DIR/NAME.yaml (required)
  --clusters DIR         folder of cluster configs (default: clusters)
  --kubeconfig PATH      kubeconfig of a user who may read Secrets and create SubjectAccessReviews
                         (default: KUBECONFIG or ~/.kube/config)
  --endpoint HOST:PORT   reach the API here instead of the config's endpoint (from a workstation)
  -h, --help             show this help
  --version              show the version

Exit codes: 0 every check passed, 1 a check failed, the cluster could not be read, or the config is
invalid (each says what to do), 2 usage error.`,
  options: { cluster: { type: 'string' }, clusters: { type: 'string', default: 'clusters' }, kubeconfig: { type: 'string' }, endpoint: { type: 'string' } },
  afterConfigError: 'nothing was checked',
  run: async (values) => {
    if (!values.cluster) throw new UsageError('--cluster NAME is required (a clusters/NAME.yaml)');
    const cluster = loadClusterConfig(`${values.clusters}/${values.cluster}.yaml`);
    let endpoint: ApiEndpoint;
    try {
      endpoint = values.endpoint ? ApiEndpoint.parse(values.endpoint) : cluster.endpoint;
    } catch (error) {
      throw new UsageError(`--endpoint ${(error as Error).message}`);
    }
    const kubeConfig = new KubeConfig();
    try {
      if (values.kubeconfig) kubeConfig.loadFromFile(values.kubeconfig);
      else kubeConfig.loadFromDefault();
    } catch (error) {
      console.error(`doctor: cannot load the kubeconfig: ${(error as Error).message.split('\n')[0]}`);
      return 1;
    }
    let verdicts: Verdict[];
    try {
      verdicts = await runDoctor(cluster, await KubeApi.fromKubeConfig(kubeConfig), endpoint);
    } catch (error) {
      console.error(`doctor: cannot read the cluster with this kubeconfig (${(error as Error).message}); check --kubeconfig and that its user may read Secrets and create SubjectAccessReviews`);
      return 1;
    }
    for (const verdict of verdicts) console.log(`${verdict.ok ? 'ok  ' : 'FAIL'} ${verdict.check}: ${verdict.detail}`);
    const failed = verdicts.filter((verdict) => !verdict.ok).length;
    console.log(failed === 0 ? `doctor: all ${verdicts.length} checks passed` : `doctor: ${failed} of ${verdicts.length} checks failed`);
    return failed === 0 ? 0 : 1;
  },
};

/** `flux-assets-bootstrap doctor ...`: the exit code. */
export function main(argv: readonly string[]): Promise<number> {
  return runCommand(DOCTOR, argv);
}
