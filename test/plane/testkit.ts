// Helpers the e2e tests share: the synthesized example cluster read from dist/dev, command
// runners, bounded waits on API objects, the client certificate as files and TLS options, and the
// plane's CA to sign certificates with.
import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { type IssuerArgs, parseIssuerArgs } from '../../src/contract/issuer-flags.ts';
import type { Ca } from '../cert-issuer/pki.ts';
import { type PlaneState, readState } from './env.ts';
import { Kube } from './kube.ts';
import { waitFor } from './proc.ts';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** The components of the GitOps objects: Flux's sync objects and the HelmReleases. */
const gitopsComponents = ['flux-sync', 'helm-release'];

/**
 * kubectl's selector for the bootstrap without its GitOps objects. The suites that apply dist/dev
 * themselves (the Flux-style apply of fluxApply) leave those out: a HelmRelease would have the
 * flux-aio pod install a chart in the middle of their audit windows, and the sync objects belong to
 * user-path.e2e.test.ts, where Flux applies the folder from Git.
 */
export const bootstrapOnly = ['-l', `app.kubernetes.io/component notin (${gitopsComponents.join(',')})`];

/**
 * dist/<cluster> as applied: the bootstrap's objects (`objects`, without the GitOps ones, which
 * are in `gitops`), plus the facts the tests check against.
 */
export function loadDist(cluster = 'dev', distRoot = join(repoRoot, 'dist')) {
  const dir = join(distRoot, cluster);
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
  const all = files.flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => ({ file: join(dir, f), obj: d.toJS() })));
  const isGitops = (o: { obj: any }) => gitopsComponents.includes(o.obj.metadata.labels?.['app.kubernetes.io/component']);
  const objects = all.filter((o) => !isGitops(o));
  const byKind = (kind: string) => objects.filter((o) => o.obj.kind === kind);
  const job = byKind('Job')[0]!;
  const issuerArgs = issuerArgsOf(job.obj);
  const helmRepositories = byKind('HelmRepository').map((o) => o.obj);
  return {
    dir,
    objects,
    gitops: all.filter(isGitops),
    jobFile: job.file,
    job: job.obj,
    helmRepositories,
    secretName: helmRepositories[0].spec.certSecretRef.name as string,
    issuerArgs,
    commonName: issuerArgs.commonName,
    namespaces: [...new Set(helmRepositories.map((r) => r.metadata.namespace as string))],
    issuer: `system:serviceaccount:${job.obj.metadata.namespace}:${job.obj.spec.template.spec.serviceAccountName}`,
  };
}

export type Dist = ReturnType<typeof loadDist>;

/**
 * The issuer's settings as the Job's pod passes them, read by the issuer's own parser, so that a
 * value is what the issuer makes of it (one holding '=' too). args[0] is the `ensure` command.
 */
function issuerArgsOf(job: any): IssuerArgs {
  return parseIssuerArgs(job.spec.template.spec.containers[0].args.slice(1), {});
}

