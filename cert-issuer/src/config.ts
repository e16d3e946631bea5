import { isIPv6 } from 'node:net';
import { ConfigError } from './errors.ts';
import {
  type HelmRepositoryRef, type IssuerArgs, IssuerArgsError, issuerFlagsHelp, parseIssuerArgs,
} from '../../src/contract/issuer-flags.ts';

/** Where the API server is and how we authenticate to it. */
export type ClusterAccess =
  | { kind: 'in-cluster'; server: string; serviceAccountDir: string }
  | { kind: 'kubeconfig'; path: string };

export type { HelmRepositoryRef };

/** What a run is told: the contract's settings, with the cluster access they resolve to. */
export interface Config extends Omit<IssuerArgs, 'kubeconfig'> {
  readonly serviceAccountDir: string;
  readonly cluster: ClusterAccess;
}

export type Command = { command: 'help' } | { command: 'ensure'; config: Config };

export const usage = `Usage: cert-issuer [ensure] [--flag=value ...]
       cert-issuer --help

Issues (or renews) a client certificate from the cluster's own signer and stores it as a
kubernetes.io/tls Secret in every target namespace. Exits 0 without writing when the stored
certificate is still good. Every flag can also be set as env CERT_ISSUER_<FLAG_IN_UPPER_SNAKE>;
the flag wins.

${issuerFlagsHelp()}

Exit codes: 0 ok, 1 internal error, 2 bad config, 3 permission denied, 4 CSR denied or failed,
5 signer timeout, 6 API unavailable, 7 refused to approve an unverified CSR.
`;

const defaultServiceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Turns argv (without node and script) and env into a Command, or throws a ConfigError naming every bad flag. */
export function parseCommand(argv: string[], env: Record<string, string | undefined>): Command {
  if (argv.some((a) => a === '--help' || a === '-h' || a === 'help')) return { command: 'help' };
  let args: IssuerArgs;
  try {
    args = parseIssuerArgs(argv[0] === 'ensure' ? argv.slice(1) : argv, env);
  } catch (error) {
    if (error instanceof IssuerArgsError) throw new ConfigError(error.message);
    throw error;
  }
  const serviceAccountDir = env.CERT_ISSUER_SERVICEACCOUNT_DIR || defaultServiceAccountDir;
  const { kubeconfig, ...settings } = args;
  const config = { ...settings, serviceAccountDir, cluster: clusterAccess(kubeconfig, env, serviceAccountDir) };
  return { command: 'ensure', config };
}

/**
 * An explicit --kubeconfig wins; inside a pod the ServiceAccount is used; a KUBECONFIG env is the
 * fallback for running the program from a workstation.
 */
function clusterAccess(
  kubeconfig: string | undefined,
  env: Record<string, string | undefined>,
  serviceAccountDir: string,
): ClusterAccess {
  if (kubeconfig) return { kind: 'kubeconfig', path: kubeconfig };
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (host && port) {
    if (!/^\d{1,5}$/.test(port)) throw new ConfigError(`KUBERNETES_SERVICE_PORT: "${port}" is not a port`);
    // Every IPv6 literal has a colon, names and IPv4 have none; asking isIPv6 only then spares
    // every run the compilation of Node's large IPv6 pattern (BENCHMARKS.md, Why the code is shaped this way).
    const ipv6 = host.includes(':') && isIPv6(host);
    return { kind: 'in-cluster', server: `https://${ipv6 ? `[${host}]` : host}:${port}`, serviceAccountDir };
  }
  if (env.KUBECONFIG) return { kind: 'kubeconfig', path: env.KUBECONFIG };
  throw new ConfigError(
    'no cluster to talk to: set KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT (in a pod) or --kubeconfig / KUBECONFIG',
  );
}
