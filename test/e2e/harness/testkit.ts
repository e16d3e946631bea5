// Helpers the e2e tests share: the synthesized example cluster read from dist/dev, command
// runners, bounded waits on API objects, and the client certificate as files and TLS options.
import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { Kube } from './kube.ts';
import { waitFor } from './proc.ts';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** dist/dev as applied: every object, plus the facts the tests check against. */
export function loadDist(cluster = 'dev') {
  const dir = join(repoRoot, 'dist', cluster);
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
  const objects = files.flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => ({ file: join(dir, f), obj: d.toJS() })));
  const byKind = (kind: string) => objects.filter((o) => o.obj.kind === kind);
  const job = byKind('Job')[0]!;
  const args: string[] = job.obj.spec.template.spec.containers[0].args;
  const arg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const helmRepositories = byKind('HelmRepository').map((o) => o.obj);
  return {
    dir,
    objects,
    jobFile: job.file,
    job: job.obj,
    helmRepositories,
    secretName: helmRepositories[0].spec.certSecretRef.name as string,
    commonName: arg('common-name')!,
    namespaces: [...new Set(helmRepositories.map((r) => r.metadata.namespace as string))],
    issuer: `system:serviceaccount:${job.obj.metadata.namespace}:${job.obj.spec.template.spec.serviceAccountName}`,
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by timeoutMs); never throws for a non-zero exit. */
export function run(command: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, args, { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
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

export async function jobPods(kube: Kube, namespace: string, jobName: string): Promise<any[]> {
  const list = await kube.get(`/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(`batch.kubernetes.io/job-name=${jobName}`)}`);
  return list.items;
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
    tls: { cert: data('tls.crt'), key: data('tls.key'), ca: data('ca.crt') },
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
export function auditEventsSince(auditLog: string, from: number): any[] {
  return readFileSync(auditLog)
    .subarray(from)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** The last lines of a log, for failure messages. */
export function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${path})`;
  }
}
