// Whatever synth accepts, the cluster and the issuer accept: random configs, drawn from the
// schema's own rules, are synthesized, and every object is sent to the real kube-apiserver as a
// server-side dry run (with the Pods that the StatefulSet and Job controllers would create from
// them); the Job's and the CronJob's args are read back by the issuer's own parser. Random
// mutations of valid configs either stay valid (and pass the same) or give a clear error naming
// the file and the field, never anything else and never a partial dist/.
//
// Seeds are logged; FAB_GEN_SEED=<seed> reruns one. fast-check shrinks a failing case and prints it.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { parseCommand } from '../../cert-issuer/src/config.ts';
import { buildCsrObject } from '../../cert-issuer/src/csr.ts';
import { encodeCsr } from '../../src/contract/csr-encoding.ts';
import { COMMON_NAME } from '../../src/contract/formats.ts';
import { ISSUER_SERVICE_ACCOUNT_NAME, KEY_BITS, type KeyBits, KUBE_APISERVER_CLIENT_SIGNER } from '../../src/contract/issuer-api.ts';
import { textProblem } from '../../src/contract/names.ts';
import { CERTIFICATE_FIELDS, ISSUER_FIELDS } from '../../src/contract/settings.ts';
import { ClusterConfigError, loadClusterConfig } from '../../src/config/cluster-config.ts';
import { renderCluster, synthesize } from '../../src/cli/synth.ts';
import { readState } from '../plane/env.ts';
import { Kube } from '../plane/kube.ts';
import { rsaKeyPair } from '../cert-issuer/forged-csrs.ts';

const seed = Number(process.env.FAB_GEN_SEED ?? Date.now() % 2 ** 31);
const VALID_RUNS = 200;
const MUTATION_RUNS = 300;

// ---- Arbitraries: valid values by the same rules the schema states ----

/** The range an integer setting's own schema states. */
const range = (json: Readonly<Record<string, unknown>>) => ({ min: json.minimum as number, max: json.maximum as number });
const lower = 'abcdefghijklmnopqrstuvwxyz';
const alnum = `${lower}0123456789`;
const chars = (alphabet: string, length: number) => fc.array(fc.constantFrom(...alphabet), { minLength: length, maxLength: length }).map((a) => a.join(''));
/** A DNS-1123 label of 1..max characters, often at the limit, where the API's rules bite. */
const dnsLabel = (max: number, first = alnum) => fc.oneof(fc.constant(max), fc.integer({ min: 1, max })).chain((length) =>
  length === 1
    ? chars(first, 1)
    : fc.tuple(chars(first, 1), chars(`${alnum}-`, length - 2), chars(alnum, 1)).map(([a, b, c]) => a + b + c));
