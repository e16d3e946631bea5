import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { ApiEndpoint } from './api-endpoint.ts';
import {
  array, boolean, type ConfigIssue, integer, object, oneOf, optional, refine, report, required, type Schema, string,
} from './config-schema.ts';

/** One Helm repository that the assets server serves under `/repos/<name>`. */
export interface RepositoryConfig {
  /** Repository name: the HelmRepository's name and the path under `/repos/`. */
  readonly name: string;
  /** Namespace of the HelmRepository; the TLS Secret is copied into it. */
  readonly namespace: string;
  /** How often Flux re-reads the index, as a Go duration. @default 5m */
  readonly interval: string;
}

/** An extra toleration for the assets server and cert-issuer pods. */
export interface TolerationConfig {
  readonly key?: string;
  /** @default Equal when `value` is set, else Exists */
  readonly operator?: string;
  readonly value?: string;
  readonly effect?: string;
  readonly tolerationSeconds?: number;
}

/** The content of one `clusters/<name>.yaml`. */
export interface ClusterConfig {
  /** Cluster name: the file's base name, and the folder under `dist/`. */
  readonly name: string;
  /** The file this config came from, for messages. */
  readonly file: string;
  /** `host:port` of the API endpoint that Flux and the cert-issuer use. */
  readonly endpoint: ApiEndpoint;
  /**
   * PEM CA bundle that verifies `endpoint`, read from `apiCAFile` (relative to the config file).
   * @default - the cluster CA from the ServiceAccount token mount
   */
  readonly apiCA?: string;
  readonly assets: {
    readonly namespace: string;
    readonly name: string;
    /** Image pinned by digest or by a tag other than `latest`. */
    readonly image: string;
    /** @default 8123 */
    readonly port: number;
  };
  readonly repositories: readonly RepositoryConfig[];
  readonly certificate: {
    /** The identity Flux presents; the reader RoleBinding names it as a User. */
    readonly commonName: string;
    readonly secretName: string;
    /** Requested lifetime; the signer may shorten it. @default 31536000 (one year) */
    readonly expirationSeconds: number;
    /** @default 2048 */
    readonly keyBits: number;
  };
  readonly issuer: {
    readonly image: string;
    /** How long the Job waits for the signer before it gives up. @default 300 */
    readonly timeoutSeconds: number;
    /** When the renewal CronJob runs. @default 17 *\/6 * * * (four times a day) */
    readonly renewalSchedule: string;
    /**
     * Whether the API server enforces, by a ValidatingAdmissionPolicy, that the issuer's
     * ServiceAccount requests and approves nothing but the reader's certificate. Off only for
     * clusters older than Kubernetes 1.30, which lack admissionregistration.k8s.io/v1 policies.
     * @default true
     */
    readonly admissionPolicy: boolean;
  };
  /** Added to the built-in tolerations for a cluster that is still coming up. @default none */
  readonly tolerations: readonly TolerationConfig[];
}

/** A config file that cannot be used, with every problem found in it. */
export class ClusterConfigError extends Error {
  public constructor(
    public readonly file: string,
    public readonly issues: readonly ConfigIssue[],
  ) {
    super(issues.map((issue) => `${file}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`).join('\n'));
    this.name = 'ClusterConfigError';
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
const DIGEST = /@sha256:[0-9a-f]{64}$/;
const TAG = /^[^@]+:([\w][\w.-]{0,127})$/;

function dnsLabel(what: string, maxLength = 63): Schema<string> {
  return string((value) =>
    value.length <= maxLength && DNS_LABEL.test(value)
      ? undefined
      : `must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most ${maxLength} characters) to be a valid ${what} (got "${value}")`,
  );
}

const secretName = string((value) =>
  value.length <= 253 && DNS_SUBDOMAIN.test(value)
    ? undefined
    : `must be a DNS-1123 subdomain to be a valid Secret name (got "${value}")`,
);

const endpoint: Schema<ApiEndpoint> = (value, path, issues) => {
  const text = string()(value, path, issues);
  if (text === undefined) return undefined;
  try {
    return ApiEndpoint.parse(text);
  } catch (error) {
    return report(issues, path, (error as Error).message);
  }
};

const pinnedImage = string((value) => {
  if (DIGEST.test(value)) return undefined;
  const tag = TAG.exec(value)?.[1];
  if (tag === undefined) return `must be pinned by digest (@sha256:...) or tag (got "${value}", which has neither)`;
  if (tag === 'latest') return `must be pinned by digest or by a tag other than "latest" (got "${value}")`;
  return undefined;
});

const commonName = string((value) => {
  if (value.length === 0 || value.length > 64) return 'must be 1 to 64 characters (the X.509 limit for a CN)';
  if (value.startsWith('system:')) return `must not start with "system:", which is reserved for Kubernetes identities (got "${value}")`;
  return undefined;
});

const CRON_FIELD = /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/\d+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/\d+)?)*$/;
const cronSchedule = string((value) => {
  const fields = value.trim().split(/\s+/);
  const macro = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(value.trim());
  return macro || (fields.length === 5 && fields.every((field) => CRON_FIELD.test(field)))
    ? undefined
    : `must be a cron schedule with 5 fields, such as "17 */6 * * *", or a macro such as @daily (got "${value}")`;
});

