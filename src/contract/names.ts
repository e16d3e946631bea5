/**
 * Kubernetes' rules for names and label values (k8s.io/apimachinery pkg/util/validation), as text
 * rules the config schema, the constructs' props and the issuer's flags all check values with.
 */

/** A rule for a text value: an anchored ECMAScript pattern (valid in JSON Schema too) and a length. */
export interface TextRule {
  /** What a valid value is, for messages: "a DNS-1123 label (...)". */
  readonly what: string;
  readonly pattern: RegExp;
  /** @default 1 */
  readonly minLength?: number;
  readonly maxLength: number;
  /**
   * Whether a value may hold a credential by mistake (a URL's user and password, a token): its
   * pattern refuses one, and a message shows the value through `redactCredential`.
   */
  readonly mayHoldCredential?: boolean;
}

/** The problem with `value` under `rule`, showing the value; undefined when it is valid. */
export function textProblem(rule: TextRule, value: string): string | undefined {
  // Code points, as JSON Schema and Kubernetes count them, not UTF-16 units.
  const length = [...value].length;
  return length >= (rule.minLength ?? 1) && length <= rule.maxLength && rule.pattern.test(value)
    ? undefined
    : `must be ${rule.what} (got ${JSON.stringify(rule.mayHoldCredential ? redactCredential(value) : value)})`;
}

/**
 * `value` as a message may show it: whatever stands before its last `@` (after a scheme's `://`)
 * is replaced by `***`, so that `https://user:token@host/x` shows as `https://***@host/x`, also
 * when the password holds a `/` or an `@` of its own. An image's digest (`name@sha256:...`) is not
 * a credential and stays.
 */
export function redactCredential(value: string): string {
  return value.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/+)?[\s\S]*@(?!sha256:)/, '$1***@');
}

/** IsDNS1123Label: namespaces, and names that are also label values or Service names. */
export const DNS_LABEL: TextRule = {
  what: "a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)",
  pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
  maxLength: 63,
};

/** IsDNS1123Subdomain: the names of most objects. */
export const DNS_SUBDOMAIN: TextRule = {
  what: "a DNS-1123 subdomain (DNS-1123 labels joined by '.', at most 253 characters)",
  pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  maxLength: 253,
};

/** IsDNS1035Label: a Service name (the assets server's headless Service) must also start with a letter. */
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

/**
 * The TLS Secret's name: a Secret name (a DNS-1123 subdomain) that is also a label value, because
 * the issuer labels each of its CSRs with it (SECRET_LABEL), so at most 63 characters.
 */
export const SECRET_NAME: TextRule = {
  what: "a DNS-1123 subdomain of at most 63 characters (lowercase letters, digits, '-' and '.', as it is also a label value)",
  pattern: DNS_SUBDOMAIN.pattern,
  maxLength: 63,
};

/** IsQualifiedName: a label or taint key, `[prefix/]name`. */
export const QUALIFIED_NAME: TextRule = {
  what: "a qualified name such as example.com/dedicated or dedicated (a name of at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit, after an optional DNS subdomain prefix and '/')",
  pattern: /^(?:(?=[^/]{1,253}\/)[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
  maxLength: 317,
};

/** IsValidLabelValue, as a toleration's or a node selector's value must be. */
export const LABEL_VALUE: TextRule = {
  what: "a label value (at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit)",
  pattern: /^[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/,
  maxLength: 63,
};

/** A signer name: `<domain>/<name>`, as the CSR API requires. */
export const SIGNER_NAME: TextRule = {
  what: 'a signer name of the form <domain>/<name>',
  pattern: /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/,
  maxLength: 571,
};