const subdomain = (max: number) => fc.array(dnsLabel(20), { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.')).filter((name) => name.length <= max);
const commonName = fc.oneof(
  dnsLabel(64),
  fc.string({ minLength: 1, maxLength: COMMON_NAME.maxLength, unit: 'grapheme' }),
  fc.constantFrom('flux reader', 'ops@example.org', 'CN=looks,O=like a DN', 'reader_1', 'Ünïcødé-leser', '読み取り'),
).filter((name) => textProblem(COMMON_NAME, name) === undefined);
const image = fc.constantFrom(
  'ghcr.io/cozystack/cozystack/cozystack-assets:v0.41.0',
  'registry.example.org:5000/team/assets-server:1.2.3-rc.1',
  `localhost/assets@sha256:${'a'.repeat(64)}`,
  `registry.example.org/flux-assets-bootstrap/cert-issuer:0.1.0@sha256:${'0123456789abcdef'.repeat(4)}`,
  '[fd00::5]:5000/cert-issuer:v2',
  'busybox:1.37',
);
const cronField = (min: number, max: number) => fc.oneof(
  fc.constant('*'),
  fc.integer({ min, max }).map(String),
  fc.tuple(fc.integer({ min, max }), fc.integer({ min, max })).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
  fc.integer({ min: 1, max: max + 1 }).map((step) => `*/${step}`),
  fc.uniqueArray(fc.integer({ min, max }), { minLength: 2, maxLength: 3 }).map((values) => values.join(',')),
);
const schedule = fc.oneof(
  fc.tuple(cronField(0, 59), cronField(0, 23), cronField(1, 31), fc.oneof(cronField(1, 12), fc.constantFrom('jan-jun', 'JUL', 'oct/2')), fc.oneof(cronField(0, 6), fc.constantFrom('mon-fri', 'SUN')))
    .map((fields) => fields.join(' ')),
  fc.constantFrom('@daily', '@hourly', '@weekly', '@monthly', '@yearly', '@midnight', '@annually'),
);
const qualifiedName = fc.oneof(dnsLabel(63), fc.tuple(subdomain(253), dnsLabel(63)).map(([prefix, name]) => `${prefix}/${name}`));
const toleration = fc.record({
  key: fc.option(qualifiedName, { nil: undefined }),
  operator: fc.constantFrom(undefined, 'Exists', 'Equal'),
  value: fc.option(dnsLabel(63), { nil: undefined }),
  effect: fc.constantFrom(undefined, 'NoSchedule', 'PreferNoSchedule', 'NoExecute'),
  tolerationSeconds: fc.option(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { nil: undefined }),
}).map((t) => {
  // The API's rules: no key means operator Exists and no value; Exists takes no value;
  // tolerationSeconds only with NoExecute.
  const operator = t.key === undefined ? (t.operator === 'Exists' ? 'Exists' : undefined) : t.operator;
  const value = t.key === undefined || operator === 'Exists' ? undefined : t.value;
  const tolerationSeconds = t.effect === 'NoExecute' ? t.tolerationSeconds : undefined;
  return Object.fromEntries(Object.entries({ key: t.key, operator, value, effect: t.effect, tolerationSeconds }).filter(([, v]) => v !== undefined));
});
/** A label value: empty, or up to 63 characters, with the upper case and '_' that names do not have. */
const labelValue = fc.oneof(fc.constant(''), dnsLabel(63), fc.constantFrom('Bootstrap', 'pool_1', 'v1.2.3', 'A'));
/** The PriorityClasses every API server creates for itself; no other class may be named `system-*`. */
const SYSTEM_PRIORITY_CLASSES = ['system-node-critical', 'system-cluster-critical'];
const priorityClassName = fc.oneof(fc.constantFrom(...SYSTEM_PRIORITY_CLASSES), subdomain(253).filter((name) => !name.startsWith('system-')));
const interval = fc.oneof(fc.constantFrom('5m', '1h30m', '90s', '1.5h', '250ms'), fc.integer({ min: 1, max: 1000 }).map((n) => `${n}s`));
const optionalField = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
/** An amount as written, with the value the API server reads it as, so that a request can be kept at most its limit. */
interface Amount { readonly text: string | number; readonly value: number }
/** CPU in millicores, written as users do: `250m`, `0.25` (a YAML number) or `250e-3`. */
const cpu = fc.integer({ min: 0, max: 64_000 }).chain((milli) => fc.constantFrom<Amount>(
  { text: `${milli}m`, value: milli }, { text: milli / 1000, value: milli }, { text: `${milli}e-3`, value: milli },
));
const MEMORY_UNITS = [['Ki', 2 ** 10], ['Mi', 2 ** 20], ['Gi', 2 ** 30], ['k', 1e3], ['M', 1e6], ['G', 1e9], ['e6', 1e6], ['', 1]] as const;
const memory = fc.tuple(fc.integer({ min: 0, max: 4096 }), fc.constantFrom(...MEMORY_UNITS)).map(([n, [suffix, unit]]): Amount => ({ text: `${n}${suffix}`, value: n * unit }));
/** A container's resources: any of the four amounts may be left out, and no request is above its limit. */
const resources = fc.tuple(optionalField(cpu), optionalField(cpu), optionalField(memory), optionalField(memory)).map(([cpuA, cpuB, memoryA, memoryB]) => {
  const ordered = (a?: Amount, b?: Amount) => (a && b && a.value > b.value ? [b, a] : [a, b]);
  const [cpuRequest, cpuLimit] = ordered(cpuA, cpuB);
  const [memoryRequest, memoryLimit] = ordered(memoryA, memoryB);
  return { requests: { cpu: cpuRequest?.text, memory: memoryRequest?.text }, limits: { cpu: cpuLimit?.text, memory: memoryLimit?.text } };
});
const flux = fc.record({
  url: fc.constantFrom('https://git.example.org/fleet.git', 'ssh://git@git.example.org:2222/platform/fleet', 'http://127.0.0.1:3000/fleet.git'),
  branch: optionalField(fc.constantFrom('main', 'release/2026.11', 'env_prod-1')),
  secretName: optionalField(subdomain(253)),
  interval: optionalField(interval),
  path: optionalField(fc.constantFrom('./dist/x', 'clusters/out/', 'dist')),
});
/** Releases from the given repositories, each depending only on earlier ones, so there is no cycle. */
const releasesFrom = (repositories: readonly string[]) => fc.uniqueArray(fc.record({
  name: dnsLabel(53),
  namespace: fc.oneof(dnsLabel(63), fc.constantFrom('kube-system', 'default')),
  repository: fc.constantFrom(...repositories),
  chart: dnsLabel(40),
  version: optionalField(fc.constantFrom('*', '1.x', '~1.2', '>=1.0.0 <2.0.0', '>=0.0.0-0')),
  interval: optionalField(interval),
  values: optionalField(fc.dictionary(dnsLabel(10), fc.oneof(fc.string(), fc.integer(), fc.boolean()), { maxKeys: 3 })),
  install: optionalField(fc.record({ retries: fc.integer({ min: 0, max: 100 }) })),
  upgrade: optionalField(fc.record({ retries: fc.integer({ min: 0, max: 100 }), strategy: fc.constantFrom('rollback', 'uninstall') })),
}), { maxLength: 3, selector: (release) => release.name }).chain((releases) =>
  fc.tuple(...releases.map((_, index) => fc.subarray(releases.slice(0, index).map((r) => r.name)))).map((dependsOn) =>
    releases.map((release, index) => ({ ...release, ...(dependsOn[index]!.length > 0 ? { dependsOn: dependsOn[index] } : {}) }))));

const validConfig = fc.record({
  endpoint: fc.oneof(fc.constantFrom('localhost:7445', '[fd00::1]:6443', '10.1.2.3:443'), fc.tuple(subdomain(200), fc.integer({ min: 1, max: 65535 })).map(([host, port]) => `${host}:${port}`)),
  assetsNamespace: dnsLabel(63),
  assets: fc.record({ name: dnsLabel(52, lower), image, port: optionalField(fc.integer({ min: 1024, max: 65535 })), resources: optionalField(resources) }),
  repositories: fc.uniqueArray(fc.record({ name: dnsLabel(63), namespace: optionalField(dnsLabel(63)), interval: optionalField(interval) }), { minLength: 1, maxLength: 4, selector: (repo) => repo.name }),
  certificate: fc.record({
    commonName,
    secretName: fc.oneof(dnsLabel(63), subdomain(63)),
    expirationSeconds: optionalField(fc.integer(range(CERTIFICATE_FIELDS.expirationSeconds.schema.json))),
    keyBits: optionalField(fc.constantFrom(...KEY_BITS)),
  }),
  // The program in an issuer image, or in a ConfigMap run on a Node image.
  issuerProgram: fc.oneof(fc.record({ image }), fc.record({ nodeImage: optionalField(image) })),
  issuer: fc.record({
    timeoutSeconds: optionalField(fc.integer(range(ISSUER_FIELDS.timeoutSeconds.schema.json))),
    renewalSchedule: optionalField(schedule),
    admissionPolicy: optionalField(fc.boolean()),
    resources: optionalField(resources),
  }),
  tolerations: optionalField(fc.array(toleration, { maxLength: 3 })),
  nodeSelector: optionalField(fc.dictionary(qualifiedName, labelValue, { maxKeys: 3, noNullPrototype: true })),
  priorityClassName: optionalField(priorityClassName),
  imagePullSecrets: optionalField(fc.uniqueArray(subdomain(253), { maxLength: 3 })),
  flux: optionalField(flux),
}).chain((c) => fc.option(releasesFrom(c.repositories.map((repo) => repo.name)), { nil: undefined }).map((releases) => ({ ...c, releases }))).map((c) => prune({
  endpoint: c.endpoint,
  assets: { namespace: c.assetsNamespace, ...c.assets },
  // A repository without its own namespace lives beside the server, the common case.
  repositories: c.repositories.map((repo) => ({ ...repo, namespace: repo.namespace ?? c.assetsNamespace })),
  certificate: c.certificate,
  issuer: { ...c.issuerProgram, ...c.issuer },
  tolerations: c.tolerations,
  nodeSelector: c.nodeSelector,
  priorityClassName: c.priorityClassName,
  imagePullSecrets: c.imagePullSecrets,
  flux: c.flux,
  releases: c.releases,
}));

/** The config as a user writes it: absent optional fields are left out, not null. */
function prune(value: any): any {
  if (Array.isArray(value)) return value.map(prune);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, prune(v)]));
}

