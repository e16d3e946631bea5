/**
 * Configs a careful person could write, each with one mistake, and the message synth must give.
 * Shared by the synth tests and the JSON Schema test, so that every case is both refused by synth
 * and (unless it says why not) flagged by an editor.
 */
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';

export const devText = readFileSync('clusters/dev.yaml', 'utf8');

/** The dev config with `change` applied to its parsed form; its sections are all there to change. */
export function devWith(change: (config: any) => void): string {
  const config = parse(devText);
  config.issuer ??= {};
  change(config);
  return stringify(config);
}

export interface BadConfig {
  readonly what: string;
  readonly text: string;
  /** The start of the line synth reports (`clusters/dev.yaml: <field>: ...`). */
  readonly message: string;
  /** Why JSON Schema cannot flag this one; every other case must fail the JSON Schema. */
  readonly beyondJsonSchema?: string;
  /** A credential the config holds by mistake: the message must not show it. */
  readonly secret?: string;
}

const file = 'clusters/dev.yaml';
const hashOf64 = 'a'.repeat(64);

export const BAD_CONFIGS: readonly BadConfig[] = [
  // Names, as the API validates them.
  { what: 'an invalid DNS-1123 namespace', text: devWith((c) => { c.assets.namespace = 'Cozy_System'; }), message: `${file}: assets.namespace: must be a DNS-1123 label` },
  { what: 'an invalid repository name', text: devWith((c) => { c.repositories[1].name = 'apps.v2'; }), message: `${file}: repositories[1].name: must be a DNS-1123 label` },
  { what: 'a StatefulSet name whose pods\' revision label would be over 63 characters', text: devWith((c) => { c.assets.name = 'a'.repeat(53); }), message: `${file}: assets.name: must be a DNS-1035 label (lowercase letters, digits and '-', starting with a letter and ending with a letter or digit, at most 52 characters` },
  { what: 'an assets name starting with a digit, which cannot name a Service', text: devWith((c) => { c.assets.name = '1assets'; }), message: `${file}: assets.name: must be a DNS-1035 label` },
  { what: 'an uppercase Secret name', text: devWith((c) => { c.certificate.secretName = 'TLS'; }), message: `${file}: certificate.secretName: must be a DNS-1123 subdomain of at most 63 characters` },
  { what: 'a Secret name too long to be the label value on its CSRs', text: devWith((c) => { c.certificate.secretName = `tls.${'a'.repeat(60)}`; }), message: `${file}: certificate.secretName: must be a DNS-1123 subdomain of at most 63 characters` },
  // The endpoint.
  { what: 'an endpoint without a port', text: devWith((c) => { c.endpoint = 'api.example.org'; }), message: `${file}: endpoint: must be host:port, without a scheme or path (got "api.example.org")` },
  { what: 'an endpoint with a scheme', text: devWith((c) => { c.endpoint = 'https://api.example.org:6443'; }), message: `${file}: endpoint: must be host:port, without a scheme or path` },
  { what: 'an endpoint port out of range', text: devWith((c) => { c.endpoint = 'localhost:70000'; }), message: `${file}: endpoint: port must be from 1 to 65535 (got 70000)` },
  { what: 'an endpoint with a user and password', text: devWith((c) => { c.endpoint = 'admin:s3cr3t-pw@api.example.org:6443'; }), message: `${file}: endpoint: must be host:port without a user or password: Flux and the issuer authenticate with certificates, and the endpoint goes into Git in every HelmRepository's URL (got "***@api.example.org:6443")`, secret: 's3cr3t-pw' },
  { what: 'a bracketed endpoint that is not an IPv6 address', text: devWith((c) => { c.endpoint = '[::::]:6443'; }), message: `${file}: endpoint: host "[::::]" is not a DNS name`, beyondJsonSchema: 'the groups of an IPv6 address' },
  // Ports and numbers.
  { what: 'an assets port out of range', text: devWith((c) => { c.assets.port = 70000; }), message: `${file}: assets.port: must be an integer from 1024 to 65535 (got 70000)` },
  { what: 'a privileged assets port the non-root server cannot bind', text: devWith((c) => { c.assets.port = 80; }), message: `${file}: assets.port: must be an integer from 1024 to 65535 (got 80)` },
  { what: 'a lifetime under 600 s', text: devWith((c) => { c.certificate.expirationSeconds = 599; }), message: `${file}: certificate.expirationSeconds: must be an integer from 600 to 2147483647 (got 599)` },
  { what: 'an unsupported key size', text: devWith((c) => { c.certificate.keyBits = 1024; }), message: `${file}: certificate.keyBits: must be one of 2048, 3072, 4096 (got 1024)` },
  // Requests and limits, as the API server parses and validates them.
  { what: 'a CPU request that is not a quantity', text: devWith((c) => { c.assets.resources = { requests: { cpu: '100 m' } }; }), message: `${file}: assets.resources.requests.cpu: must be a quantity such as 100m, 0.5, 64Mi or 1e9` },
  { what: 'a negative memory limit', text: devWith((c) => { c.issuer.resources = { limits: { memory: -1 } }; }), message: `${file}: issuer.resources.limits.memory: must be a quantity such as 100m, 0.5, 64Mi or 1e9 (a number without sign, then n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent e<n> of 1 to 3 digits) (got "-1")` },
  { what: 'a resource other than CPU and memory', text: devWith((c) => { c.assets.resources = { limits: { 'ephemeral-storage': '1Gi' } }; }), message: `${file}: assets.resources.limits.ephemeral-storage: unknown field (allowed: cpu, memory)` },
  { what: 'a memory request above its limit', text: devWith((c) => { c.issuer.resources = { requests: { memory: '256Mi' }, limits: { memory: '0.125Gi' } }; }), message: `${file}: issuer.resources.requests.memory: must be at most the memory limit 0.125Gi, as the API requires (got "256Mi")`, beyondJsonSchema: 'comparing two quantities' },
  // Images, as the container runtime parses them.
  { what: 'an unpinned assets image', text: devWith((c) => { c.assets.image = 'ghcr.io/cozystack/assets'; }), message: `${file}: assets.image: must be an image reference pinned by digest` },
  { what: 'an issuer image on the latest tag', text: devWith((c) => { c.issuer.image = 'ghcr.io/example/cert-issuer:latest'; }), message: `${file}: issuer.image: must be an image reference pinned by digest (name@sha256:<64 hex>) or by a tag other than "latest"` },
  { what: 'a Node image on the latest tag', text: devWith((c) => { c.issuer.nodeImage = 'gcr.io/distroless/nodejs24-debian12:latest'; }), message: `${file}: issuer.nodeImage: must be an image reference pinned by digest` },
  { what: 'a Node image beside an issuer image, which brings its own Node', text: devWith((c) => { c.issuer.image = 'ghcr.io/example/cert-issuer:0.1.0'; c.issuer.nodeImage = 'gcr.io/distroless/nodejs24-debian12:nonroot'; }), message: `${file}: issuer.nodeImage: must be absent when issuer.image is set: that image brings its own Node` },
  { what: 'an image with an uppercase repository the runtime cannot pull', text: devWith((c) => { c.assets.image = 'ghcr.io/Cozystack/assets:v1'; }), message: `${file}: assets.image: must be an image reference` },
  { what: 'an image with a space', text: devWith((c) => { c.issuer.image = 'ghcr.io/example/cert-issuer: 0.1.0'; }), message: `${file}: issuer.image: must be an image reference` },
  { what: 'an image with a registry login', text: devWith((c) => { c.assets.image = 'robot:s3cr3t-pull-token@registry.example.org/cozystack/assets:v1'; }), message: `${file}: assets.image: must be an image reference`, secret: 's3cr3t-pull-token' },
  { what: 'a digest that is too short', text: devWith((c) => { c.issuer.image = `ghcr.io/example/cert-issuer@sha256:${hashOf64.slice(1)}`; }), message: `${file}: issuer.image: must be an image reference` },
  // The certificate, as the signer's CSR parser and RBAC take it.
  { what: 'a CN reserved for Kubernetes identities', text: devWith((c) => { c.certificate.commonName = 'system:kube-controller-manager'; }), message: `${file}: certificate.commonName: must be a certificate CN` },
  { what: 'a CN longer than X.509 allows', text: devWith((c) => { c.certificate.commonName = 'r'.repeat(65); }), message: `${file}: certificate.commonName: must be a certificate CN` },
  { what: 'a CN with a control character', text: devWith((c) => { c.certificate.commonName = 'reader\tone'; }), message: `${file}: certificate.commonName: must be a certificate CN` },
  { what: 'a CN with a trailing space', text: devWith((c) => { c.certificate.commonName = 'reader '; }), message: `${file}: certificate.commonName: must be a certificate CN` },
  // Flux's CRD.
  { what: 'an interval that is not a duration', text: devWith((c) => { c.repositories[0].interval = '5 minutes'; }), message: `${file}: repositories[0].interval: must be a duration such as 5m or 1h30m` },
  { what: 'an interval in microseconds, a Go duration the CRD refuses', text: devWith((c) => { c.repositories[0].interval = '300000000us'; }), message: `${file}: repositories[0].interval: must be a duration such as 5m or 1h30m (units h, m, s, ms` },
  // The CronJob schedule, as the API server's cron parser reads it.
  { what: 'a renewal schedule that is not cron', text: devWith((c) => { c.issuer.renewalSchedule = 'every 6 hours'; }), message: `${file}: issuer.renewalSchedule: must be a cron schedule of 5 fields` },
  { what: 'a minute out of range', text: devWith((c) => { c.issuer.renewalSchedule = '60 */6 * * *'; }), message: `${file}: issuer.renewalSchedule: must be a cron schedule of 5 fields` },
  { what: 'Sunday as 7, which this cron parser refuses', text: devWith((c) => { c.issuer.renewalSchedule = '17 3 * * 7'; }), message: `${file}: issuer.renewalSchedule: must be a cron schedule of 5 fields` },
  { what: 'a step of zero', text: devWith((c) => { c.issuer.renewalSchedule = '*/0 * * * *'; }), message: `${file}: issuer.renewalSchedule: must be a cron schedule of 5 fields` },
  { what: 'a time zone in the schedule, which the CronJob\'s timeZone forbids', text: devWith((c) => { c.issuer.renewalSchedule = 'CRON_TZ=UTC 17 */6 * * *'; }), message: `${file}: issuer.renewalSchedule: must be a cron schedule of 5 fields` },
  { what: 'a range that runs backwards', text: devWith((c) => { c.issuer.renewalSchedule = '17 20-4 * * *'; }), message: `${file}: issuer.renewalSchedule: must not have a hour range that runs backwards: 20-4`, beyondJsonSchema: 'comparing two numbers' },
  // Tolerations, as the API validates them.
  { what: 'a toleration with an invalid effect', text: devWith((c) => { c.tolerations = [{ key: 'x', effect: 'Never' }]; }), message: `${file}: tolerations[0].effect: must be one of NoSchedule, PreferNoSchedule, NoExecute (got "Never")` },
  { what: 'a toleration key that is not a qualified name', text: devWith((c) => { c.tolerations = [{ key: 'node role', operator: 'Exists' }]; }), message: `${file}: tolerations[0].key: must be a qualified name` },
  { what: 'a toleration value that is not a label value', text: devWith((c) => { c.tolerations = [{ key: 'dedicated', value: 'boot strap' }]; }), message: `${file}: tolerations[0].value: must be a label value` },
  { what: 'a toleration with a value but no key', text: devWith((c) => { c.tolerations = [{ value: 'bootstrap', effect: 'NoSchedule' }]; }), message: `${file}: tolerations[0].value: must be empty when key is empty` },
  { what: 'a toleration with operator Equal but no key', text: devWith((c) => { c.tolerations = [{ operator: 'Equal' }]; }), message: `${file}: tolerations[0].operator: must be Exists when key is empty` },
  { what: 'a toleration with operator Exists and a value', text: devWith((c) => { c.tolerations = [{ key: 'dedicated', operator: 'Exists', value: 'bootstrap' }]; }), message: `${file}: tolerations[0].value: must be empty when operator is Exists` },
  { what: 'tolerationSeconds with an effect other than NoExecute', text: devWith((c) => { c.tolerations = [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 60 }]; }), message: `${file}: tolerations[0].effect: must be NoExecute when tolerationSeconds is set` },
  // The pods' node selector, as the API validates labels.
  { what: 'a node selector key that is not a qualified name', text: devWith((c) => { c.nodeSelector = { 'node role': 'bootstrap' }; }), message: `${file}: nodeSelector.node role: key must be a qualified name` },
  { what: 'a node selector value that is not a label value', text: devWith((c) => { c.nodeSelector = { 'example.com/pool': 'boot strap' }; }), message: `${file}: nodeSelector.example.com/pool: must be a label value (empty, or at most 63 letters` },
  { what: 'a node selector value that is not a string', text: devWith((c) => { c.nodeSelector = { 'example.com/pool': 1 }; }), message: `${file}: nodeSelector.example.com/pool: must be a string (got 1)` },
  { what: 'a node selector written as a list', text: devWith((c) => { c.nodeSelector = ['example.com/pool=bootstrap']; }), message: `${file}: nodeSelector: must be a mapping (got a list)` },
  // The pods' PriorityClass.
  { what: 'a PriorityClass name that is not a DNS-1123 subdomain', text: devWith((c) => { c.priorityClassName = 'Bootstrap Critical'; }), message: `${file}: priorityClassName: must be a DNS-1123 subdomain` },
  // The pods' pull Secrets.
  { what: 'a pull Secret name that is not a DNS-1123 subdomain', text: devWith((c) => { c.imagePullSecrets = ['Registry_Credentials']; }), message: `${file}: imagePullSecrets[0]: must be a DNS-1123 subdomain` },
  { what: 'a pull Secret listed twice', text: devWith((c) => { c.imagePullSecrets = ['registry', 'mirror', 'registry']; }), message: `${file}: imagePullSecrets[2]: duplicates imagePullSecrets[0] "registry": server-side apply keys the pod's list by name` },
  // The namespaces that exist before the bootstrap.
  { what: 'an existing namespace that is not a DNS-1123 label', text: devWith((c) => { c.existingNamespaces = ['cozy-system', 'Cozy_Public']; }), message: `${file}: existingNamespaces[1]: must be a DNS-1123 label` },
  { what: 'an existing namespace listed twice', text: devWith((c) => { c.existingNamespaces = ['cozy-system', 'cozy-system']; }), message: `${file}: existingNamespaces[1]: duplicates existingNamespaces[0] "cozy-system": each namespace is listed once` },
  { what: 'existing namespaces written as one string', text: devWith((c) => { c.existingNamespaces = 'cozy-system'; }), message: `${file}: existingNamespaces: must be a list (got "cozy-system")` },
  // Structure.
  { what: 'a duplicate repository', text: devWith((c) => { c.repositories.push({ name: 'apps', namespace: 'cozy-system' }); }), message: `${file}: repositories[3].name: duplicates repositories[1].name "apps"`, beyondJsonSchema: 'uniqueness by one field of the items' },
  { what: 'no repositories', text: devWith((c) => { c.repositories = []; }), message: `${file}: repositories: must list at least 1 item(s)` },
  { what: 'an admission policy switch that is a string', text: devWith((c) => { c.issuer.admissionPolicy = 'false'; }), message: `${file}: issuer.admissionPolicy: must be true or false (got "false")` },
  { what: 'an unknown top-level field', text: devWith((c) => { c.endpoints = 'localhost:7445'; }), message: `${file}: endpoints: unknown field (allowed: endpoint, apiCAFile, assets, repositories, certificate, issuer, tolerations, nodeSelector, priorityClassName, imagePullSecrets, existingNamespaces, flux, releases)` },
  { what: 'an unknown nested field', text: devWith((c) => { c.certificate.lifetime = 600; }), message: `${file}: certificate.lifetime: unknown field` },
  { what: 'a missing required field', text: devWith((c) => { delete c.certificate.commonName; }), message: `${file}: certificate.commonName: is required` },
  { what: 'a field of the wrong type', text: devWith((c) => { c.assets = 'cozy-system'; }), message: `${file}: assets: must be a mapping (got "cozy-system")` },
  { what: 'an empty file', text: '', message: `${file}: (top level): must be a mapping (got null)` },
  // The Flux sync and the releases.
  { what: 'a Git URL without a scheme', text: devWith((c) => { c.flux.url = 'git.example.org/fleet.git'; }), message: `${file}: flux.url: must be an http://, https:// or ssh:// URL` },
  { what: 'a Git URL with a user and a token', text: devWith((c) => { c.flux.url = 'https://flux:glpat-s3cr3tT0ken@git.example.org/fleet/clusters.git'; }), message: `${file}: flux.url: must be an http://, https:// or ssh:// URL without spaces (the GitRepository CRD requires the scheme) and without a credential: no user or token in an http(s) URL, no password in an ssh one, so no '@' but an ssh user's (ssh://git@host/...); a credential belongs in the Secret named by flux.secretName, created by hand in flux-system (got "https://***@git.example.org/fleet/clusters.git")`, secret: 'glpat-s3cr3tT0ken' },
  { what: 'a Git URL with a token as its user', text: devWith((c) => { c.flux.url = 'https://ghp_s3cr3tT0ken@github.com/fleet/clusters.git'; }), message: `${file}: flux.url: must be an http://, https:// or ssh:// URL without spaces (the GitRepository CRD requires the scheme) and without a credential`, secret: 'ghp_s3cr3tT0ken' },
  { what: 'a Git URL with a password that holds a slash', text: devWith((c) => { c.flux.url = 'https://flux:s3cr3t/pw@git.example.org/fleet/clusters.git'; }), message: `${file}: flux.url: must be an http://, https:// or ssh:// URL`, secret: 's3cr3t/pw' },
  { what: 'an ssh Git URL with a password', text: devWith((c) => { c.flux.url = 'ssh://git:s3cr3t-pw@git.example.org/fleet/clusters.git'; }), message: `${file}: flux.url: must be an http://, https:// or ssh:// URL without spaces (the GitRepository CRD requires the scheme) and without a credential`, secret: 's3cr3t-pw' },
  { what: 'a flux section without its URL', text: devWith((c) => { delete c.flux.url; }), message: `${file}: flux.url: is required` },
  { what: 'a sync path with a space', text: devWith((c) => { c.flux.path = './dist/my dev'; }), message: `${file}: flux.path: must be a folder relative to the repository's root` },
  { what: 'a release name over Helm\'s 53 characters', text: devWith((c) => { c.releases[0].name = 'r'.repeat(54); }), message: `${file}: releases[0].name: must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 53 characters, Helm's limit on release names)` },
  { what: 'a release from a repository the config does not have', text: devWith((c) => { c.releases[0].repository = 'sytem'; }), message: `${file}: releases[0].repository: must name one of the config's repositories (system, apps, extra) (got "sytem")`, beyondJsonSchema: 'a reference to another section' },
  { what: 'a release that depends on an unknown release', text: devWith((c) => { c.releases[0].dependsOn = ['cilium']; }), message: `${file}: releases[0].dependsOn[0]: must name another release of this config (demo) (got "cilium")`, beyondJsonSchema: 'a reference to another item' },
  { what: 'a release that depends on itself', text: devWith((c) => { c.releases[0].dependsOn = ['demo']; }), message: `${file}: releases[0].dependsOn[0]: must not name the release itself`, beyondJsonSchema: 'a reference to another item' },
  { what: 'releases that depend on each other', text: devWith((c) => { c.releases[0].dependsOn = ['other']; c.releases.push({ name: 'other', namespace: 'cozy-demo', repository: 'apps', chart: 'demo-apps', dependsOn: ['demo'] }); }), message: `${file}: releases[0].dependsOn: must not form a cycle (demo -> other -> demo)`, beyondJsonSchema: 'a cycle through references' },
  { what: 'two releases of one name', text: devWith((c) => { c.releases.push({ ...c.releases[0], namespace: 'cozy-public' }); }), message: `${file}: releases[1].name: duplicates releases[0].name "demo": \`dependsOn\` names releases`, beyondJsonSchema: 'uniqueness by one field of the items' },
  { what: 'a chart version range source-controller cannot parse', text: devWith((c) => { c.releases[0].version = 'latest'; }), message: `${file}: releases[0].version: must be a semver range such as *, 1.x, ~1.2, ^1.2.3, >=1.0.0 <2.0.0 or 1.0 - 1.4 (Masterminds/semver, as Flux reads it): improper constraint: "latest" (got "latest")`, beyondJsonSchema: 'a semver range parser (range rewriting, then patterns and 64-bit numbers)' },
  { what: 'a chart version range with a leading-zero pre-release', text: devWith((c) => { c.releases[0].version = '>=1.0.0-01'; }), message: `${file}: releases[0].version: must be a semver range such as *, 1.x, ~1.2, ^1.2.3, >=1.0.0 <2.0.0 or 1.0 - 1.4 (Masterminds/semver, as Flux reads it): constraint parser error (got ">=1.0.0-01")`, beyondJsonSchema: 'a semver range parser (range rewriting, then patterns and 64-bit numbers)' },
  { what: 'values that are not a mapping', text: devWith((c) => { c.releases[0].values = 'replicas: 2'; }), message: `${file}: releases[0].values: must be a mapping (got "replicas: 2")` },
  { what: 'an unknown upgrade strategy', text: devWith((c) => { c.releases[0].upgrade = { strategy: 'retry' }; }), message: `${file}: releases[0].upgrade.strategy: must be one of rollback, uninstall (got "retry")` },
  // Files.
  { what: 'a CA file that does not exist', text: devWith((c) => { c.apiCAFile = 'ca/missing.pem'; }), message: `${file}: apiCAFile: cannot read "ca/missing.pem" (relative to the config file)`, beyondJsonSchema: 'the file system' },
  { what: 'a CA file that holds no certificate', text: devWith((c) => { c.apiCAFile = 'dev.yaml'; }), message: `${file}: apiCAFile: "dev.yaml" holds no PEM certificate`, beyondJsonSchema: 'the file system' },
];

/** Text that is not valid YAML, or that the YAML parser refuses to expand; JSON Schema never sees it. */
export const BAD_YAML: readonly BadConfig[] = [
  { what: 'malformed YAML', text: 'endpoint: localhost:7445\nassets: [unclosed\n', message: `${file}: line 3, column 1: invalid YAML` },
  { what: 'a duplicated key', text: `${devText}\nendpoint: localhost:6443\n`, message: `${file}: line ${devText.split('\n').length + 1}, column 1: invalid YAML: Map keys must be unique` },
  {
    what: 'an alias bomb past the parser\'s limit',
    text: `${devText}a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
    message: `${file}: invalid YAML: Excessive alias count`,
  },
];
