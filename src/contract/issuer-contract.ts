/**
 * The issuer's contract: what synth writes into the Job and the Job reads back, in one place.
 *
 * Synth builds the Job's args with `toIssuerArgs`; the Job reads them with `parseIssuerArgs`, its
 * exact inverse; the cluster config schema, the pod failure policy and doctor take their rules,
 * defaults, limits, exit codes and keys from here. A value that one side accepts and the other
 * refuses cannot be written down twice, because it is written down once.
 */

/**
 * Exit codes are the Job's only interface to the operator besides its logs, so each failure class
 * has its own number (documented in the README). Keep them stable.
 */
export const ExitCode = {
  ok: 0,
  internal: 1,
  badConfig: 2,
  permissionDenied: 3,
  csrDenied: 4,
  signerTimeout: 5,
  apiUnavailable: 6,
  refusedToApprove: 7,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Exit codes after which a retry cannot help, so the pod failure policy fails the Job at once: bad
 * config, a CSR Denied by an approver or Failed by the signer (a new CSR meets the same decision),
 * and a CSR refused as unverified.
 */
export const FINAL_EXIT_CODES: readonly ExitCode[] = [ExitCode.badConfig, ExitCode.csrDenied, ExitCode.refusedToApprove];

/** Labels on everything the issuer creates, so an operator can find it with one selector. */
export const MANAGED_LABELS = {
  'app.kubernetes.io/managed-by': 'flux-assets-bootstrap',
  'app.kubernetes.io/component': 'cert-issuer',
} as const;
/** Ties a CSR to the Secret it is for (the value is the Secret's name), so a later run finds what a dead run left. */
export const SECRET_LABEL = 'flux-assets-bootstrap.io/secret';
export const NOT_AFTER_ANNOTATION = 'flux-assets-bootstrap.io/not-after';
export const RENEW_AFTER_ANNOTATION = 'flux-assets-bootstrap.io/renew-after';
/** Flux reconciles a source at once when this annotation changes. */
export const RECONCILE_REQUESTED_AT_ANNOTATION = 'reconcile.fluxcd.io/requestedAt';

/** A rule for a text value: an anchored ECMAScript pattern (valid in JSON Schema too) and a length. */
export interface TextRule {
  /** What a valid value is, for messages: "a DNS-1123 label (...)". */
  readonly what: string;
  readonly pattern: RegExp;
  /** @default 1 */
  readonly minLength?: number;
  readonly maxLength: number;
}

/**
 * The values each rule has accepted. Synth checks the same values over and over: in a config, again
 * in the constructs, and alike in every cluster. The cron grammar's pattern is about 3 KB, which V8
 * compiles on its first test and again, to machine code, on its second: about 5 ms each, cold.
 */
const accepted = new WeakMap<TextRule, Set<string>>();

/** The problem with `value` under `rule`, showing the value; undefined when it is valid. */
export function textProblem(rule: TextRule, value: string): string | undefined {
  const known = accepted.get(rule);
  if (known?.has(value)) return undefined;
  // Code points, as JSON Schema and Kubernetes count them, not UTF-16 units.
  const length = [...value].length;
  if (!(length >= (rule.minLength ?? 1) && length <= rule.maxLength && rule.pattern.test(value))) {
    return `must be ${rule.what} (got ${JSON.stringify(value)})`;
  }
  if (known === undefined) accepted.set(rule, new Set([value]));
  else known.add(value);
  return undefined;
}

/** k8s.io/apimachinery IsDNS1123Label: namespaces, and names that are also label values or Service names. */
export const DNS_LABEL: TextRule = {
  what: "a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)",
  pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
  maxLength: 63,
};

/** k8s.io/apimachinery IsDNS1123Subdomain: the names of most objects. */
export const DNS_SUBDOMAIN: TextRule = {
  what: "a DNS-1123 subdomain (DNS-1123 labels joined by '.', at most 253 characters)",
  pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  maxLength: 253,
};

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

/** A signer name: `<domain>/<name>`, as the CSR API requires. */
export const SIGNER_NAME: TextRule = {
  what: 'a signer name of the form <domain>/<name>',
  pattern: /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/,
  maxLength: 571,
};

/**
 * The TLS Secret's name: a Secret name (a DNS-1123 subdomain) that is also a label value, because
 * the issuer labels each of its CSRs with it (SECRET_LABEL), so at most 63 characters.
 */
export const SECRET_NAME: TextRule = {
  what: "a DNS-1123 subdomain of at most 63 characters (lowercase letters, digits, '-' and '.', as it is also a label value)",
  pattern: DNS_SUBDOMAIN.pattern,
  maxLength: 63,
};

/** The issuer's ServiceAccount, which synth creates and binds and doctor checks; also its container's name. */
export const ISSUER_SERVICE_ACCOUNT_NAME = 'cert-issuer';

/** The signer that issues client certificates the API server accepts. */
export const DEFAULT_SIGNER_NAME = 'kubernetes.io/kube-apiserver-client';
export const KEY_BITS = [2048, 3072, 4096] as const;
export type KeyBits = (typeof KEY_BITS)[number];
export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Ranges of the issuer's numbers, inclusive. */
export const LIMITS = {
  /** The CSR API refuses less than 600 s; the field is an int32. */
  expirationSeconds: { min: 600, max: 2 ** 31 - 1 },
  timeoutSeconds: { min: 1, max: 3600 },
} as const;

export const DEFAULTS = {
  signerName: DEFAULT_SIGNER_NAME,
  /** One year, the in-tree signer's own default. */
  expirationSeconds: 31_536_000,
  keyBits: 2048 as KeyBits,
  timeoutSeconds: 300,
  logFormat: 'json' as LogFormat,
} as const;

/** A HelmRepository the issuer annotates so that Flux re-reads it with a renewed certificate. */
export interface HelmRepositoryRef {
  readonly namespace: string;
  readonly name: string;
}

/** Everything the issuer program is told, by flags or by `CERT_ISSUER_*` env. */
export interface IssuerArgs {
  readonly commonName: string;
  /** The only Organization (group) the CSR may carry; none when undefined. */
  readonly organization?: string;
  readonly secretName: string;
  /** Every namespace that gets a copy of the Secret; no duplicates. */
  readonly namespaces: readonly string[];
  readonly signerName: string;
  readonly expirationSeconds: number;
  readonly keyBits: KeyBits;
  readonly timeoutSeconds: number;
  readonly refreshHelmRepositories: readonly HelmRepositoryRef[];
  readonly logFormat: LogFormat;
  /** Overrides the CA written as ca.crt, for an API endpoint not served by the cluster CA. */
  readonly caFile?: string;
  /** A kubeconfig to use instead of the in-cluster ServiceAccount. */
  readonly kubeconfig?: string;
}

/** Reads a setting from its flag's text: the value, or the problem as a message. */
type Read<T> = (text: string) => { value: T } | { problem: string };

/** How one setting is written as a flag and read back. */
interface Flag<K extends keyof IssuerArgs> {
  readonly key: K;
  readonly flag: string;
  readonly value: string;
  readonly help: string;
  readonly required?: boolean;
  /** The value, or the problem with `text` as a message. */
  readonly read: Read<NonNullable<IssuerArgs[K]>>;
  /** The flag's text; undefined to leave the flag out. */
  readonly write: (value: IssuerArgs[K]) => string | undefined;
}

type AnyFlag = Flag<keyof IssuerArgs>;
/** Checks each flag's reader and writer against its setting's type, then lets the table hold them all. */
const flag = <K extends keyof IssuerArgs>(spec: Flag<K>): AnyFlag => spec as unknown as AnyFlag;

const text = (rule?: TextRule): Read<string> => (value) => {
  const problem = rule && textProblem(rule, value);
  return problem === undefined ? { value } : { problem };
};

function integer(range: { min: number; max: number }): Read<number> {
  return (value) => {
    const number = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
    return number >= range.min && number <= range.max
      ? { value: number }
      : { problem: `must be a whole number from ${range.min} to ${range.max} (got ${JSON.stringify(value)})` };
  };
}

function oneOf<T extends string | number>(allowed: readonly T[]): Read<T> {
  return (value) => {
    const found = allowed.find((option) => String(option) === value);
    return found === undefined ? { problem: `must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})` } : { value: found };
  };
}

/** A comma-separated list without duplicates; every item is checked by `item`. */
function list<T>(item: Read<T>, minItems: number): Read<T[]> {
  return (value) => {
    const items = [...new Set(value.split(',').map((part) => part.trim()).filter((part) => part !== ''))];
    if (items.length < minItems) return { problem: `must list at least ${minItems} item(s) (got ${JSON.stringify(value)})` };
    const values: T[] = [];
    for (const part of items) {
      const result = item(part);
      if ('problem' in result) return { problem: `${JSON.stringify(part)}: ${result.problem}` };
      values.push(result.value);
    }
    return { value: values };
  };
}

const helmRepositoryRef: Read<HelmRepositoryRef> = (value) => {
  const [namespace = '', name = '', extra] = value.split('/');
  const problem = extra !== undefined
    ? 'must be <namespace>/<name>'
    : textProblem(DNS_LABEL, namespace) ?? textProblem(DNS_SUBDOMAIN, name);
  return problem === undefined ? { value: { namespace, name } } : { problem };
};

const same = (value: string | undefined) => value;
const joined = (values: readonly string[]) => (values.length > 0 ? values.join(',') : undefined);

/** Every flag, in the order `toIssuerArgs` writes them and the usage lists them. */
const FLAGS: readonly AnyFlag[] = [
  flag({ key: 'commonName', flag: 'common-name', value: 'CN', help: 'certificate CN, the identity Flux gets', required: true, read: text(COMMON_NAME), write: same }),
  flag({ key: 'organization', flag: 'organization', value: 'O', help: 'the one Organization allowed in the CSR (default: none)', read: (value) => (value === 'system:masters' ? { problem: 'system:masters is never signed by the API server signer' } : { value }), write: same }),
  flag({ key: 'secretName', flag: 'secret-name', value: 'NAME', help: 'TLS Secret to write', required: true, read: text(SECRET_NAME), write: same }),
  flag({ key: 'namespaces', flag: 'namespaces', value: 'a,b', help: 'namespaces that get a copy of the Secret', required: true, read: list(text(DNS_LABEL), 1), write: joined }),
  flag({ key: 'signerName', flag: 'signer-name', value: 'NAME', help: `default ${DEFAULTS.signerName}`, read: text(SIGNER_NAME), write: same }),
  flag({ key: 'expirationSeconds', flag: 'expiration-seconds', value: 'N', help: `requested lifetime, ${LIMITS.expirationSeconds.min} or more (default ${DEFAULTS.expirationSeconds})`, read: integer(LIMITS.expirationSeconds), write: String }),
  flag({ key: 'keyBits', flag: 'key-bits', value: KEY_BITS.join('|'), help: `RSA key size (default ${DEFAULTS.keyBits})`, read: oneOf(KEY_BITS), write: String }),
  flag({ key: 'timeoutSeconds', flag: 'timeout-seconds', value: 'N', help: `deadline for the whole run, ${LIMITS.timeoutSeconds.min} to ${LIMITS.timeoutSeconds.max} (default ${DEFAULTS.timeoutSeconds})`, read: integer(LIMITS.timeoutSeconds), write: String }),
  flag({ key: 'refreshHelmRepositories', flag: 'refresh-helm-repositories', value: 'ns/name,...', help: 'HelmRepositories to annotate for an immediate reconcile', read: list(helmRepositoryRef, 0), write: (refs) => joined(refs.map((ref) => `${ref.namespace}/${ref.name}`)) }),
  flag({ key: 'caFile', flag: 'ca-file', value: 'PATH', help: "CA written as ca.crt (default: the ServiceAccount's ca.crt)", read: text(), write: same }),
  flag({ key: 'logFormat', flag: 'log-format', value: LOG_FORMATS.join('|'), help: `log line format (default ${DEFAULTS.logFormat})`, read: oneOf(LOG_FORMATS), write: same }),
  flag({ key: 'kubeconfig', flag: 'kubeconfig', value: 'PATH', help: 'use a kubeconfig instead of the in-cluster ServiceAccount (env KUBECONFIG is used when not in a cluster)', read: text(), write: same }),
];

/** The env variable that sets `flag` when the flag is not given. */
export function envName(flag: string): string {
  return `CERT_ISSUER_${flag.toUpperCase().replaceAll('-', '_')}`;
}

/** The issuer's argv for `args` (after the program name): `ensure` and one `--flag=value` each. */
export function toIssuerArgs(args: IssuerArgs): string[] {
  const written = FLAGS.flatMap(({ key, flag, write }) => {
    const value = args[key];
    const text = value === undefined ? undefined : (write as (value: unknown) => string | undefined)(value);
    return text === undefined ? [] : [`--${flag}=${text}`];
  });
  return ['ensure', ...written];
}

/** A bad flag or env value; `problems` holds one line per setting. */
export class IssuerArgsError extends Error {
  public constructor(public readonly problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'IssuerArgsError';
  }
}

/**
 * Reads the issuer's settings from argv (after `ensure`) and env; a flag wins over its env.
 * The exact inverse of `toIssuerArgs` for every IssuerArgs the config schema can produce.
 * @throws IssuerArgsError naming every bad or missing flag at once
 */
export function parseIssuerArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): IssuerArgs {
  const problems: string[] = [];
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!match) {
      problems.push(`unexpected argument ${JSON.stringify(arg)} (see --help)`);
      continue;
    }
    const [, flag = '', inline] = match;
    if (!FLAGS.some((known) => known.flag === flag)) {
      problems.push(`unknown flag --${flag} (see --help)`);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) problems.push(`--${flag}: missing value`);
    else given.set(flag, value);
  }

  const args: Record<string, unknown> = { ...DEFAULTS, refreshHelmRepositories: [] };
  for (const { key, flag, required, read } of FLAGS) {
    const value = given.get(flag) ?? env[envName(flag)];
    if (value === undefined || value === '') {
      if (required) problems.push(`--${flag} is required (or env ${envName(flag)})`);
      continue;
    }
    const result = read(value);
    if ('problem' in result) problems.push(`--${flag}: ${result.problem}`);
    else args[key] = result.value;
  }
  if (problems.length > 0) throw new IssuerArgsError(problems);
  return args as unknown as IssuerArgs;
}

/** The flags part of the issuer's usage text, from the same table that parses them. */
export function issuerFlagsHelp(): string {
  return FLAGS.map(({ flag, value, help, required }) => {
    const left = `  --${flag}=${value}`;
    const right = required ? `${help} (required)` : help;
    return left.length < 35 ? `${left.padEnd(35)}${right}` : `${left}\n${' '.repeat(35)}${right}`;
  }).join('\n');
}