// ---- Mutations: what a careful person might still get wrong ----

const badValue = fc.constantFrom<unknown>(
  '', 'UPPER', 'has space', 'a'.repeat(64), 'a'.repeat(300), 'x.y', '-lead', 'trail-', 'system:masters', 'ns/name', '../x',
  0, -1, 599, 1023, 65536, 2 ** 31, 1.5, true, null, [], {}, ['a'], { nested: 1 }, '5 minutes', '60 * * * *', '* * * * 7',
  'CRON_TZ=UTC 0 * * * *', 'image:latest', 'Image:1', 'localhost:0', 'https://api:6443', '[::::]:6443', 'Exists', 'NoExecute',
);
const fieldPaths = [
  ['endpoint'], ['apiCAFile'], ['assets'], ['assets', 'namespace'], ['assets', 'name'], ['assets', 'image'], ['assets', 'port'],
  ['assets', 'resources'], ['assets', 'resources', 'requests', 'cpu'], ['assets', 'resources', 'limits', 'memory'],
  ['repositories'], ['repositories', 0], ['repositories', 0, 'name'], ['repositories', 0, 'namespace'], ['repositories', 0, 'interval'],
  ['certificate', 'commonName'], ['certificate', 'secretName'], ['certificate', 'expirationSeconds'], ['certificate', 'keyBits'],
  ['issuer'], ['issuer', 'image'], ['issuer', 'nodeImage'], ['issuer', 'timeoutSeconds'], ['issuer', 'renewalSchedule'], ['issuer', 'admissionPolicy'],
  ['issuer', 'resources', 'requests'], ['issuer', 'resources', 'requests', 'memory'], ['issuer', 'resources', 'limits', 'cpu'],
  ['tolerations'], ['tolerations', 0], ['tolerations', 0, 'key'], ['tolerations', 0, 'operator'], ['tolerations', 0, 'value'],
  ['tolerations', 0, 'effect'], ['tolerations', 0, 'tolerationSeconds'],
  // A bad value under a label key, and a key that is no label key.
  ['nodeSelector'], ['nodeSelector', 'kubernetes.io/os'], ['nodeSelector', 'node role'], ['priorityClassName'], ['imagePullSecrets'], ['imagePullSecrets', 0], ['imagePullSecrets', 1],
  ['unknownField'], ['certificate', 'lifetime'],
  ['flux'], ['flux', 'url'], ['flux', 'branch'], ['flux', 'path'], ['flux', 'interval'], ['releases'], ['releases', 0, 'name'],
  ['releases', 0, 'repository'], ['releases', 0, 'chart'], ['releases', 0, 'dependsOn'], ['releases', 0, 'values'], ['releases', 0, 'upgrade', 'strategy'],
] as const;
/** The lists whose items must differ, each by its name or as a whole. */
const uniqueLists = [['repositories'], ['releases'], ['imagePullSecrets']] as const;
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), path: fc.constantFrom(...fieldPaths), value: badValue }),
  fc.record({ kind: fc.constant('delete' as const), path: fc.constantFrom(...fieldPaths) }),
  // Copy-paste: the list's first item once more at its end.
  fc.record({ kind: fc.constant('repeat' as const), path: fc.constantFrom(...uniqueLists) }),
);
const mutatedConfig = fc.tuple(validConfig, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([config, mutations]) => {
  const copy = structuredClone(config);
  for (const m of mutations) {
    let target: any = copy;
    for (const key of m.path.slice(0, -1)) target = target?.[key];
    if (target === null || typeof target !== 'object') continue;
    const last = m.path[m.path.length - 1]!;
    if (m.kind === 'set') target[last] = m.value;
    else if (m.kind === 'delete') delete target[last];
    else if (Array.isArray(target[last]) && target[last].length > 0) target[last].push(structuredClone(target[last][0]));
  }
  return { config: copy, mutations };
});

