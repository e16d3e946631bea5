/**
 * The formats of the bootstrap's other text values: what the certificate may say, what the
 * container runtime pulls, and what Flux's CRDs accept. Each states the consumer's own rule.
 */
import { DNS_LABEL, type TextRule } from './names.ts';

/**
 * The CN of Flux's client certificate. X.509 allows 64 characters (ub-common-name); the issuer
 * encodes it as a UTF8String, which Go's parser in the API server refuses with control
 * characters; `system:` names are Kubernetes' own identities.
 */
export const COMMON_NAME: TextRule = {
  what: 'a certificate CN: 1 to 64 printable characters, no leading or trailing space, not starting with "system:"',
  // C0 controls, DEL and C1 controls are refused.
  pattern: /^(?!system:)(?! )[^\u0000-\u001f\u007f-\u009f]*(?<! )$/u,
  maxLength: 64,
};

/**
 * The O of Flux's client certificate, the group the API server authenticates it into. X.509
 * allows 64 characters (ub-organization-name). `system:` groups are Kubernetes' own: the signer
 * refuses `system:masters`, and the others (nodes, service accounts) must not be claimable either.
 */
export const ORGANIZATION: TextRule = {
  what: 'a certificate O (a group): 1 to 64 printable characters, no leading or trailing space, not starting with "system:"',
  pattern: COMMON_NAME.pattern,
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
    // The grammar has no room for a registry login (`user:token@registry/...`), but a refused
    // value must not show one either.
    mayHoldCredential: true,
  };
})();

/** A Flux interval: the HelmRepository CRD's own pattern for `spec.interval` (source-controller). */
export const FLUX_DURATION: TextRule = {
  what: 'a duration such as 5m or 1h30m (units h, m, s, ms, as the HelmRepository CRD requires)',
  pattern: /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/,
  maxLength: 64,
};

/**
 * The GitRepository CRD's pattern for `spec.url` (source-controller), without a credential: the
 * URL is committed to Git. An http(s) URL names no user (GitHub and GitLab tokens are often given
 * as one), an ssh:// URL names at most a user without a password (`ssh://git@host/...`, as every
 * SSH Git URL does); no `@` elsewhere, so a password holding a `/` is refused too.
 */
export const GIT_URL: TextRule = {
  what: "an http://, https:// or ssh:// URL without spaces (the GitRepository CRD requires the scheme) and without a credential: no user or token in an http(s) URL, no password in an ssh one, so no '@' but an ssh user's (ssh://git@host/...); a credential belongs in the Secret named by flux.secretName, created by hand in flux-system",
  pattern: /^(?:https?:\/\/|ssh:\/\/(?:[^\s/?#@:]+@)?)[^\s/?#@]+(?:[/?#][^\s@]*)?$/,
  maxLength: 2048,
  mayHoldCredential: true,
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

/** A file path, as the config names a file beside it or the issuer a file in its pod. */
export const FILE_PATH: TextRule = {
  what: 'a file path',
  pattern: /^[^\u0000]+$/,
  maxLength: 4096,
};
