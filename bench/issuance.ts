// Issuance on the real control plane of the e2e suite: the cert-issuer bundle, started cold, against
// the published manual flow (openssl + kubectl), each run from "no Secret" to "Secret written";
// then the no-op run with a valid certificate, whose writes are counted in the API's audit log.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { newState, stopAll, cleanUpLastRun } from '../test/e2e/harness/lifecycle.ts';
import { startPlane } from '../test/e2e/harness/plane.ts';
import type { PlaneState } from '../test/e2e/harness/env.ts';
import { compare, type Comparison, measure, type Run } from './measure.ts';

const root = process.cwd();
const bundle = join(root, 'jobs/build/cert-issuer.mjs');

export interface IssuanceResults {
  readonly issue: Comparison;
  readonly noop: Run[];
  /** Writes by the issuer's ServiceAccount during all no-op runs, from the audit log. */
  readonly noopWrites: number;
  readonly bringUpMs: number;
}

/** The plane for the benchmark: the same one the e2e suite starts, torn down by PID at the end. */
export async function withPlane<T>(body: (state: PlaneState) => Promise<T>): Promise<T> {
  const binDir = execFileSync(join(root, 'test/controlplane/build.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  await cleanUpLastRun();
  const { state, statePath } = newState(binDir);
  try {
    await startPlane(state, statePath);
    return await body(state);
  } finally {
    const survivors = await stopAll(state);
    if (survivors.length) console.error(`bench: could not stop ${survivors.join(', ')}`);
    else rmSync(state.stateDir, { recursive: true, force: true });
  }
}

export async function benchIssuance(state: PlaneState, pairs: number, noopRuns: number): Promise<IssuanceResults> {
  const kubectl = (...args: string[]) =>
    execFileSync(state.kubectl, args, { encoding: 'utf8', env: { ...process.env, KUBECONFIG: state.kubeconfigs.admin }, timeout: 120_000 });
  const dist = join(root, 'dist/dev');
  const job = readFileSync(join(dist, readdirJob(dist)), 'utf8');
  const container = parse(job).spec.template.spec.containers[0] as { args: string[] };
  const arg = (name: string) => container.args.find((a) => a.startsWith(`--${name}=`))!.split('=')[1]!;
  const secretName = arg('secret-name');
  const namespaces = arg('namespaces').split(',');

  // The bootstrap as Flux would apply it; the Job it contains runs once through the node agent.
  const started = Date.now();
  kubectl('apply', '--server-side', '-k', dist);
  kubectl('wait', '-n', 'cozy-system', `job/${parse(job).metadata.name}`, '--for=condition=Complete', '--timeout=180s');
  const bringUpMs = Date.now() - started;

  // The Job's identity, mounted the way the kubelet mounts it, for the bundle run as a process.
  const serviceAccountDir = mkdtempSync(join(tmpdir(), 'fab-bench-sa-'));
  try {
    writeFileSync(join(serviceAccountDir, 'token'), kubectl('create', 'token', 'cert-issuer', '-n', 'cozy-system', '--duration=2h').trim());
    writeFileSync(join(serviceAccountDir, 'ca.crt'), readFileSync(state.caCert));
    writeFileSync(join(serviceAccountDir, 'namespace'), 'cozy-system');
    const issuer = () => measure({
      command: process.execPath,
      args: [bundle, ...container.args],
      env: { PATH: process.env.PATH, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '7445', CERT_ISSUER_SERVICEACCOUNT_DIR: serviceAccountDir },
    });
    const manual = () => measure({
      command: join(root, 'test/manual-flow/issue-cert.sh'),
      args: [`--secret-name=${secretName}`, `--namespaces=${namespaces.join(',')}`, `--common-name=${arg('common-name')}`],
      env: { ...process.env, KUBECTL: state.kubectl, KUBECONFIG: state.kubeconfigs.admin },
    });
    const deleteSecrets = () => {
      for (const namespace of namespaces) kubectl('delete', 'secret', secretName, '-n', namespace, '--ignore-not-found', '--wait=true');
    };
    const issue = await compare(pairs, issuer, manual, deleteSecrets);

    // A valid certificate now: the runs must decide "no-op" and write nothing.
    deleteSecrets();
    issuer();
    const auditBefore = statSync(state.auditLog).size;
    const noop = Array.from({ length: noopRuns }, issuer);
    const noopWrites = issuerWrites(state.auditLog, auditBefore);
    return { issue, noop, noopWrites, bringUpMs };
  } finally {
    rmSync(serviceAccountDir, { recursive: true, force: true });
  }
}

/**
 * Persisting requests by the issuer's ServiceAccount in the audit log after `offset`. Reviews
 * (SelfSubjectReview and the like) are `create` calls that store nothing, so they do not count.
 */
export function issuerWrites(auditLog: string, offset: number): number {
  const events = readFileSync(auditLog).subarray(offset).toString('utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
  return events.filter((event) =>
    event.user?.username === 'system:serviceaccount:cozy-system:cert-issuer'
    && ['create', 'update', 'patch', 'delete'].includes(event.verb)
    && !/reviews$/.test(event.objectRef?.resource ?? '')).length;
}

function readdirJob(dist: string): string {
  const kustomization = parse(readFileSync(join(dist, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  return kustomization.resources.find((file) => /-job-/.test(file))!;
}