// ---- The checks ----

let kube: Kube;
let scratch: string;
/** The PriorityClasses of the users' own that this file has created, to delete when it is done. */
const priorityClasses = new Set<string>();
/** One key per size: the CSR's subject is what varies, and a 4096-bit key takes a second to make. */
let keys: Map<KeyBits, { privateKeyPem: string; publicKeyPem: string }>;
/**
 * Where every namespaced object is dry-run. A dry run needs its namespace and a Pod its
 * ServiceAccount to exist; creating hundreds of random namespaces for real would keep the
 * namespace controller busy deleting them long after this file (and the next file's namespaces
 * waiting behind them). Each Namespace object is still dry-run under its own name, and every other
 * field keeps the generated namespace names.
 */
const POOL = 'fab-generated-configs';

beforeAll(async () => {
  kube = Kube.fromKubeconfig(readState().kubeconfigs.admin);
  scratch = mkdtempSync(join(tmpdir(), 'fab-generated-'));
  keys = new Map(KEY_BITS.map((bits) => [bits, rsaKeyPair(bits)]));
  console.log(`generated configs: seed ${seed} (rerun with FAB_GEN_SEED=${seed})`);
  const pool = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: POOL, labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } },
    ...['default', ISSUER_SERVICE_ACCOUNT_NAME].map((name) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: POOL } })),
  ];
  for (const obj of pool) expect(await apply(obj, true)).toBeUndefined();
});