/** What every e2e file works with: the running plane, dist/dev, an admin client and kubectl as admin. */
export function e2eContext() {
  const state = readState();
  const dist = loadDist('dev');
  const kubeEnv = { ...process.env, KUBECONFIG: state.kubeconfigs.admin };
  const admin = Kube.fromKubeconfig(state.kubeconfigs.admin);
  const kubectl = (...args: string[]) => run(state.kubectl, args, { env: kubeEnv });
  const issuerNs = dist.job.metadata.namespace as string;
  const secretPath = (ns: string, name = dist.secretName) => `/api/v1/namespaces/${ns}/secrets/${name}`;
  /**
   * What Flux does once a finished Job is gone: the Job (and its pods) deleted, its manifest applied
   * again; not waited for. The Job of dist/dev, or of `of`, a variant applied in its place.
   */
  const recreateJob = async (fieldManager = 'kustomize-controller', of: Dist = dist): Promise<void> => {
    await deleteJob(admin, issuerNs, of.job.metadata.name);
    const apply = await kubectl('apply', '--server-side', `--field-manager=${fieldManager}`, '-f', of.jobFile);
    if (apply.code !== 0) throw new Error(`apply ${of.jobFile}: ${apply.stderr}`);
  };
  /** Flux's re-run of a finished Job: delete it, apply its manifest again, wait for the outcome. */
  const rerunJob = async (of: Dist = dist): Promise<any> => {
    await recreateJob(undefined, of);
    return jobEnd(admin, state, issuerNs, of.job.metadata.name);
  };
  const deleteSecrets = async (): Promise<void> => {
    for (const ns of dist.namespaces) await admin.raw('DELETE', secretPath(ns));
  };
  return {
    state,
    dist,
    admin,
    kubeEnv,
    kubectl,
    issuerNs,
    secretPath,
    recreateJob,
    rerunJob,
    deleteSecrets,
    /** Whatever an earlier file left: dist/dev applied as Flux applies it, and a finished Job that wrote the Secret. */
    async makeHealthy(): Promise<void> {
      const applied = await fluxApply(kubectl, dist);
      if (applied.code !== 0) throw new Error(`apply dist/dev: ${applied.stderr}`);
      const job = await jobEnd(admin, state, issuerNs, dist.job.metadata.name);
      if (condition(job, 'Complete')?.status !== 'True' || !(await admin.find(secretPath(issuerNs)))) {
        await deleteSecrets();
        await rerunJob();
      }
    },
    /** `doctor --cluster dev` with the admin kubeconfig: its exit code and output lines. */
    async doctor(): Promise<{ code: number; lines: string[] }> {
      const res = await run(process.execPath, [join(repoRoot, 'src/cli/cli.mjs'), 'doctor', '--cluster', 'dev', '--clusters', join(repoRoot, 'clusters'), '--kubeconfig', state.kubeconfigs.admin]);
      return { code: res.code, lines: `${res.stdout}${res.stderr}`.trim().split('\n') };
    },
  };
}

/**
 * What a user's next commit would synthesize: clusters/dev.yaml with `edit` applied to it (and
 * `files` written beside it, e.g. a CA bundle), synthesized by the real CLI into a temporary dist/.
 */
export async function synthVariant(edit: (config: any) => void, files: Record<string, string | Buffer> = {}): Promise<Dist & { remove(): void }> {
  const root = mkdtempSync(join(tmpdir(), 'fab-e2e-synth-'));
  const clusters = join(root, 'clusters');
  mkdirSync(clusters);
  const config = parse(readFileSync(join(repoRoot, 'clusters/dev.yaml'), 'utf8'));
  config.issuer ??= {}; // every section there for `edit` to change
  edit(config);
  writeFileSync(join(clusters, 'dev.yaml'), stringify(config));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(clusters, name), content);
  const res = await run(process.execPath, [join(repoRoot, 'src/cli/cli.mjs'), '--clusters', clusters, '--out', join(root, 'dist')]);
  if (res.code !== 0) throw new Error(`synth of the variant failed: ${res.stderr}`);
  return { ...loadDist('dev', join(root, 'dist')), remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** kubectl's arguments that name one object: `kind.group name [-n namespace]`. */
export function kubectlRef(obj: any): string[] {
  const group = obj.apiVersion.includes('/') ? `.${obj.apiVersion.split('/')[0]}` : '';
  return [obj.kind.toLowerCase() + group, obj.metadata.name, ...(obj.metadata.namespace ? ['-n', obj.metadata.namespace] : [])];
}

/** An object's identity in an inventory, as kustomize-controller records it. */
const inventoryId = (o: any) => `${o.apiVersion.split('/').length > 1 ? o.apiVersion.split('/')[0] : ''}_${o.kind}_${o.metadata.namespace ?? ''}_${o.metadata.name}`;

/**
 * Applies a synthesized folder the way Flux's kustomize-controller does (fluxcd/pkg/ssa): a
 * server-side apply under its field manager that takes over conflicting fields (ForceOwnership),
 * without recreating objects on immutable-field errors (the Kustomization's default force: false),
 * then a prune of whatever the previous revision had and this one has not, with background
 * propagation. Returns kubectl's result and what was pruned.
 */
export async function fluxApply(kubectl: (...args: string[]) => Promise<RunResult>, next: Dist, previous?: Dist): Promise<RunResult & { pruned: string[] }> {
  const res = await kubectl('apply', '--server-side', '--force-conflicts', '--field-manager=kustomize-controller', '-k', next.dir, ...bootstrapOnly);
  const pruned: string[] = [];
  if (res.code !== 0 || !previous) return { ...res, pruned };
  const keep = new Set(next.objects.map((o) => inventoryId(o.obj)));
  for (const { obj } of previous.objects.filter((o) => !keep.has(inventoryId(o.obj)))) {
    const del = await kubectl('delete', ...kubectlRef(obj), '--cascade=background', '--wait=false');
    if (del.code !== 0) throw new Error(`prune of ${obj.kind}/${obj.metadata.name} failed: ${del.stderr}`);
    pruned.push(`${obj.kind}/${obj.metadata.name}`);
  }
  return { ...res, pruned };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by timeoutMs); never throws for a non-zero exit. */
export function run(command: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    // A command that exits before it reads its input (git rev-parse does, at once) closes the
    // pipe first: the write's EPIPE is not the command's failure, its exit code says that.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
  });
}

