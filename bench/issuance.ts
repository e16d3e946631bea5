// Issuance on the real control plane of the e2e suite: the cert-issuer bundle, started cold, against
// the published manual flow (openssl + kubectl), each run from "no Secret" to "Secret written";
// then the no-op run with a valid certificate, whose writes are counted in the API's audit log.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlaneState } from '../test/e2e/harness/env.ts';
import { auditEventsSince, loadDist, writesAmong } from '../test/e2e/harness/testkit.ts';
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

export async function benchIssuance(state: PlaneState, pairs: number, noopRuns: number): Promise<IssuanceResults> {
  const kubectl = (...args: string[]) =>
    execFileSync(state.kubectl, args, { encoding: 'utf8', env: { ...process.env, KUBECONFIG: state.kubeconfigs.admin }, timeout: 120_000 });
  const dist = loadDist('dev');
  const args: string[] = dist.job.spec.template.spec.containers[0].args;
  const { secretName, namespaces } = dist;

  // The bootstrap as Flux would apply it; the Job it contains runs once through the node agent.
  const started = Date.now();
  kubectl('apply', '--server-side', '-k', dist.dir);
  kubectl('wait', '-n', 'cozy-system', `job/${dist.job.metadata.name}`, '--for=condition=Complete', '--timeout=180s');
  const bringUpMs = Date.now() - started;

  // The Job's identity, mounted the way the kubelet mounts it, for the bundle run as a process.
  const serviceAccountDir = mkdtempSync(join(tmpdir(), 'fab-bench-sa-'));
  try {
    writeFileSync(join(serviceAccountDir, 'token'), kubectl('create', 'token', 'cert-issuer', '-n', 'cozy-system', '--duration=2h').trim());
    writeFileSync(join(serviceAccountDir, 'ca.crt'), readFileSync(state.caCert));
    writeFileSync(join(serviceAccountDir, 'namespace'), 'cozy-system');
    const issuer = () => measure({
      command: process.execPath,
      args: [bundle, ...args],
      env: { PATH: process.env.PATH, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '7445', CERT_ISSUER_SERVICEACCOUNT_DIR: serviceAccountDir },
    });
    const manual = () => measure({
      command: join(root, 'test/manual-flow/issue-cert.sh'),
      args: [`--secret-name=${secretName}`, `--namespaces=${namespaces.join(',')}`, `--common-name=${dist.commonName}`],
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
    const noopWrites = writesAmong(auditEventsSince(state.auditLog, auditBefore).filter((e) => e.user.username === dist.issuer)).length;
    return { issue, noop, noopWrites, bringUpMs };
  } finally {
    rmSync(serviceAccountDir, { recursive: true, force: true });
  }
}