afterAll(async () => {
  for (const name of priorityClasses) await kube.raw('DELETE', `/apis/scheduling.k8s.io/v1/priorityclasses/${name}`);
  await kube.raw('DELETE', `/api/v1/namespaces/${POOL}`);
  kube.close();
  rmSync(scratch, { recursive: true, force: true });
});

const resourcePath = (obj: any): string => {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : [undefined, obj.apiVersion];
  const plural = obj.kind.toLowerCase().replace(/y$/, 'ie').replace(/s$/, 'se') + 's';
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const ns = obj.metadata.namespace ? `/namespaces/${obj.metadata.namespace}` : '';
  return `${base}${ns}/${plural}/${encodeURIComponent(obj.metadata.name)}`;
};

/** Server-side apply of `obj`, as Flux and kubectl apply it; a dry run unless `persist`. */
async function apply(obj: any, persist = false): Promise<string | undefined> {
  const query = `fieldManager=generated-configs&force=true&fieldValidation=Strict${persist ? '' : '&dryRun=All'}`;
  const res = await kube.raw('PATCH', `${resourcePath(obj)}?${query}`, obj, 'application/apply-patch+yaml');
  return res.status >= 200 && res.status < 300 ? undefined : `${obj.kind} ${obj.metadata.namespace ?? ''}/${obj.metadata.name}: HTTP ${res.status}: ${(res.json as any)?.message ?? res.text}`;
}

/** The Pods the StatefulSet and Job controllers would create, with the labels they add. */
function controllerPods(obj: any): any[] {
  const pod = (name: string, template: any, labels: Record<string, string>) => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: obj.metadata.namespace, labels: { ...template.metadata?.labels, ...labels } },
    spec: template.spec,
  });
  if (obj.kind === 'StatefulSet') {
    const name = `${obj.metadata.name}-0`;
    // controller-revision-hash is <name>-<hash of up to 10 characters> (k8s.io/kubernetes pkg/controller/history).
    return [pod(name, obj.spec.template, { 'controller-revision-hash': `${obj.metadata.name}-7d9c5b4f8x`, 'statefulset.kubernetes.io/pod-name': name, 'apps.kubernetes.io/pod-index': '0' })];
  }
  if (obj.kind === 'Job') return [pod(`${obj.metadata.name}-abcde`, obj.spec.template, { 'job-name': obj.metadata.name, 'batch.kubernetes.io/job-name': obj.metadata.name })];
  if (obj.kind === 'CronJob') {
    const job = `${obj.metadata.name}-29400000`;
    return [pod(`${job}-abcde`, obj.spec.jobTemplate.spec.template, { 'job-name': job, 'batch.kubernetes.io/job-name': job })];
  }
  return [];
}

