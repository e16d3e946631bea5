// Issuance on the real control plane of the e2e suite: the cert-issuer bundle, started cold, against
// the published manual flow (openssl + kubectl), each run from "no Secret" to "Secret written";
// then the no-op run with a valid certificate, whose writes are counted in the API's audit log.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey } from '../cert-issuer/src/certificate.ts';
import { type Config, parseCommand } from '../cert-issuer/src/config.ts';
import { encodeCsr } from '../src/contract/csr-encoding.ts';
import { buildCsrObject } from '../cert-issuer/src/csr.ts';
import { RECONCILE_REQUESTED_AT_ANNOTATION } from '../src/contract/issuer-api.ts';
import { buildTlsSecret } from '../cert-issuer/src/secret.ts';
import type { PlaneState } from '../test/plane/env.ts';
import { auditEventsSince, bootstrapOnly, loadDist, writesAmong } from '../test/plane/testkit.ts';
import { compare, type Comparison, measure, median, type Run } from './measure.ts';
import { type Breakdown, issuerCategories, profile } from './profile.ts';
import { issuerEnv, keygenMs } from './startup.ts';

const root = process.cwd();
const bundle = join(root, 'cert-issuer/build/cert-issuer.mjs');

export interface IssuanceResults {
  readonly issue: Comparison;
  /** bench/issue-floor.mjs, run before each run of the issue comparison (after its warm-ups). */
  readonly issueFloor: Run[];
  readonly noop: Run[];
  /** Writes by the issuer's ServiceAccount during all no-op runs, from the audit log. */
  readonly noopWrites: number;
  readonly bringUpMs: number;
  /** RSA key generation alone in a fresh process, sampled before each run of the issue comparison (keygenMs). */
  readonly keygenMsMedian: number;
  /** Peak RSS of bench/issuer-io-floor.mjs, the issuer's I/O without its code, the highest of its runs. */
  readonly ioFloorPeakRssMiB: number;
  /** The issuer's log of the median issue run: each step with its time since the spawn. */
  readonly issueTimeline: readonly TimelineStep[];
  /** CPU profiles of one issue and one no-op run of `profiledBundle`, when given. */
  readonly profiles?: { readonly issue: Breakdown; readonly noop: Breakdown };
}

export interface TimelineStep {
  readonly step: string;
  readonly msg: string;
  readonly ms: number;
}

/** The JSON log lines of a run, each placed in time from the run's spawn, then its exit. */
export function timeline(run: Run): TimelineStep[] {
  const steps = run.stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => {
    const { time, step, msg } = JSON.parse(line) as { time: string; step: string; msg: string };
    return { step, msg, ms: Date.parse(time) - run.startedAt };
  });
  return [...steps, { step: '', msg: 'process exit', ms: Math.round(run.ms) }];
}

export interface IssuanceOptions {
  /** The image's compile cache (see makeCompileCache). */
  readonly compileCache: string;
  /** A build of the bundle with its names kept, to profile one issue and one no-op run of. */
  readonly profiledBundle?: string;
}

