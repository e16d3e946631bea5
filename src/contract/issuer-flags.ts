/**
 * The issuer's flags: what synth writes into the Job's args and the Job reads back. The settings
 * are the config's own (src/contract/settings.ts) plus the few only the Job has; this file says
 * how each is written as `--flag=text` and read back, nothing about what a valid value is.
 *
 * `toIssuerArgs` and `parseIssuerArgs` are exact inverses for every value the schema accepts, so a
 * value synth writes is a value the Job reads (a property test holds them to it).
 */
import { FILE_PATH } from './formats.ts';
import { KEY_BITS, KUBE_APISERVER_CLIENT_SIGNER, LOG_FORMATS } from './issuer-api.ts';
import { DNS_LABEL, DNS_SUBDOMAIN, SIGNER_NAME } from './names.ts';
import { array, type ConfigIssue, type Input, object, oneOf, optional, type Output, required, text } from './settings-schema.ts';
import { CERTIFICATE_FIELDS, ISSUER_FIELDS, REPOSITORY_FIELDS } from './issuer-settings.ts';

/** A HelmRepository the issuer annotates so that Flux re-reads it with a renewed certificate. */
const HELM_REPOSITORY_REF = object({ namespace: REPOSITORY_FIELDS.namespace, name: REPOSITORY_FIELDS.name });
export type HelmRepositoryRef = Output<typeof HELM_REPOSITORY_REF>;

/** Everything the issuer program is told, by flags or by `CERT_ISSUER_*` env, in the order of its usage. */
export const ISSUER_ARGS = object({
  commonName: CERTIFICATE_FIELDS.commonName,
  organization: CERTIFICATE_FIELDS.organization,
  secretName: CERTIFICATE_FIELDS.secretName,
  namespaces: required(array(text(DNS_LABEL), { minItems: 1 }), 'Comma-separated namespaces that get a copy of the Secret.'),
  signerName: optional(text(SIGNER_NAME), 'The CSR signer.', KUBE_APISERVER_CLIENT_SIGNER),
  expirationSeconds: CERTIFICATE_FIELDS.expirationSeconds,
  keyBits: CERTIFICATE_FIELDS.keyBits,
  timeoutSeconds: ISSUER_FIELDS.timeoutSeconds,
  refreshHelmRepositories: optional(array(HELM_REPOSITORY_REF), '`namespace/name,...` of the HelmRepositories to annotate after a write, so Flux reads them at once.', [], 'none'),
  caFile: optional(text(FILE_PATH), "CA that verifies the API endpoint when its serving certificate is not from the cluster CA: trusted for the issuer's own API connection and written as the Secret's `ca.crt`.", undefined, "the ServiceAccount's `ca.crt`"),
  logFormat: optional(oneOf(LOG_FORMATS), '`json` lines or `text` for terminals; logs go to stderr.', 'json'),
  runName: optional(text(DNS_SUBDOMAIN), "The run's name, written into the Secret's `flux-assets-bootstrap.io/issued-by` annotation when it issues; the Job and the CronJob set it to their Job's name.", undefined, 'none'),
  kubeconfig: optional(text(FILE_PATH), 'A kubeconfig to use instead of the in-cluster ServiceAccount (env `KUBECONFIG` is used when not in a cluster).', undefined, 'in-cluster'),
});
export type IssuerArgs = Output<typeof ISSUER_ARGS>;
type Key = keyof IssuerArgs;

/** Text a codec cannot read, with what it must look like. */
class Unreadable {
  public constructor(public readonly problem: string) {}
}

/**
 * How a setting is written as a flag's text and read back. `read` checks only the text's shape;
 * what a valid value is, the settings' schema says.
 */
interface Codec {
  readonly value: string;
  readonly write: (value: never) => string | undefined;
  readonly read: (text: string) => unknown;
  /** A list's codec of one item. */
  readonly item?: Codec;
}

const plain = (value: string): Codec => ({ value, write: (text: string) => text, read: (text) => text });
const whole = (value: string): Codec => ({
  value,
  write: (number: number) => String(number),
  read: (text) => (/^\d{1,10}$/.test(text) ? Number(text) : new Unreadable(`must be a whole number (got ${JSON.stringify(text)})`)),
});
/** A comma-separated list; repeated items are read once. */
const list = (value: string, item: Codec): Codec => ({
  value,
  item,
  write: (items: readonly never[]) => (items.length > 0 ? items.map(item.write).join(',') : undefined),
  read: (text) => {
    const items = [...new Set(text.split(',').map((part) => part.trim()).filter((part) => part !== ''))].map(item.read);
    return items.find((read) => read instanceof Unreadable) ?? items;
  },
});
const ref: Codec = {
  value: 'ns/name',
  write: ({ namespace, name }: HelmRepositoryRef) => `${namespace}/${name}`,
  read: (text) => {
    const [namespace, name, extra] = text.split('/');
    return extra === undefined && name !== undefined ? { namespace, name } : new Unreadable(`${JSON.stringify(text)} must be <namespace>/<name>`);
  },
};

