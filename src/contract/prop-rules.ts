/**
 * The rules for the bootstrap's values that both the cluster config and the constructs check, so a
 * value the YAML flow refuses is refused the same way, with the same message, when an app passes it
 * to a construct. The issuer's own rules (names, CN, limits) are in src/contract/issuer-contract.ts.
 */
import type { IConstruct } from 'constructs';
import { DNS_LABEL, LIMITS, type TextRule } from './issuer-contract.ts';
import { array, type ConfigIssue, object, optional, required, type Schema, text } from './schema.ts';
import { semverRangeProblem, VERSION_RANGE } from './semver-range.ts';

/** A Service name (the assets server's headless Service) must also start with a letter. */
export const DNS_1035_LABEL: TextRule = {
  what: "a DNS-1035 label (lowercase letters, digits and '-', starting with a letter and ending with a letter or digit)",
  pattern: /^[a-z]([-a-z0-9]*[a-z0-9])?$/,
  maxLength: 63,
};

/**
 * The StatefulSet's name. Its pods carry the label `controller-revision-hash: <name>-<hash>`, with a
 * hash of up to 10 characters, and a label value has at most 63: so at most 52 characters, or the
 * StatefulSet is accepted and its pod never created (k8s.io/kubernetes pkg/controller/history).
 */
export const STATEFULSET_NAME: TextRule = { ...DNS_1035_LABEL, what: `${DNS_1035_LABEL.what.replace(')', ', at most 52 characters because its pods carry "<name>-<revision hash>" as a label value)')}`, maxLength: 52 };

/** A Flux interval: the HelmRepository CRD's own pattern for `spec.interval` (source-controller). */
export const FLUX_DURATION: TextRule = {
  what: 'a duration such as 5m or 1h30m (units h, m, s, ms, as the HelmRepository CRD requires)',
  pattern: /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/,
  maxLength: 64,
};

/**
 * An image reference the container runtime can pull: the grammar of github.com/distribution/reference
 * (the runtime's parser), pinned by a digest or by a tag other than `latest`.
 */
export const PINNED_IMAGE: TextRule = (() => {
  const component = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
  const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
  const domain = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
  const name = `(?:${domain}/)?${component}(?:/${component})*`;
  const tag = '[\\w][\\w.-]{0,127}';
  const digest = '@sha256:[a-f0-9]{64}';
  return {
    what: 'an image reference pinned by digest (name@sha256:<64 hex>) or by a tag other than "latest" (name:tag), with a lowercase repository name',
    pattern: new RegExp(`^${name}(?::(?!latest(?:@|$))${tag}|(?::${tag})?${digest})$`),
    maxLength: 512,
  };
})();

/** The GitRepository CRD's pattern for `spec.url` (source-controller). */
export const GIT_URL: TextRule = {
  what: 'an http://, https:// or ssh:// URL without spaces (the GitRepository CRD requires the scheme)',
  pattern: /^(http|https|ssh):\/\/\S+$/,
  maxLength: 2048,
};

/** A branch name, as Git allows it in practice: '/'-separated parts without spaces or '..'. */
export const GIT_BRANCH: TextRule = {
  what: "a branch name ('/'-separated parts of letters, digits, '.', '_' and '-')",
  pattern: /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/,
  maxLength: 255,
};

/** A folder in the Git repository, relative to its root, as the Kustomization's `spec.path` takes it. */
export const REPOSITORY_PATH: TextRule = {
  what: "a folder relative to the repository's root such as ./dist/dev ('/'-separated parts of letters, digits, '.', '_' and '-')",
  pattern: /^(\.\/)?[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*\/?$/,
  maxLength: 1024,
};

/** Helm's limit on release names (53 characters: it appends suffixes to them) on a DNS-1123 label. */
export const RELEASE_NAME: TextRule = { ...DNS_LABEL, what: DNS_LABEL.what.replace('at most 63 characters', "at most 53 characters, Helm's limit on release names"), maxLength: 53 };

/** Helm's chart names: lowercase letters, digits, '-', '_' and '.'. */
export const CHART_NAME: TextRule = {
  what: "a chart name (lowercase letters, digits, '-', '_' and '.', starting and ending with a letter or digit)",
  pattern: /^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/,
  maxLength: 253,
};

/** A release's chart version range, as source-controller parses it (see semver-range.ts). */
export const CHART_VERSION_RANGE = text(VERSION_RANGE, semverRangeProblem);

/** How often helm-controller retries a failed install or upgrade before it remediates for good. */
export const REMEDIATION_RETRIES = { min: 0, max: 100 } as const;

/** The assets server runs as non-root with every capability dropped, so it cannot bind below 1024. */
export const ASSETS_PORT = { min: 1024, max: 65535 } as const;

/** Below 30 s a slow controller-manager fails the Job for nothing; the issuer itself takes from 1. */
export const ISSUER_TIMEOUT_SECONDS = { min: 30, max: LIMITS.timeoutSeconds.max } as const;

/** Defaults that the constructs apply and the config reference documents. */
export const BOOTSTRAP_DEFAULTS = {
  assetsPort: 8123,
  interval: '5m',
  /** Four times a day, off the full hour that other CronJobs crowd. */
  renewalSchedule: '17 */6 * * *',
} as const;

/** The Helm repositories the assets server serves: the config's `repositories` and the bootstrap's prop. */
export const REPOSITORIES = array(object({
  name: required(text(DNS_LABEL), 'HelmRepository name and folder under `/repos/`; unique.'),
  namespace: required(text(DNS_LABEL), 'Namespace of the HelmRepository; it gets a copy of the TLS Secret.'),
  interval: optional(text(FLUX_DURATION), 'How often Flux re-reads the index.', BOOTSTRAP_DEFAULTS.interval),
}), { minItems: 1, uniqueBy: 'name', why: 'each repository is served at /repos/<name> only once' });

/** One prop of a construct, the schema the cluster config checks the same value with, and the value. */
export type PropCheck = readonly [prop: string, schema: Schema<unknown>, value: unknown];

/**
 * Checks a construct's props; an absent optional prop is not checked.
 * @throws Error naming the construct's path and every bad prop with its value
 */
export function validateProps(scope: IConstruct, checks: readonly PropCheck[]): void {
  const issues: ConfigIssue[] = [];
  for (const [prop, schema, value] of checks) {
    if (value !== undefined) schema.parse(value, prop, issues);
  }
  if (issues.length > 0) {
    throw new Error(`${scope.node.path}: invalid props: ${issues.map((issue) => `${issue.path} ${issue.message}`).join('; ')}`);
  }
}