export function condition(obj: any, type: string): any {
  return obj?.status?.conditions?.find((c: any) => c.type === type);
}

/** Waits until the Job is Complete or Failed; returns the Job. */
export function waitForJobEnd(kube: Kube, namespace: string, name: string, timeoutMs = 180_000): Promise<any> {
  return waitFor(
    `Job ${namespace}/${name} to finish`,
    async () => {
      const job = await kube.find(`/apis/batch/v1/namespaces/${namespace}/jobs/${name}`);
      return condition(job, 'Complete')?.status === 'True' || condition(job, 'Failed')?.status === 'True' ? job : undefined;
    },
    { timeoutMs, intervalMs: 500 },
  );
}

/** The Job's pods, each with its state and container log, and the node agent's log: for failure messages. */
export async function jobDiagnostics(kube: Kube, state: PlaneState, namespace: string, jobName: string): Promise<string> {
  const pods = await jobPods(kube, namespace, jobName);
  const described = pods.map((p) => {
    const log = containerLog(state, p);
    return `pod ${p.metadata.name} ${p.status.phase} ${JSON.stringify(p.status.containerStatuses?.[0]?.state)}\n${tail(log)}`;
  });
  return [...described, `node agent:\n${tail(join(state.stateDir, 'logs/node-agent.log'))}`].join('\n');
}

/** Where the simulated kubelet writes a pod's container output (what `kubectl logs` would show). */
export function containerLog(state: PlaneState, pod: any): string {
  return join(state.containerLogDir, `${pod.metadata.namespace}_${pod.metadata.name}_${pod.spec.containers[0].name}.log`);
}

/** waitForJobEnd, with the Job's diagnostics in the error when it does not end in time. */
export function jobEnd(kube: Kube, state: PlaneState, namespace: string, name: string, timeoutMs?: number): Promise<any> {
  return waitForJobEnd(kube, namespace, name, timeoutMs).catch(async (err: Error) => {
    throw new Error(`${err.message}\n${await jobDiagnostics(kube, state, namespace, name)}`);
  });
}

export async function jobPods(kube: Kube, namespace: string, jobName: string): Promise<any[]> {
  const list = await kube.get(`/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(`batch.kubernetes.io/job-name=${jobName}`)}`);
  return list.items;
}

/**
 * Waits until the object at `path` (a Flux source, Kustomization or HelmRelease) is Ready for its
 * own generation and `extra` holds: a status without observedGeneration is not yet the reconcile's
 * result (once seen in CI: Ready without an artifact). Its conditions go into a timeout's message.
 */