const CODECS: { readonly [K in Key]-?: Codec } = {
  commonName: plain('CN'),
  organization: plain('O'),
  secretName: plain('NAME'),
  namespaces: list('a,b', plain('NAME')),
  signerName: plain('NAME'),
  expirationSeconds: whole('N'),
  keyBits: whole(KEY_BITS.join('|')),
  timeoutSeconds: whole('N'),
  refreshHelmRepositories: list('ns/name,...', ref),
  caFile: plain('PATH'),
  logFormat: plain(LOG_FORMATS.join('|')),
  runName: plain('NAME'),
  kubeconfig: plain('PATH'),
};
const KEYS = Object.keys(ISSUER_ARGS.fields) as Key[];

/** The flag of a setting: `timeoutSeconds` is `--timeout-seconds`. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** The env variable that sets `flag` when the flag is not given. */
function envName(flag: string): string {
  return `CERT_ISSUER_${flag.toUpperCase().replaceAll('-', '_')}`;
}

/** The env variable of a setting, for a value only the pod knows (its Job's name, from the downward API). */
export function issuerEnvName(key: Key): string {
  return envName(flagName(key));
}

/** The issuer's argv for `args` (after the program name): `ensure` and one `--flag=value` each. */
export function toIssuerArgs(args: Input<typeof ISSUER_ARGS>): string[] {
  const written = KEYS.flatMap((key) => {
    const value = (args as Partial<Record<Key, unknown>>)[key];
    const text = value === undefined ? undefined : (CODECS[key].write as (value: unknown) => string | undefined)(value);
    return text === undefined ? [] : [`--${flagName(key)}=${text}`];
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
 * The exact inverse of `toIssuerArgs` for every IssuerArgs the settings' schema accepts.
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
    if (!KEYS.some((key) => flagName(key) === flag)) {
      problems.push(`unknown flag --${flag} (see --help)`);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) problems.push(`--${flag}: missing value`);
    else given.set(flag, value);
  }

  const raw: Record<string, unknown> = {};
  for (const key of KEYS) {
    const flag = flagName(key);
    const text = given.get(flag) ?? env[envName(flag)];
    if (text === undefined || text === '') continue;
    const read = CODECS[key].read(text);
    if (read instanceof Unreadable) problems.push(`--${flag}: ${read.problem}`);
    else raw[key] = read;
  }
  const issues: ConfigIssue[] = [];
  const args = ISSUER_ARGS.parse(raw, '', issues);
  for (const { path, message } of issues) {
    const [, key = '', item] = /^([A-Za-z]+)(?:\[(\d+)\])?/.exec(path) ?? [];
    const flag = flagName(key);
    const itemCodec = CODECS[key as Key].item;
    const itemText = item === undefined || itemCodec === undefined ? '' : `${JSON.stringify(itemCodec.write((raw[key] as never[])[Number(item)]!))}: `;
    problems.push(message === 'is required' ? `--${flag} is required (or env ${envName(flag)})` : `--${flag}: ${itemText}${message}`);
  }
  if (problems.length > 0 || args === undefined) throw new IssuerArgsError(problems);
  return args;
}

/** The flags part of the issuer's usage text, from the same settings that parse them. */
export function issuerFlagsHelp(): string {
  return KEYS.map((key) => {
    const field = ISSUER_ARGS.fields[key];
    const left = `  --${flagName(key)}=${CODECS[key].value}`;
    const fallback = field.defaultDoc ?? (field.fallback === undefined || Array.isArray(field.fallback) ? undefined : String(field.fallback));
    const right = `${field.doc.replaceAll('`', '').replace(/\.$/, '')}${field.required ? ' (required)' : fallback === undefined ? '' : ` (default ${fallback.replaceAll('`', '')})`}`;
    return left.length < 35 ? `${left.padEnd(35)}${right}` : `${left}\n${' '.repeat(35)}${right}`;
  }).join('\n');
}