const toleration = object({
  key: optional(string()),
  operator: optional(oneOf(['Exists', 'Equal'])),
  value: optional(string()),
  effect: optional(oneOf(['NoSchedule', 'PreferNoSchedule', 'NoExecute'])),
  tolerationSeconds: optional(integer(0, 2 ** 31 - 1)),
});

const repository = object({
  name: required(dnsLabel('repository name')),
  namespace: required(dnsLabel('namespace')),
  interval: optional(string((value) => (GO_DURATION.test(value) ? undefined : `must be a Go duration such as 5m or 1h30m (got "${value}")`)), '5m'),
});

const repositories = refine(array(repository, 1), (repos, path, issues) => {
  const firstIndex = new Map<string, number>();
  repos.forEach((repo, index) => {
    const earlier = firstIndex.get(repo.name);
    if (earlier === undefined) firstIndex.set(repo.name, index);
    else report(issues, `${path}[${index}].name`, `duplicates repositories[${earlier}]: "${repo.name}" is served at /repos/${repo.name} only once`);
  });
});

/** The schema of a cluster config file, before the file-level fields (name, CA file) are resolved. */
const clusterFile = object({
  endpoint: required(endpoint),
  apiCAFile: optional(string()),
  assets: required(object({
    namespace: required(dnsLabel('namespace')),
    // The pod is <name>-0 and the headless Service is <name>, which must start with a letter.
    name: required(refine(dnsLabel('StatefulSet name', 61), (value, path, issues) => {
      if (!/^[a-z]/.test(value)) report(issues, path, `must start with a letter, because it also names a Service (got "${value}")`);
    })),
    image: required(pinnedImage),
    // The server runs as non-root with every capability dropped, so it cannot bind below 1024.
    port: optional(integer(1024, 65535), 8123),
  })),
  repositories: required(repositories),
  certificate: required(object({
    commonName: required(commonName),
    secretName: required(secretName),
    // The in-tree signer ignores requests under 10 minutes; the API field is an int32.
    expirationSeconds: optional(integer(600, 2 ** 31 - 1), 31_536_000),
    keyBits: optional(oneOf([2048, 3072, 4096]), 2048),
  })),
  issuer: required(object({
    image: required(pinnedImage),
    timeoutSeconds: optional(integer(30, 3600), 300),
    renewalSchedule: optional(cronSchedule, '17 */6 * * *'),
    admissionPolicy: optional(boolean(), true),
  })),
  tolerations: optional(array(toleration), []),
});

/**
 * Parses and validates one cluster config.
 * @param file path used in messages and to resolve `apiCAFile`
 * @throws ClusterConfigError naming the file and every bad field
 */
export function parseClusterConfig(file: string, text: string): ClusterConfig {
  const issues: ConfigIssue[] = [];
  const name = basename(file).replace(/\.ya?ml$/, '');
  if (!DNS_LABEL.test(name) || name.length > 63) {
    report(issues, '', `the file name "${name}" must be a DNS-1123 label, because it names the cluster and its dist/ folder`);
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (document.errors.length > 0) {
    for (const error of document.errors) {
      const at = lineCounter.linePos(error.pos[0]);
      report(issues, '', `line ${at.line}, column ${at.col}: invalid YAML: ${error.message.split('\n')[0]}`);
    }
    throw new ClusterConfigError(file, issues);
  }
  const parsed = clusterFile(document.toJS(), '', issues);
  if (parsed === undefined || issues.length > 0) throw new ClusterConfigError(file, issues);

  const { apiCAFile, ...rest } = parsed;
  const apiCA = apiCAFile === undefined ? undefined : readCABundle(file, apiCAFile, issues);
  if (issues.length > 0) throw new ClusterConfigError(file, issues);
  return { name, file, ...rest, ...(apiCA === undefined ? {} : { apiCA }) };
}

/** Reads and validates a cluster config file. */
export function loadClusterConfig(file: string): ClusterConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ClusterConfigError(file, [{ path: '', message: `cannot read the file: ${(error as Error).message}` }]);
  }
  return parseClusterConfig(file, text);
}

function readCABundle(configFile: string, caFile: string, issues: ConfigIssue[]): string | undefined {
  const path = resolve(dirname(configFile), caFile);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    return report(issues, 'apiCAFile', `cannot read "${caFile}" (relative to the config file): ${(error as Error).message}`);
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return report(issues, 'apiCAFile', `"${caFile}" holds no PEM certificate`);
  for (const block of blocks) {
    try {
      if (!new X509Certificate(block).ca) return report(issues, 'apiCAFile', `"${caFile}" holds a certificate that is not a CA`);
    } catch (error) {
      return report(issues, 'apiCAFile', `"${caFile}" holds an unreadable certificate: ${(error as Error).message}`);
    }
  }
  return `${blocks.join('\n')}\n`;
}