export function waitReady(kube: Kube, what: string, path: string, extra: (obj: any) => boolean = () => true, timeoutMs = 120_000): Promise<any> {
  return waitFor(what, async () => {
    const obj = await kube.find(path);
    return obj && condition(obj, 'Ready')?.status === 'True' && obj.status.observedGeneration === obj.metadata.generation && extra(obj) ? obj : undefined;
  }, { timeoutMs, intervalMs: 500 }).catch(async (err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify((await kube.find(path))?.status?.conditions)}`);
  });
}

/** Deletes the Job and waits until it and its pods are gone, as before Flux re-creates it. */
export async function deleteJob(kube: Kube, namespace: string, name: string): Promise<void> {
  await kube.raw('DELETE', `/apis/batch/v1/namespaces/${namespace}/jobs/${name}`, {
    apiVersion: 'v1',
    kind: 'DeleteOptions',
    propagationPolicy: 'Foreground',
  });
  await waitFor(`Job ${namespace}/${name} and its pods to be deleted`, async () =>
    !(await kube.find(`/apis/batch/v1/namespaces/${namespace}/jobs/${name}`)) && (await jobPods(kube, namespace, name)).length === 0 ? true : undefined,
  );
}

/** The plane's cluster CA with its key: it signs certificates as the cluster's signer would, e.g. one near its renewal. */
export function readPlaneCa(state: PlaneState): Ca {
  return {
    certPem: readFileSync(state.caCert, 'utf8'),
    key: {
      privateKeyPem: readFileSync(state.caKey, 'utf8'),
      publicKeyPem: createPublicKey(readFileSync(state.caKey)).export({ type: 'spki', format: 'pem' }) as string,
    },
  };
}

/** The TLS Secret's files, as TLS options for a client. */
export function tlsOf(secret: any): { cert: Buffer; key: Buffer; ca: Buffer } {
  const data = (k: string) => Buffer.from(secret.data[k], 'base64');
  return { cert: data('tls.crt'), key: data('tls.key'), ca: data('ca.crt') };
}

/** The TLS Secret's client certificate, parsed, and written to 0600 files for curl and helm. */
export function clientCert(secret: any) {
  const data = (k: string) => Buffer.from(secret.data[k], 'base64');
  const dir = mkdtempSync(join(tmpdir(), 'fab-e2e-cert-'));
  const files = { cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key'), ca: join(dir, 'ca.crt') };
  writeFileSync(files.cert, data('tls.crt'), { mode: 0o600 });
  writeFileSync(files.key, data('tls.key'), { mode: 0o600 });
  writeFileSync(files.ca, data('ca.crt'), { mode: 0o600 });
  return {
    dir,
    files,
    x509: new X509Certificate(data('tls.crt')),
    key: createPrivateKey(data('tls.key')),
    tls: tlsOf(secret),
  };
}

/** One GET with a client certificate; the status and body, whatever the status. */
export function mtlsGet(url: string, tls: { cert: Buffer; key: Buffer; ca: Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...tls, timeout: 10_000, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** Audit events (JSON lines) written after byte offset `from`. */
/** The issuer's Events (events.k8s.io/v1) about the Job `job`, oldest first. */
export async function issuerEvents(admin: Kube, namespace: string, job: string): Promise<any[]> {
  const list = await admin.get(`/apis/events.k8s.io/v1/namespaces/${namespace}/events`);
  return list.items
    .filter((e: any) => e.reportingController === 'flux-assets-bootstrap.io/cert-issuer' && e.regarding?.kind === 'Job' && e.regarding.name === job)
    .sort((a: any, b: any) => a.eventTime.localeCompare(b.eventTime));
}

export function auditEventsSince(auditLog: string, from: number): any[] {
  return readFileSync(auditLog)
    .subarray(from)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/**
 * The audit events that store something, as "user verb uri": not reads, and not a
 * SelfSubjectReview, which is a create that stores nothing.
 */
export function writesAmong(events: any[]): string[] {
  return events
    .filter((e) => !['get', 'list', 'watch'].includes(e.verb) && !(e.verb === 'create' && e.objectRef?.resource === 'selfsubjectreviews'))
    .map((e) => `${e.user.username} ${e.verb} ${e.requestURI}`);
}

/** The last lines of a log, for failure messages. */
export function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${path})`;
  }
}
