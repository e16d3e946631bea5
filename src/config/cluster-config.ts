import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { API_ENDPOINT_PATTERN, ApiEndpoint } from '../contract/api-endpoint.ts';
import {
  COMMON_NAME, DEFAULTS, DNS_LABEL, DNS_SUBDOMAIN, KEY_BITS, type KeyBits, LIMITS, SECRET_NAME, type TextRule, textProblem,
} from '../contract/issuer-contract.ts';
import { array, boolean, type ConfigIssue, converted, integer, mapping, object, oneOf, optional, report, required, text } from '../contract/schema.ts';
import { CRON_SCHEDULE, cronRangeProblem } from '../contract/cron-schedule.ts';
import {
  ASSETS_PORT, BOOTSTRAP_DEFAULTS, CHART_NAME, CHART_VERSION_RANGE, FLUX_DURATION, GIT_BRANCH, GIT_URL, ISSUER_TIMEOUT_SECONDS, PINNED_IMAGE, RELEASE_NAME,
  REMEDIATION_RETRIES, REPOSITORIES, REPOSITORY_PATH, STATEFULSET_NAME,
} from '../contract/prop-rules.ts';

/** One Helm repository that the assets server serves under `/repos/<name>`. */
export interface RepositoryConfig {
  /** Repository name: the HelmRepository's name and the path under `/repos/`. */
  readonly name: string;
  /** Namespace of the HelmRepository; the TLS Secret is copied into it. */
  readonly namespace: string;
  /** How often Flux re-reads the index, as a Go duration. @default 5m */
  readonly interval: string;
}

/** Where the cluster's folder is in Git, for the Flux sync objects. */
export interface FluxConfig {
  /** Git URL of the repository that holds `dist/`. */
  readonly url: string;
  /** @default main */
  readonly branch: string;
  /** Existing Secret in `flux-system` with the Git credentials. @default none */
  readonly secretName?: string;
  /** @default 1m */
  readonly interval: string;
  /** The folder this cluster applies. @default ./dist/<cluster> */
  readonly path: string;
}