export async function benchIssuance(state: PlaneState, pairs: number, noopRuns: number, { compileCache, profiledBundle }: IssuanceOptions): Promise<IssuanceResults> {
  const kubectl = (...args: string[]) =>
    execFileSync(state.kubectl, args, { encoding: 'utf8', env: { ...process.env, KUBECONFIG: state.kubeconfigs.admin }, timeout: 120_000 });
  const dist = loadDist('dev');
  const args: string[] = dist.job.spec.template.spec.containers[0].args;
  const { secretName, namespaces } = dist;

  // The bootstrap as Flux would apply it; the Job it contains runs once through the node agent.
  const started = Date.now();
  kubectl('apply', '--server-side', '-k', dist.dir, ...bootstrapOnly);
  kubectl('wait', '-n', 'cozy-system', `job/${dist.job.metadata.name}`, '--for=condition=Complete', '--timeout=180s');
  const bringUpMs = Date.now() - started;

  // The Job's identity, mounted the way the kubelet mounts it, for the bundle run as a process.
  const serviceAccountDir = mkdtempSync(join(tmpdir(), 'fab-bench-sa-'));
  try {
    writeFileSync(join(serviceAccountDir, 'token'), kubectl('create', 'token', 'cert-issuer', '-n', 'cozy-system', '--duration=2h').trim());
    writeFileSync(join(serviceAccountDir, 'ca.crt'), readFileSync(state.caCert));
    writeFileSync(join(serviceAccountDir, 'namespace'), 'cozy-system');
    const env = issuerEnv(serviceAccountDir, 7445, compileCache);
    const issuer = () => measure({ command: process.execPath, args: [bundle, ...args], env });
    const manual = () => measure({
      command: join(root, 'test/manual-flow/issue-cert.sh'),
      args: [`--secret-name=${secretName}`, `--namespaces=${namespaces.join(',')}`, `--common-name=${dist.commonName}`],
      env: { ...process.env, KUBECTL: state.kubectl, KUBECONFIG: state.kubeconfigs.admin },
    });
    const deleteSecrets = () => {
      for (const namespace of namespaces) kubectl('delete', 'secret', secretName, '-n', namespace, '--ignore-not-found', '--wait=true');
    };
    const config = issuerConfig(args);
    const keygen: number[] = [];
    const floorPlan = join(serviceAccountDir, 'issue-floor-plan.json');
    writeFileSync(floorPlan, JSON.stringify(await issueFloorPlan(config, readFileSync(state.caCert, 'utf8'))));
    const issueFloor: Run[] = [];
    const issue = await compare(pairs, issuer, manual, () => {
      deleteSecrets();
      issueFloor.push(measure({ command: process.execPath, args: [join(root, 'bench/issue-floor.mjs'), floorPlan], env }));
      deleteSecrets();
      keygen.push(keygenMs(config.keyBits));
    });
    const keygenMsMedian = median(keygen);

    // A valid certificate now: the runs must decide "no-op" and write nothing.
    deleteSecrets();
    issuer();
    const auditBefore = statSync(state.auditLog).size;
    const noop = Array.from({ length: noopRuns }, issuer);
    const noopWrites = writesAmong(auditEventsSince(state.auditLog, auditBefore).filter((e) => e.user.username === dist.issuer)).length;
    const medianIssue = [...issue.a].sort((a, b) => a.ms - b.ms)[issue.a.length >> 1]!;
    const issueTimeline = timeline(medianIssue);
    const ioFloor = join(root, 'bench/issuer-io-floor.mjs');
    const ioFloorPeakRssMiB = Math.max(...Array.from({ length: pairs }, () => measure({ command: process.execPath, args: [ioFloor], env }).peakRssMiB));
    const results = { issue, issueFloor: issueFloor.slice(2), noop, noopWrites, bringUpMs, keygenMsMedian, ioFloorPeakRssMiB, issueTimeline };
    if (profiledBundle === undefined) return results;

    const profiled = () => profile([profiledBundle, ...args], issuerCategories, env);
    const noopProfile = profiled();
    deleteSecrets();
    return { ...results, profiles: { issue: profiled(), noop: noopProfile } };
  } finally {
    rmSync(serviceAccountDir, { recursive: true, force: true });
  }
}

/** The Job's args, read by the issuer's own parser, its endpoint on loopback as the bench runs it. */
function issuerConfig(jobArgs: string[]): Config {
  const command = parseCommand(jobArgs, { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '7445' });
  if (command.command !== 'ensure') throw new Error('the Job\'s args are not an ensure command');
  return command.config;
}

/**
 * What bench/issue-floor.mjs sends, made by the issuer's own code from the Job's config: the CSR
 * (from a key made here, so the admission policy sees the issuer's request) and the Secret,
 * whose tls.crt the floor fills in with the signer's certificate.
 */
async function issueFloorPlan(config: Config, caPem: string) {
  const key = await generateKey(config.keyBits);
  const requestPem = encodeCsr({ commonName: config.commonName, organization: config.organization }, key, config.keyBits);
  const lifetime = new Date(Date.now() + config.expirationSeconds * 1000);
  return {
    keyBits: config.keyBits,
    namespaces: config.namespaces,
    csr: buildCsrObject({ name: `${config.secretName}-f100f100`, secretName: config.secretName, requestPem, signerName: config.signerName, expirationSeconds: config.expirationSeconds }),
    secret: buildTlsSecret({ name: config.secretName, namespace: '', files: { tlsCrt: '', tlsKey: key.privateKeyPem, caCrt: caPem }, notAfter: lifetime, renewAfter: lifetime, origin: { issuedBy: 'cert-issuer-f100f100', csr: `${config.secretName}-f100f100` } }),
    helmRepositories: config.refreshHelmRepositories,
    reconcileAnnotation: RECONCILE_REQUESTED_AT_ANNOTATION,
  };
}