/** Everything `file` synthesizes, accepted by the API server, and the issuer's args read back as configured. */
async function expectAccepted(file: string): Promise<void> {
  const cluster = loadClusterConfig(file);
  const objects = renderCluster(cluster).filter((f) => !f.path.endsWith('kustomization.yaml')).map((f) => parse(f.content));
  const inPool = (obj: any) => (obj.metadata.namespace ? { ...obj, metadata: { ...obj.metadata, namespace: POOL } } : obj);
  // The issuer's CSR for this CN and key size, as the API server's CSR validation parses it.
  const { commonName, secretName, keyBits, expirationSeconds } = cluster.certificate;
  const csr = buildCsrObject({
    name: `${secretName}-0a1b2c3d`, secretName, signerName: KUBE_APISERVER_CLIENT_SIGNER, expirationSeconds,
    requestPem: encodeCsr({ commonName, organization: undefined }, keys.get(keyBits)!, keyBits),
  });
  // Admission refuses a Pod whose PriorityClass does not exist: one of the user's own is created
  // first, as the user would.
  const { priorityClassName } = cluster;
  if (priorityClassName !== undefined && !SYSTEM_PRIORITY_CLASSES.includes(priorityClassName) && !priorityClasses.has(priorityClassName)) {
    expect(await apply({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: priorityClassName }, value: 1000 }, true)).toBeUndefined();
    priorityClasses.add(priorityClassName);
  }
  const problems = await Promise.all([...objects, ...objects.flatMap(controllerPods), csr].map((obj) => apply(inPool(obj))));
  expect(problems.filter(Boolean)).toEqual([]);

  for (const workload of objects.filter((o) => o.kind === 'Job' || o.kind === 'CronJob')) {
    const container = (workload.kind === 'Job' ? workload.spec.template : workload.spec.jobTemplate.spec.template).spec.containers[0];
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
    const command = parseCommand(container.args, env);
    if (command.command !== 'ensure') throw new Error('the args ask for help');
    expect(command.config).toMatchObject({
      commonName: cluster.certificate.commonName,
      secretName: cluster.certificate.secretName,
      namespaces: [...new Set(cluster.repositories.map((r) => r.namespace))],
      expirationSeconds: cluster.certificate.expirationSeconds,
      keyBits: cluster.certificate.keyBits,
      timeoutSeconds: cluster.issuer.timeoutSeconds,
      refreshHelmRepositories: cluster.repositories.map((r) => ({ namespace: r.namespace, name: r.name })),
      cluster: { kind: 'in-cluster', server: cluster.endpoint.url('') },
    });
  }
}

/** `check`, with the config that failed it in the message, so a shrunk case reads as the file a user would write. */
async function withConfigShown(config: unknown, check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (error) {
    (error as Error).message += `\nthe config:\n${stringify(config)}`;
    throw error;
  }
}

function writeConfig(name: string, config: unknown): string {
  const folder = mkdtempSync(join(scratch, 'case-'));
  const file = join(folder, `${name}.yaml`);
  writeFileSync(file, stringify(config));
  return file;
}

test(`GIVEN ${VALID_RUNS} random valid configs WHEN synthesized THEN the API server accepts every object and the issuer reads its args back`, async () => {
  await fc.assert(fc.asyncProperty(validConfig, (config) => withConfigShown(config, () => expectAccepted(writeConfig('generated', config)))),
    { seed, numRuns: VALID_RUNS });
}, 180_000);

test(`GIVEN ${MUTATION_RUNS} random mutations of valid configs WHEN synthesized THEN each stays valid and accepted, or fails with the file and field and leaves dist/ untouched`, async () => {
  let refused = 0;
  await fc.assert(fc.asyncProperty(mutatedConfig, ({ config }) => withConfigShown(config, async () => {
    const file = writeConfig('mutated', config);
    const folder = join(file, '..');
    const out = join(folder, 'dist');
    writeFileSync(join(folder, 'sentinel'), 'dist before');
    let error: unknown;
    try {
      synthesize(folder, out);
    } catch (caught) {
      error = caught;
    }
    if (error === undefined) {
      await expectAccepted(file);
      return;
    }
    refused++;
    // Only config errors, one line per problem, each naming the file and a field (or the YAML
    // position); a node selector's problems are at its label key, which may hold '/', '-' or a space.
    expect(error).toBeInstanceOf(AggregateError);
    for (const inner of (error as AggregateError).errors) expect(inner).toBeInstanceOf(ClusterConfigError);
    for (const line of (error as Error).message.split('\n')) {
      expect(line).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (\\(top level\\)|[A-Za-z][\\w.\\[\\]]*|nodeSelector\\.[^:]+): \\S`));
    }
    expect(readdirSync(folder).sort()).toEqual(['mutated.yaml', 'sentinel']); // no dist/, not even a partial one
    expect(readFileSync(join(folder, 'sentinel'), 'utf8')).toBe('dist before');
  })), { seed, numRuns: MUTATION_RUNS });
  console.log(`generated configs: of ${MUTATION_RUNS} mutated configs, ${refused} were refused with file and field, ${MUTATION_RUNS - refused} stayed valid and were accepted`);
  // The mutations are meant to be mistakes: most must be caught.
  expect(refused).toBeGreaterThan(MUTATION_RUNS / 2);
}, 180_000);
