import { isIPv6 } from 'node:net';
import { ConfigError } from './errors.ts';

/** Where the API server is and how we authenticate to it. */
export type ClusterAccess =
  | { kind: 'in-cluster'; server: string; serviceAccountDir: string }
  | { kind: 'kubeconfig'; path: string };

export interface HelmRepositoryRef {
  namespace: string;
  name: string;
}

export interface Config {
  commonName: string;
  /** The only Organization (group) the CSR may carry; none when undefined. */
  organization: string | undefined;
  secretName: string;
  namespaces: string[];
  signerName: string;
  expirationSeconds: number;
  keyBits: 2048 | 3072 | 4096;
  timeoutSeconds: number;
  refreshHelmRepositories: HelmRepositoryRef[];
  logFormat: 'json' | 'text';
  /** Overrides the CA written as ca.crt, for an API endpoint that is not served by the cluster CA. */
  caFile: string | undefined;
  serviceAccountDir: string;
  cluster: ClusterAccess;
}

export type Command = { command: 'help' } | { command: 'ensure'; config: Config };

export const usage = `Usage: cert-issuer [ensure] [--flag=value ...]
       cert-issuer --help

Issues (or renews) a client certificate from the cluster's own signer and stores it as a
kubernetes.io/tls Secret in every target namespace. Exits 0 without writing when the stored
certificate is still good. Every flag can also be set as env CERT_ISSUER_<FLAG_IN_UPPER_SNAKE>;
the flag wins.

  --common-name=CN                 certificate CN, the identity Flux gets (required)
  --organization=O                 the one Organization allowed in the CSR (default: none)
  --secret-name=NAME               TLS Secret to write (required)
  --namespaces=a,b                 namespaces that get a copy of the Secret (required)
  --signer-name=NAME               default kubernetes.io/kube-apiserver-client
  --expiration-seconds=N           requested lifetime, >= 600 (default 31536000)
  --key-bits=2048|3072|4096        RSA key size (default 2048)
  --timeout-seconds=N              deadline for the whole run (default 300)
  --refresh-helm-repositories=ns/name,...
                                   HelmRepositories to annotate for an immediate reconcile
  --log-format=json|text           default json
  --ca-file=PATH                   CA written as ca.crt (default: the ServiceAccount's ca.crt)
  --kubeconfig=PATH                use a kubeconfig instead of the in-cluster ServiceAccount
                                   (env KUBECONFIG is used when not in a cluster)

Exit codes: 0 ok, 1 internal error, 2 bad config, 3 permission denied, 4 CSR denied or failed,
5 signer timeout, 6 API unavailable, 7 refused to approve an unverified CSR.
`;

const flags = [
  'common-name',
  'organization',
  'secret-name',
  'namespaces',
  'signer-name',
  'expiration-seconds',
  'key-bits',
  'timeout-seconds',
  'refresh-helm-repositories',
  'log-format',
  'ca-file',
  'kubeconfig',
] as const;
type Flag = (typeof flags)[number];

const defaultServiceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';
// The CSR name is `<secret>-<8 hex>` and the secret name is also a label value, so it must be a
// DNS-1123 label (63 characters at most).
const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Turns argv (without node and script) and env into a Command, or throws a ConfigError naming the flag. */
export function parseCommand(argv: string[], env: Record<string, string | undefined>): Command {
  const args = [...argv];
  if (args.some((a) => a === '--help' || a === '-h' || a === 'help')) return { command: 'help' };
  if (args[0] === 'ensure') args.shift();

  const given = new Map<Flag, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!match) throw new ConfigError(`unexpected argument "${arg}" (see --help)`);
    const name = match[1] as Flag;
    if (!flags.includes(name)) throw new ConfigError(`unknown flag --${match[1]} (see --help)`);
    const value = match[2] ?? args[++i];
    if (value === undefined) throw new ConfigError(`--${name}: missing value`);
    given.set(name, value);
  }
  const read = (flag: Flag): string | undefined => {
    const value = given.get(flag) ?? env[envName(flag)];
    return value === '' ? undefined : value;
  };
  const required = (flag: Flag): string => {
    const value = read(flag);
    if (value === undefined) throw new ConfigError(`--${flag} is required (or env ${envName(flag)})`);
    return value;
  };

  const commonName = required('common-name');
  if (commonName.length > 64) throw new ConfigError('--common-name: at most 64 characters (X.509 limit)');
  const organization = read('organization');
  if (organization === 'system:masters') {
    throw new ConfigError('--organization: system:masters is never signed by the API server signer');
  }

  const secretName = required('secret-name');
  if (!dnsLabel.test(secretName)) throw new ConfigError(`--secret-name: "${secretName}" is not a DNS-1123 label`);

  const namespaces = [...new Set(list(required('namespaces')))];
  const badNamespace = namespaces.find((ns) => !dnsLabel.test(ns));
  if (badNamespace !== undefined || namespaces.length === 0) {
    throw new ConfigError(`--namespaces: "${badNamespace ?? ''}" is not a namespace name`);
  }

  const signerName = read('signer-name') ?? 'kubernetes.io/kube-apiserver-client';
  if (!/^[a-z0-9.-]+\/[A-Za-z0-9._-]+$/.test(signerName)) {
    throw new ConfigError(`--signer-name: "${signerName}" is not of the form <domain>/<name>`);
  }

  const expirationSeconds = integer('expiration-seconds', read('expiration-seconds') ?? '31536000');
  // The API rejects anything shorter, and the in-tree signer ignores it anyway.
  if (expirationSeconds < 600) throw new ConfigError('--expiration-seconds: must be at least 600');

  const keyBits = integer('key-bits', read('key-bits') ?? '2048');
  if (keyBits !== 2048 && keyBits !== 3072 && keyBits !== 4096) {
    throw new ConfigError('--key-bits: must be 2048, 3072 or 4096');
  }

  const timeoutSeconds = integer('timeout-seconds', read('timeout-seconds') ?? '300');
  if (timeoutSeconds < 1) throw new ConfigError('--timeout-seconds: must be at least 1');

  const refreshHelmRepositories = list(read('refresh-helm-repositories') ?? '').map((ref) => {
    const [namespace, name, extra] = ref.split('/');
    if (extra !== undefined || !namespace || !name || !dnsLabel.test(namespace) || !dnsSubdomain.test(name)) {
      throw new ConfigError(`--refresh-helm-repositories: "${ref}" is not <namespace>/<name>`);
    }
    return { namespace, name };
  });

  const logFormat = read('log-format') ?? 'json';
  if (logFormat !== 'json' && logFormat !== 'text') throw new ConfigError('--log-format: must be json or text');

  const serviceAccountDir = env.CERT_ISSUER_SERVICEACCOUNT_DIR || defaultServiceAccountDir;
  return {
    command: 'ensure',
    config: {
      commonName,
      organization,
      secretName,
      namespaces,
      signerName,
      expirationSeconds,
      keyBits,
      timeoutSeconds,
      refreshHelmRepositories,
      logFormat,
      caFile: read('ca-file'),
      serviceAccountDir,
      cluster: clusterAccess(read('kubeconfig'), env, serviceAccountDir),
    },
  };
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
    // every run the compilation of Node's large IPv6 pattern, about 4 ms of its start-up.
    const ipv6 = host.includes(':') && isIPv6(host);
    return { kind: 'in-cluster', server: `https://${ipv6 ? `[${host}]` : host}:${port}`, serviceAccountDir };
  }
  if (env.KUBECONFIG) return { kind: 'kubeconfig', path: env.KUBECONFIG };
  throw new ConfigError(
    'no cluster to talk to: set KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT (in a pod) or --kubeconfig / KUBECONFIG',
  );
}

function envName(flag: Flag): string {
  return `CERT_ISSUER_${flag.toUpperCase().replaceAll('-', '_')}`;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function integer(flag: Flag, value: string): number {
  if (!/^\d+$/.test(value)) throw new ConfigError(`--${flag}: "${value}" is not a whole number`);
  return Number(value);
}