/** A HelmRelease installed from one of the assets repositories. */
export interface ReleaseConfig {
  readonly name: string;
  readonly namespace: string;
  /** The `repositories[].name` the chart comes from. */
  readonly repository: string;
  readonly chart: string;
  /** Semver range. @default * (no pre-releases) */
  readonly version: string;
  /** @default 5m */
  readonly interval: string;
  /** @default - the chart's defaults */
  readonly values?: Readonly<Record<string, unknown>>;
  /** Names of releases in the same config that must be Ready first. @default none */
  readonly dependsOn: readonly string[];
  readonly install: { readonly retries: number };
  readonly upgrade: { readonly retries: number; readonly strategy: 'rollback' | 'uninstall' };
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
    readonly keyBits: KeyBits;
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
  /** The Flux sync objects of the cluster's folder. @default - none synthesized */
  readonly flux?: FluxConfig;
  /** @default none */
  readonly releases: readonly ReleaseConfig[];
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

/** k8s.io/apimachinery IsQualifiedName: a label or taint key, `[prefix/]name`. */
const QUALIFIED_NAME: TextRule = {
  what: "a qualified name such as example.com/dedicated or dedicated (a name of at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit, after an optional DNS subdomain prefix and '/')",
  pattern: /^(?:(?=[^/]{1,253}\/)[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
  maxLength: 317,
};

/** k8s.io/apimachinery IsValidLabelValue, as a toleration's value must be. */
const LABEL_VALUE: TextRule = {
  what: "a label value (at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit)",
  pattern: /^[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/,
  maxLength: 63,
};

const endpoint = converted(text(undefined), (value) => ApiEndpoint.parse(value), API_ENDPOINT_PATTERN);

/** The API's rules for a toleration (k8s.io/kubernetes pkg/apis/core/validation, ValidateTolerations). */
const toleration = object({
  key: optional(text(QUALIFIED_NAME), 'The taint key to tolerate; without one, the toleration matches every taint.'),
  operator: optional(oneOf(['Exists', 'Equal']), 'How `value` is compared.', undefined, '`Equal` when `value` is set, else `Exists`'),
  value: optional(text(LABEL_VALUE), 'The taint value, with operator `Equal`.'),
  effect: optional(oneOf(['NoSchedule', 'PreferNoSchedule', 'NoExecute']), 'The taint effect to tolerate.', undefined, 'every effect'),
  tolerationSeconds: optional(integer({ min: 0, max: 2 ** 31 - 1 }), 'How long a `NoExecute` taint is tolerated before the pod is evicted.', undefined, 'forever'),
}, [
  { when: { field: 'key', is: 'absent' }, then: { field: 'operator', notEquals: 'Equal' }, message: 'must be Exists when key is empty (the API requires it: a toleration without a key matches every taint)' },
  { when: { field: 'key', is: 'absent' }, then: { field: 'value', is: 'absent' }, message: 'must be empty when key is empty (a toleration without a key matches every taint, whatever its value)' },
  { when: { field: 'operator', equals: 'Exists' }, then: { field: 'value', is: 'absent' }, message: 'must be empty when operator is Exists (the API refuses a value there)' },
  { when: { field: 'tolerationSeconds', is: 'present' }, then: { field: 'effect', equals: 'NoExecute' }, message: 'must be NoExecute when tolerationSeconds is set (the API refuses tolerationSeconds with any other effect)' },
]);

const flux = object({
  url: required(text(GIT_URL), 'Git URL of the repository that holds `clusters/` and `dist/`, e.g. `https://git.example.org/fleet.git`.'),
  branch: optional(text(GIT_BRANCH), 'Branch Flux follows.', 'main'),
  secretName: optional(text(DNS_SUBDOMAIN), 'Existing Secret in `flux-system` with the Git credentials (username/password, a token or an SSH key). Created by hand; never in Git.', undefined, 'none: a public repository'),
  interval: optional(text(FLUX_DURATION), 'How often Flux fetches the branch and re-applies the folder.', '1m'),
  path: optional(text(REPOSITORY_PATH), 'Folder of the repository that this cluster applies.', undefined, '`./dist/<cluster>`'),
});

const release = object({
  name: required(text(RELEASE_NAME), 'HelmRelease and Helm release name (at most 53 characters); unique in the config.'),
  namespace: required(text(DNS_LABEL), "Namespace of the HelmRelease and of what the chart installs; synthesized unless the bootstrap has it already or it is one of Kubernetes' own (`default`, `kube-*`)."),
  repository: required(text(DNS_LABEL), 'The `repositories[].name` the chart comes from, through the pod proxy with the issued certificate.'),
  chart: required(text(CHART_NAME), "Chart name in that repository's index."),
  version: optional(CHART_VERSION_RANGE, "Semver range of the chart version. The default takes no pre-releases (Flux's own default); write a range with a pre-release part, such as `>=0.0.0-0`, to take them.", '*'),
  interval: optional(text(FLUX_DURATION), 'How often helm-controller checks the release and its chart.', '5m'),
  values: optional(mapping(), 'Values passed to the chart.', undefined, "the chart's defaults"),
  dependsOn: optional(array(text(RELEASE_NAME)), 'Names of releases in this config that must be Ready before this one installs or upgrades.', [], 'none'),
  install: optional(object({
    retries: optional(integer(REMEDIATION_RETRIES), 'Retries after a failed install; each failed attempt is uninstalled first.', 3),
  }), 'Install remediation.', { retries: 3 }),
  upgrade: optional(object({
    retries: optional(integer(REMEDIATION_RETRIES), 'Retries after a failed upgrade.', 3),
    strategy: optional(oneOf(['rollback', 'uninstall'] as const), 'What to do once the upgrade retries are spent: roll back to the last release that worked, or uninstall.', 'rollback'),
  }), 'Upgrade remediation.', { retries: 3, strategy: 'rollback' as const }),
});

/** The schema of a cluster config file, before the file-level fields (name, CA file) are resolved. */
export const clusterFileSchema = object({
  endpoint: required(endpoint, '`host:port` of the API endpoint Flux and the issuer use, e.g. `localhost:7445` or `api.example.org:6443`. No scheme, no path; IPv6 in brackets.'),
  apiCAFile: optional(text(undefined), "PEM file (relative to the config) with the CA that verifies `endpoint`, for endpoints whose serving certificate is not signed by the cluster CA. It is shipped in a ConfigMap, used by the issuer to reach the API, and written as the Secret's `ca.crt`.", undefined, 'the cluster CA'),
  assets: required(object({
    namespace: required(text(DNS_LABEL), 'Namespace of the assets StatefulSet, the reader Role and the issuer. Labelled Pod Security `privileged` (hostNetwork).'),
    name: required(text(STATEFULSET_NAME), 'StatefulSet and headless Service name (at most 52 characters); the pod is always `<name>-0`.'),
    image: required(text(PINNED_IMAGE), 'Static HTTP server image that serves `/repos/<repo>/index.yaml`. Pinned by digest or a tag other than `latest`.'),
    port: optional(integer(ASSETS_PORT), 'Container and host port, 1024–65535 (the server runs as non-root).', BOOTSTRAP_DEFAULTS.assetsPort),
  }), 'The in-cluster HTTP server that Flux reads charts from through the pod proxy.'),
  repositories: required(REPOSITORIES, 'The Helm repositories the assets server serves, one HelmRepository each.'),
  certificate: required(object({
    commonName: required(text(COMMON_NAME), "CN of Flux's client certificate, the User the reader RoleBinding names. At most 64 characters; must not start with `system:`."),
    secretName: required(text(SECRET_NAME), 'Name of the `kubernetes.io/tls` Secret in every repository namespace (at most 63 characters: it is also a label value).'),
    expirationSeconds: optional(integer(LIMITS.expirationSeconds), "Requested lifetime (≥ 600); the signer's `--cluster-signing-duration` may shorten it.", DEFAULTS.expirationSeconds),
    keyBits: optional(oneOf(KEY_BITS), 'RSA key size: 2048, 3072 or 4096.', DEFAULTS.keyBits),
  }), "Flux's client certificate and the Secret that holds it."),
  issuer: required(object({
    image: required(text(PINNED_IMAGE), 'The cert-issuer image built from `cert-issuer/Dockerfile`, pinned.'),
    timeoutSeconds: optional(integer(ISSUER_TIMEOUT_SECONDS), 'How long the Job waits for the signer (30–3600).', DEFAULTS.timeoutSeconds),
    renewalSchedule: optional(text(CRON_SCHEDULE, cronRangeProblem), 'Cron schedule (UTC) of the renewal CronJob.', BOOTSTRAP_DEFAULTS.renewalSchedule),
    admissionPolicy: optional(boolean(), "Synthesize the ValidatingAdmissionPolicy that lets the issuer's ServiceAccount create and approve nothing but its own CSRs for `certificate.commonName` (see [Security model](#security-model)). Needs Kubernetes 1.30 or later; set `false` only on older clusters, which then trust the assets namespace like cluster-admin.", true),
  }), 'The Job and CronJob that issue and renew the certificate.'),
  tolerations: optional(array(toleration), 'Extra tolerations for both pods, added to the built-in ones (not-ready, unreachable, network-unavailable, uninitialized, control-plane, `node.cilium.io/agent-not-ready`).', [], 'none'),
  flux: optional(flux, 'With it, the folder holds a GitRepository and a Kustomization `flux-assets-bootstrap` in `flux-system` that apply it from Git with `prune: true` (see [Applying](#applying)).', undefined, 'no sync objects'),
  releases: optional(array(release, { uniqueBy: 'name', why: '`dependsOn` names releases' }), 'HelmReleases that install charts from the assets repositories (see [Applying](#applying)).', [], 'none'),
});

/**
 * Parses and validates one cluster config.
 * @param file path used in messages and to resolve `apiCAFile`
 * @throws ClusterConfigError naming the file and every bad field
 */
export function parseClusterConfig(file: string, text: string): ClusterConfig {
  const issues: ConfigIssue[] = [];
  const name = basename(file).replace(/\.ya?ml$/, '');
  const badName = textProblem(DNS_LABEL, name);
  if (badName) report(issues, '', `the file name ${JSON.stringify(name)} names the cluster and its dist/ folder, so it ${badName.replace(/ \(got .*\)$/, '')}`);

  const raw = readYaml(text, issues);
  if (raw === undefined) throw new ClusterConfigError(file, issues);
  const parsed = clusterFileSchema.parse(raw, '', issues);
  // The CA file is checked even when other fields are wrong: every problem in one run.
  const caFile = (raw as { apiCAFile?: unknown } | null)?.apiCAFile;
  const apiCA = typeof caFile === 'string' && caFile !== '' ? readCABundle(file, caFile, issues) : undefined;
  // Like the CA file, the references between sections are checked whatever else is wrong.
  checkReleaseReferences(raw, issues);
  if (parsed === undefined || issues.length > 0) throw new ClusterConfigError(file, issues);

  const { apiCAFile: _resolved, flux: fluxSection, tolerations, ...rest } = parsed;
  return {
    name,
    file,
    ...rest,
    tolerations: tolerations.map(withOperator),
    ...(fluxSection === undefined ? {} : { flux: { ...fluxSection, path: fluxSection.path ?? `./dist/${name}` } }),
    ...(apiCA === undefined ? {} : { apiCA }),
  };
}

/**
 * What JSON Schema cannot state about `releases`: each `repository` names a repository of the
 * config, and `dependsOn` names other releases of it, without a cycle (helm-controller would wait
 * for ever). Read from the raw config, so these problems are reported beside any other.
 */
function checkReleaseReferences(raw: unknown, issues: ConfigIssue[]): void {
  const list = (value: unknown): Record<string, unknown>[] =>
    Array.isArray(value) ? value.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null) : [];
  const names = (items: Record<string, unknown>[]) => items.map((item) => item.name).filter((n): n is string => typeof n === 'string');
  const config = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const repositories = names(list(config.repositories));
  const releases = list(config.releases);
  const releaseNames = names(releases);
  const graph = new Map<string, string[]>();
  releases.forEach((release, index) => {
    const path = `releases[${index}]`;
    // Without any repository the missing list is the one problem to report.
    if (typeof release.repository === 'string' && repositories.length > 0 && !repositories.includes(release.repository)) {
      report(issues, `${path}.repository`, `must name one of the config's repositories (${repositories.join(', ')}) (got ${JSON.stringify(release.repository)})`);
    }
    const dependsOn = (Array.isArray(release.dependsOn) ? release.dependsOn : []).filter((d): d is string => typeof d === 'string');
    dependsOn.forEach((dependency, at) => {
      if (dependency === release.name) report(issues, `${path}.dependsOn[${at}]`, 'must not name the release itself');
      else if (!releaseNames.includes(dependency)) {
        report(issues, `${path}.dependsOn[${at}]`, `must name another release of this config (${releaseNames.join(', ')}) (got ${JSON.stringify(dependency)})`);
      }
    });
    if (typeof release.name === 'string') graph.set(release.name, dependsOn.filter((d) => d !== release.name));
  });
  const cycle = findCycle(graph);
  if (cycle) report(issues, `releases[${releaseNames.indexOf(cycle[0]!)}].dependsOn`, `must not form a cycle (${cycle.join(' -> ')}): none of its releases would ever install`);
}

/** A dependency cycle as the names along it, the first repeated at the end; undefined when there is none. */
function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const done = new Set<string>();
  const visit = (name: string, trail: readonly string[]): string[] | undefined => {
    if (trail.includes(name)) return [...trail.slice(trail.indexOf(name)), name];
    if (done.has(name)) return undefined;
    for (const next of graph.get(name) ?? []) {
      const cycle = visit(next, [...trail, name]);
      if (cycle) return cycle;
    }
    done.add(name);
    return undefined;
  };
  for (const name of graph.keys()) {
    const cycle = visit(name, []);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * The toleration with its operator written out: the API's default is Equal, which with no key is
 * refused and with a key but no value matches only an empty value. The config's default is what
 * a user means by leaving it out: Equal when a value is given, else Exists.
 */
function withOperator(toleration: TolerationConfig): TolerationConfig {
  return { ...toleration, operator: toleration.operator ?? (toleration.value === undefined ? 'Exists' : 'Equal') };
}

/**
 * The YAML document as plain data, or undefined after reporting why it cannot be read. The
 * parser's own limits (too many aliases, a billion-laughs document) are reported like syntax
 * errors, not thrown.
 */
function readYaml(text: string, issues: ConfigIssue[]): unknown {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  for (const error of document.errors) {
    const at = lineCounter.linePos(error.pos[0]);
    report(issues, '', `line ${at.line}, column ${at.col}: invalid YAML: ${error.message.split('\n')[0]}`);
  }
  if (document.errors.length > 0) return undefined;
  try {
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return report(issues, '', `invalid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
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
