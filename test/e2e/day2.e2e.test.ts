// Day 2 on the real control plane: the doctor, every state the Secret can be found in (with the
// program from its ConfigMap and from an issuer image), a CA
// change and an image change applied the way Flux applies them, a denied CSR, a leftover CSR,
// two issuers at once, a signer that does not sign, an apiserver crash mid-wait, and the renewal
// CronJob crossing the deadline of a short-lived certificate.
//
// Runs after bootstrap.e2e.test.ts (test/e2e/sequencer.cjs) on the same plane. Each test starts
// from, and leaves behind, a healthy bootstrap: dist/dev applied and a valid Secret everywhere.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { encodeCsr } from '../../src/contract/csr-encoding.ts';
import { rsaKeyPair } from '../cert-issuer/forged-csrs.ts';
import { clientCert as signClientCert, makeCa, rsaKey } from '../cert-issuer/pki.ts';
import { isRunning, restartComponent, startComponent, stopComponent } from '../plane/components.ts';
import { assets } from '../plane/env.ts';
import { sleep, waitFor } from '../plane/proc.ts';
import {
  auditEventsSince, clientCert, condition, containerLog, deleteJob, e2eContext, fluxApply, issuerEvents, jobEnd, jobPods, mtlsGet, readPlaneCa, run,
  synthVariant, tlsOf, writesAmong,
} from '../plane/testkit.ts';
import { installWebhook } from '../plane/webhook.ts';

const { state, dist, admin, kubeEnv, kubectl, issuerNs, secretPath, recreateJob, rerunJob, deleteSecrets, makeHealthy, doctor } = e2eContext();
const csrsPath = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const planeCa = readPlaneCa(state);
const planeCaPem = planeCa.certPem;
const day = 86_400_000;

afterAll(() => admin.close());

// ---- helpers ---------------------------------------------------------------------------------

/** Each namespace's Secret, or undefined where there is none. */
async function secrets(): Promise<Map<string, any>> {
  return new Map(await Promise.all(dist.namespaces.map(async (ns) => [ns, await admin.find(secretPath(ns))] as const)));
}


/** The one-shot Job's pods' exit codes, oldest first, and all their logs. */
async function podOutcomes(jobName: string): Promise<{ exitCodes: number[]; logs: string }> {
  const pods = (await jobPods(admin, issuerNs, jobName)).sort((a, b) => a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp));
  return {
    exitCodes: pods.map((p) => p.status.containerStatuses?.[0]?.state?.terminated?.exitCode),
    logs: pods.map((p) => (existsSync(containerLog(state, p)) ? readFileSync(containerLog(state, p), 'utf8') : '')).join('\n'),
  };
}

/** Writes the same files as the Secret in every namespace, as a damaged or stale copy. */
async function plantSecrets(files: { tlsCrt: string; tlsKey: string; caCrt: string }): Promise<void> {
  for (const ns of dist.namespaces) {
    const body = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: dist.secretName, namespace: ns },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(files.tlsCrt), 'tls.key': b64(files.tlsKey), 'ca.crt': b64(files.caCrt) },
    };
    if (await admin.find(secretPath(ns))) await admin.call('PUT', secretPath(ns), body);
    else await admin.call('POST', `/api/v1/namespaces/${ns}/secrets`, body);
  }
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** The certificates of a PEM bundle, by fingerprint: the same CAs whatever the formatting. */
const caFingerprints = (pem: string | Buffer) =>
  (pem.toString().match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).map((block) => new X509Certificate(block).fingerprint256);

/**
 * The state every test leaves behind: identical copies in every namespace, whose certificate the
 * plane's signer issued for our CN with clientAuth and whose key matches it. Returns the copy.
 */
async function expectHealthySecrets(caCrt = planeCaPem): Promise<ReturnType<typeof clientCert>> {
  const copies = [...(await secrets()).values()];
  for (const copy of copies) expect(copy?.data).toEqual(copies[0].data);
  const cert = clientCert(copies[0]);
  rmSync(cert.dir, { recursive: true });
  const ca = new X509Certificate(planeCaPem);
  expect(cert.x509.subject).toBe(`CN=${dist.commonName}`);
  expect(cert.x509.verify(ca.publicKey)).toBe(true);
  expect(cert.x509.checkPrivateKey(cert.key)).toBe(true);
  expect(new Date(cert.x509.validTo).getTime()).toBeGreaterThan(Date.now());
  expect(caFingerprints(cert.tls.ca)).toEqual(caFingerprints(caCrt));
  return cert;
}

/** Writes in the audit log since `from` (the policy logs the issuer's and Secret/CSR writes), as "user verb uri". */
const writesSince = (from: number) => writesAmong(auditEventsSince(state.auditLog, from));

/** The issuer's CSRs (by its label). */
async function ourCsrs(): Promise<any[]> {
  return (await admin.get(`${csrsPath}?labelSelector=${encodeURIComponent(`flux-assets-bootstrap.io/secret=${dist.secretName}`)}`)).items;
}

/** Approved and not yet signed: an issuer is waiting for the signer. */
async function waitingCsrs(): Promise<any[]> {
  return (await ourCsrs()).filter((c) => condition(c, 'Approved') && !c.status.certificate);
}


// Self-contained: whatever bootstrap.e2e.test.ts left, make the bootstrap healthy.
beforeAll(makeHealthy);

// ---- doctor, healthy ---------------------------------------------------------------------------

test('doctor: on a healthy bootstrap every check passes and it exits 0', async () => {
  const { code, lines } = await doctor();
  expect({ code, failed: lines.filter((l) => l.startsWith('FAIL')) }).toEqual({ code: 0, failed: [] });
  for (const ns of dist.namespaces) {
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^ok   Secret ${ns}/${dist.secretName}: key matches; CN ${dist.commonName}; notAfter \\S+; renews after \\S+$`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^ok   ca.crt of ${ns}/${dist.secretName} verifies localhost:7445: TLS handshake verified$`)));
  }
  for (const repo of dist.helmRepositories) {
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^ok   mTLS GET ${repo.spec.url}/index.yaml with ${repo.metadata.namespace}/${dist.secretName}: `)));
  }
  expect(lines).toContainEqual(expect.stringMatching(/^ok   RBAC: reader may get pods\/proxy cozystack-assets-0 in cozy-system: as expected$/));
  expect(lines).toContainEqual(expect.stringMatching(/^ok   RBAC: issuer may approve certificates.k8s.io\/signers kubernetes.io\/kube-apiserver-client: as expected$/));
  expect(lines.at(-1)).toMatch(/^doctor: all \d+ checks passed$/);
});

// ---- the Secret in every state it can be found in ------------------------------------------------

/** The issuer image the variants run: the simulated runtime has the bundle at its /app/cert-issuer.mjs. */
const issuerImage = 'ghcr.io/example/flux-assets-bootstrap/cert-issuer:0.1.1';

// dist/dev runs the program from its ConfigMap on distroless Node; the variant runs it from an
// issuer image. Each must issue, renew and keep alike.
describe.each([['its ConfigMap', undefined], ['an issuer image', issuerImage]])('the Job on each state of the Secret, its program from %s', (_from, image) => {
  let of = dist;
  let variant: Awaited<ReturnType<typeof synthVariant>> | undefined;
  beforeAll(async () => {
    if (image === undefined) return;
    variant = await synthVariant((c) => { c.issuer.image = image; });
    of = variant;
    expect(variant.job.spec.template.spec.containers[0].image).toBe(image);
    expect((await fluxApply(kubectl, variant, dist)).code).toBe(0);
    expect(condition(await jobEnd(admin, state, issuerNs, variant.job.metadata.name), 'Complete')?.status).toBe('True');
  });
  afterAll(async () => {
    if (variant === undefined) return;
    expect((await fluxApply(kubectl, dist, variant)).code).toBe(0);
    variant.remove();
    expect(condition(await jobEnd(admin, state, issuerNs, dist.job.metadata.name), 'Complete')?.status).toBe('True');
  });

  const key = rsaKey();
  const otherCa = makeCa('fab-e2e-other-ca');
  const year = { notBefore: new Date(Date.now() - day), notAfter: new Date(Date.now() + 365 * day) };
  const planted: [string, () => { tlsCrt: string; tlsKey: string; caCrt: string }][] = [
    // 95% of its lifetime gone: past any jittered 70-90% deadline, still valid for 12 h.
    ['expiring', () => ({ tlsCrt: signClientCert(planeCa, key, { commonName: dist.commonName, notBefore: new Date(Date.now() - 9.5 * day), notAfter: new Date(Date.now() + 0.5 * day) }), tlsKey: key.privateKeyPem, caCrt: planeCaPem })],
    ['a key that does not match', () => ({ tlsCrt: signClientCert(planeCa, key, { commonName: dist.commonName, ...year }), tlsKey: rsaKey().privateKeyPem, caCrt: planeCaPem })],
    ['a wrong CN', () => ({ tlsCrt: signClientCert(planeCa, key, { commonName: 'someone-else', ...year }), tlsKey: key.privateKeyPem, caCrt: planeCaPem })],
    ['a wrong CA', () => ({ tlsCrt: signClientCert(otherCa, key, { commonName: dist.commonName, ...year }), tlsKey: key.privateKeyPem, caCrt: planeCaPem })],
    ['garbage', () => ({ tlsCrt: 'garbage', tlsKey: 'more garbage', caCrt: 'garbage' })],
  ];

  test('GIVEN a valid Secret WHEN the Job runs again THEN it is a no-op that writes nothing', async () => {
    const before = await secrets();
    const auditFrom = statSync(state.auditLog).size;
    const job = await rerunJob(of);
    expect(condition(job, 'Complete')?.status).toBe('True');
    const after = await secrets();
    for (const ns of dist.namespaces) expect(after.get(ns).metadata.resourceVersion).toBe(before.get(ns).metadata.resourceVersion);
    expect(writesSince(auditFrom).filter((w) => w.startsWith(dist.issuer))).toEqual([]);
  });

  test.each(planted)('GIVEN a Secret with %s WHEN the Job runs THEN it is replaced by a fresh certificate', async (_state, files) => {
    const bad = files();
    await plantSecrets(bad);
    const job = await rerunJob(of);
    expect(condition(job, 'Complete')?.status).toBe('True');
    const cert = await expectHealthySecrets();
    expect(cert.tls.cert.toString()).not.toBe(bad.tlsCrt);
    // Issued now by the plane's signer, not the planted certificate repaired.
    expect(Date.now() - new Date(cert.x509.validFrom).getTime()).toBeLessThan(10 * 60_000);
  });
});

// ---- GitOps: the way Flux applies a new revision of dist/ -------------------------------------

describe('GitOps: server-side apply plus prune of a new synth', () => {
  test('GIVEN a new issuer image WHEN the new dist is applied and the old one pruned THEN no immutable error, no stale Job, and the new Job is a no-op', async () => {
    const next = await synthVariant((c) => { c.issuer.image = issuerImage; });
    try {
      const oldJob = dist.job.metadata.name as string;
      const newJob = next.job.metadata.name as string;
      expect(newJob).not.toBe(oldJob); // the name carries a hash of the Job's content
      const auditFrom = statSync(state.auditLog).size;

      const applied = await fluxApply(kubectl, next, dist);
      expect({ code: applied.code, stderr: applied.stderr }).toEqual({ code: 0, stderr: '' });
      // The program's ConfigMap goes with the Job that read it: the image brings the program.
      expect(applied.pruned.sort()).toEqual(['ConfigMap/cert-issuer-program', `Job/${oldJob}`]);
      await waitFor('the pruned Job and its pods to be gone', async () =>
        !(await admin.find(`/apis/batch/v1/namespaces/${issuerNs}/jobs/${oldJob}`)) && (await jobPods(admin, issuerNs, oldJob)).length === 0 ? true : undefined);
      const job = await jobEnd(admin, state, issuerNs, newJob);
      expect(condition(job, 'Complete')?.status).toBe('True');
      expect(job.spec.template.spec.containers[0].image).toBe(issuerImage);
      expect(writesSince(auditFrom).filter((w) => w.includes('/secrets') || w.includes('certificatesigningrequests'))).toEqual([]);

      // Re-applying the unchanged revision leaves the finished Job alone: no new pod, no write.
      const [podsBefore, uidBefore] = [(await jobPods(admin, issuerNs, newJob)).length, job.metadata.uid];
      const again = await fluxApply(kubectl, next, next);
      expect({ code: again.code, pruned: again.pruned }).toEqual({ code: 0, pruned: [] });
      await sleep(3_000); // what a mistaken re-run would need to show up
      const still = await admin.get(`/apis/batch/v1/namespaces/${issuerNs}/jobs/${newJob}`);
      expect({ uid: still.metadata.uid, pods: (await jobPods(admin, issuerNs, newJob)).length }).toEqual({ uid: uidBefore, pods: podsBefore });
      expect(writesSince(auditFrom).filter((w) => w.includes('/secrets') || w.includes('certificatesigningrequests'))).toEqual([]);

      // The control: what a Job under a fixed name would have met.
      const fixed = { ...next.job, metadata: { ...next.job.metadata, name: newJob } };
      fixed.spec = { ...fixed.spec, template: { ...fixed.spec.template, spec: { ...fixed.spec.template.spec, containers: [{ ...fixed.spec.template.spec.containers[0], image: 'ghcr.io/example/other:1' }] } } };
      const immutable = await admin.raw('PATCH', `/apis/batch/v1/namespaces/${issuerNs}/jobs/${newJob}?fieldManager=kustomize-controller`, fixed, 'application/apply-patch+yaml');
      expect(immutable.status).toBe(422);
      expect(immutable.text).toContain('field is immutable');
    } finally {
      expect((await fluxApply(kubectl, dist, next)).code).toBe(0);
      next.remove();
    }
    expect(condition(await jobEnd(admin, state, issuerNs, dist.job.metadata.name), 'Complete')?.status).toBe('True');
  });

  test('GIVEN a new CA bundle for the endpoint WHEN applied THEN every ca.crt is refreshed without a new certificate, and back again', async () => {
    const before = await expectHealthySecrets();
    const extraCa = makeCa('fab-e2e-extra-ca').certPem;
    const bundle = `${planeCaPem.trim()}\n${extraCa.trim()}\n`;
    const next = await synthVariant((c) => { c.apiCAFile = 'api-ca.pem'; }, { 'api-ca.pem': bundle });
    try {
      const applied = await fluxApply(kubectl, next, dist);
      expect({ code: applied.code, stderr: applied.stderr }).toEqual({ code: 0, stderr: '' });
      const job = await jobEnd(admin, state, issuerNs, next.job.metadata.name);
      expect(condition(job, 'Complete')?.status).toBe('True');
      const refreshed = await expectHealthySecrets(bundle);
      expect(refreshed.tls.cert.equals(before.tls.cert)).toBe(true); // same certificate, new ca.crt
    } finally {
      const back = await fluxApply(kubectl, dist, next);
      expect(back.pruned).toEqual(expect.arrayContaining([`Job/${next.job.metadata.name}`, 'ConfigMap/cert-issuer-api-ca']));
      next.remove();
    }
    expect(condition(await jobEnd(admin, state, issuerNs, dist.job.metadata.name), 'Complete')?.status).toBe('True');
    const restored = await expectHealthySecrets(planeCaPem);
    expect(restored.tls.cert.equals(before.tls.cert)).toBe(true);
  });
});

// ---- faults ----------------------------------------------------------------------------------

describe('faults', () => {
  test('GIVEN a third party that denies the CSR WHEN the Job runs THEN it ends at once with exit 4 and the denial reason', async () => {
    const denier = await installWebhook(admin, state, {
      name: 'fab-e2e-csr-denier',
      kind: 'Validating',
      rule: { apiGroups: ['certificates.k8s.io'], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['certificatesigningrequests/approval'] },
      labels: { 'flux-assets-bootstrap.io/secret': dist.secretName },
      // A policy engine that, as the issuer approves, denies the CSR first (its own update).
      answer: async (request) => {
        if (request.userInfo.username !== dist.issuer) return { allowed: true };
        const csr = await admin.get(`${csrsPath}/${request.name}`);
        csr.status.conditions = [...(csr.status.conditions ?? []), { type: 'Denied', status: 'True', reason: 'FabE2ePolicy', message: 'identity not allowed by policy', lastUpdateTime: new Date().toISOString() }];
        await admin.call('PUT', `${csrsPath}/${request.name}/approval`, csr);
        return { allowed: true };
      },
    });
    try {
      await deleteSecrets();
      const job = await rerunJob();
      expect(condition(job, 'Failed')).toMatchObject({ status: 'True', reason: 'PodFailurePolicy' });
      const { exitCodes, logs } = await podOutcomes(dist.job.metadata.name);
      expect(exitCodes).toEqual([4]);
      expect(logs).toMatch(/CSR cozystack-assets-tls-[0-9a-f]{8} denied: FabE2ePolicy: identity not allowed by policy/);
      expect(denier.requests.length).toBeGreaterThan(0);
      expect((await issuerEvents(admin, issuerNs, dist.job.metadata.name)).at(-1)).toMatchObject({
        type: 'Warning', reason: 'Denied', note: expect.stringMatching(/^exit 4: CSR cozystack-assets-tls-[0-9a-f]{8} denied: FabE2ePolicy/),
      });
    } finally {
      await denier.remove();
    }
    expect(condition(await rerunJob(), 'Complete')?.status).toBe('True');
    await expectHealthySecrets();
  });

  test('GIVEN CSRs left by a dead run WHEN the Job runs THEN the signed one is deleted, the pending one left alone, and neither is used', async () => {
    // A dead run's CSRs are the issuer's own (same ServiceAccount, same label): create them as it.
    const asIssuer = ['--as', dist.issuer, '--as-group', 'system:serviceaccounts', '--as-group', `system:serviceaccounts:${issuerNs}`];
    const leftover = (name: string) => ({
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'flux-assets-bootstrap', 'flux-assets-bootstrap.io/secret': dist.secretName } },
      spec: { request: '', signerName: 'kubernetes.io/kube-apiserver-client', usages: ['digital signature', 'client auth'], expirationSeconds: 3600 },
    });
    // In the issuer's own encoding, which its CSR policy admits.
    const keys = { 'fab-e2e-dead-signed': rsaKeyPair(2048), 'fab-e2e-dead-pending': rsaKeyPair(2048) };
    try {
      for (const [name, key] of Object.entries(keys)) {
        const csr = leftover(name);
        csr.spec.request = Buffer.from(encodeCsr({ commonName: dist.commonName, organization: undefined }, key, 2048)).toString('base64');
        const created = await run(state.kubectl, ['create', '-f', '-', ...asIssuer], { env: kubeEnv, input: JSON.stringify(csr) });
        expect({ name, code: created.code, stderr: created.stderr }).toEqual({ name, code: 0, stderr: '' });
      }
      expect((await kubectl('certificate', 'approve', 'fab-e2e-dead-signed')).code).toBe(0);
      await waitFor('the leftover CSR to be signed', async () => ((await admin.get(`${csrsPath}/fab-e2e-dead-signed`)).status.certificate ? true : undefined));
      const leftoverKey = keys['fab-e2e-dead-signed'].privateKeyPem;

      await deleteSecrets();
      const job = await rerunJob();
      expect(condition(job, 'Complete')?.status).toBe('True');
      const cert = await expectHealthySecrets();
      expect(cert.x509.checkPrivateKey(createPrivateKey(leftoverKey))).toBe(false);
      expect(await admin.find(`${csrsPath}/fab-e2e-dead-signed`)).toBeUndefined();
      // Young and pending, it may belong to a concurrent run: kept until it ages past the run
      // deadline (or the API's 24 h garbage collection).
      expect(await admin.find(`${csrsPath}/fab-e2e-dead-pending`)).toBeDefined();
      // The run's own CSR is gone too: no CSR of ours holds a certificate any more.
      expect((await ourCsrs()).filter((c) => c.status?.certificate).map((c) => c.metadata.name)).toEqual([]);
    } finally {
      await admin.raw('DELETE', `${csrsPath}/fab-e2e-dead-pending`);
    }
  });

  test('GIVEN two issuers that obtain certificates at the same moment WHEN both store them THEN one consistent Secret is everywhere', async () => {
    // Hold the signer so that both runs are waiting, then let it sign both at once: their
    // writes race as closely as this plane can make them.
    await restartComponent('kube-controller-manager', ['--controllers=*,-csrsigning']);
    const twins = ['fab-e2e-twin-a', 'fab-e2e-twin-b'];
    try {
      await deleteSecrets();
      const auditFrom = statSync(state.auditLog).size;
      // Copies of the one-shot Job under other names (not `create job --from=cronjob`: the
      // CronJob's history limit of 1 would delete the first to finish).
      await Promise.all(twins.map((name) => admin.call('POST', `/apis/batch/v1/namespaces/${issuerNs}/jobs`, { ...dist.job, metadata: { ...dist.job.metadata, name } })));
      await waitFor('both issuers waiting for the signer', async () => ((await waitingCsrs()).length === 2 ? true : undefined), { timeoutMs: 60_000 });
      await restartComponent('kube-controller-manager');
      for (const name of twins) {
        const job = await jobEnd(admin, state, issuerNs, name);
        expect({ name, complete: condition(job, 'Complete')?.status }).toEqual({ name, complete: 'True' });
      }
      await expectHealthySecrets();
      // Both really issued, and every Secret write was conditional: a create, or an update that
      // carried the resourceVersion read (the API refuses a stale one with 409).
      const events = auditEventsSince(state.auditLog, auditFrom).filter((e) => e.user.username === dist.issuer);
      expect(events.filter((e) => e.verb === 'create' && e.objectRef?.resource === 'certificatesigningrequests' && !e.objectRef?.subresource)).toHaveLength(2);
      expect(events.filter((e) => e.objectRef?.resource === 'secrets' && e.verb === 'patch')).toEqual([]);
    } finally {
      for (const name of twins) await deleteJob(admin, issuerNs, name);
    }
  });

  test('GIVEN a signer that does not sign WHEN the Job waits THEN it fails at its deadline saying so, and succeeds once the signer is back', async () => {
    const next = await synthVariant((c) => { c.issuer.timeoutSeconds = 30; });
    const name = next.job.metadata.name as string;
    await restartComponent('kube-controller-manager', ['--controllers=*,-csrsigning']);
    try {
      await deleteSecrets();
      expect((await fluxApply(kubectl, next, dist)).code).toBe(0);
      // The first pod runs into its 30 s deadline; the Job controller keeps the Job going.
      await waitFor('the first pod to fail', async () => ((await podOutcomes(name)).exitCodes[0] !== undefined ? true : undefined), { timeoutMs: 90_000, intervalMs: 1_000 });
      const first = await podOutcomes(name);
      expect(first.exitCodes[0]).toBe(5);
      expect(first.logs).toContain('signer did not sign within 30s: is kube-controller-manager running with --cluster-signing-cert-file?');
      expect((await issuerEvents(admin, issuerNs, name))[0]).toMatchObject({ type: 'Warning', reason: 'SignerTimeout', note: expect.stringContaining('exit 5: ') });
      await restartComponent('kube-controller-manager');
      const job = await jobEnd(admin, state, issuerNs, name);
      expect(condition(job, 'Complete')?.status).toBe('True');
      const { exitCodes } = await podOutcomes(name);
      expect(exitCodes.at(-1)).toBe(0);
      expect(exitCodes.slice(0, -1).every((c) => c === 5)).toBe(true);
      await expectHealthySecrets();
    } finally {
      await restartComponent('kube-controller-manager'); // a no-op restart if it already is back
      expect((await fluxApply(kubectl, dist, next)).code).toBe(0);
      next.remove();
    }
    expect(condition(await jobEnd(admin, state, issuerNs, dist.job.metadata.name), 'Complete')?.status).toBe('True');
  });

  test('GIVEN the Job waiting for its certificate WHEN kube-apiserver crashes and comes back THEN the Job completes', async () => {
    await restartComponent('kube-controller-manager', ['--controllers=*,-csrsigning']);
    const name = dist.job.metadata.name as string;
    try {
      await deleteSecrets();
      await recreateJob();
      await waitFor('the issuer to wait for the signer', async () => ((await waitingCsrs()).length === 1 ? true : undefined), { timeoutMs: 60_000 });

      await stopComponent('kube-apiserver', 'crash');
      await sleep(3_000);
      await startComponent('kube-apiserver');
      await restartComponent('kube-controller-manager'); // and the signer with it

      const job = await jobEnd(admin, state, issuerNs, name);
      expect(condition(job, 'Complete')?.status).toBe('True');
      const { exitCodes, logs } = await podOutcomes(name);
      expect(exitCodes).toEqual([0]); // it rode out the outage itself
      expect(logs).toContain('watch ended; listing again');
      await expectHealthySecrets();
    } finally {
      if (!isRunning('kube-apiserver')) await startComponent('kube-apiserver');
      await restartComponent('kube-controller-manager');
    }
  });
});

// ---- renewal ---------------------------------------------------------------------------------

test('renewal: the CronJob replaces a short-lived certificate between its deadline and its expiry, Flux stays Ready and fetches keep working', async () => {
  // The signer caps lifetimes at 8 minutes and backdates notBefore by 5: a 13-minute lifetime,
  // due for renewal 4.1-6.7 minutes from now, expiring in 8. The CronJob runs every minute.
  await restartComponent('kube-controller-manager', ['--cluster-signing-duration=8m']);
  const everyMinute = await synthVariant((c) => { c.issuer.renewalSchedule = '* * * * *'; });
  expect(everyMinute.job.metadata.name).toBe(dist.job.metadata.name); // the schedule is not the Job's
  try {
    await deleteSecrets();
    expect(condition(await rerunJob(), 'Complete')?.status).toBe('True');
    const first = await admin.get(secretPath(issuerNs));
    const old = clientCert(first);
    rmSync(old.dir, { recursive: true });
    const renewAfter = new Date(first.metadata.annotations['flux-assets-bootstrap.io/renew-after']);
    const notAfter = new Date(old.x509.validTo);
    expect(notAfter.getTime() - Date.now()).toBeLessThan(9 * 60_000);
    expect(renewAfter.getTime()).toBeLessThan(notAfter.getTime());

    expect((await fluxApply(kubectl, everyMinute, dist)).code).toBe(0);
    // Until the Secret changes: Flux's view (Ready) and a fetch with the current Secret, every 2 s.
    const fetches: number[] = [];
    const notReady: string[] = [];
    const noopWrites: string[] = [];
    const renewed = await waitFor('the renewal CronJob to replace the certificate', async () => {
      const secret = await admin.get(secretPath(issuerNs));
      if (secret.data['tls.crt'] === first.data['tls.crt'] && secret.metadata.resourceVersion !== first.metadata.resourceVersion) {
        noopWrites.push(secret.metadata.resourceVersion);
      }
      fetches.push((await mtlsGet(`${dist.helmRepositories[0].spec.url}/index.yaml`, tlsOf(secret))).status);
      for (const repo of dist.helmRepositories) {
        const hr = await admin.get(`/apis/source.toolkit.fluxcd.io/v1/namespaces/${repo.metadata.namespace}/helmrepositories/${repo.metadata.name}`);
        if (condition(hr, 'Ready')?.status !== 'True') notReady.push(`${repo.metadata.name} at ${new Date().toISOString()}`);
      }
      return secret.data['tls.crt'] !== first.data['tls.crt'] ? { secret, at: new Date() } : undefined;
    }, { timeoutMs: notAfter.getTime() - Date.now(), intervalMs: 2_000 });

    // Renewed after its deadline (not a no-op run's mistake) and before it expired.
    expect(renewed.at.getTime()).toBeGreaterThanOrEqual(renewAfter.getTime());
    expect(renewed.at.getTime()).toBeLessThan(notAfter.getTime());
    expect(fetches.every((s) => s === 200)).toBe(true);
    expect(notReady).toEqual([]);
    // A CronJob run renewed it; the runs before it, if any, wrote nothing.
    const runs = (await admin.get(`/apis/batch/v1/namespaces/${issuerNs}/jobs`)).items.filter((j: any) => j.metadata.ownerReferences?.[0]?.kind === 'CronJob');
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(noopWrites).toEqual([]);
    await expectHealthySecrets();
    const fresh = clientCert(renewed.secret);
    rmSync(fresh.dir, { recursive: true });
    expect(new Date(fresh.x509.validTo).getTime()).toBeGreaterThan(notAfter.getTime());
    // The annotations follow the new certificate: its dates, the CronJob's run and its CSR.
    const annotations = renewed.secret.metadata.annotations;
    expect(annotations['flux-assets-bootstrap.io/not-after']).toBe(fresh.x509.validToDate.toISOString().replace('.000Z', 'Z'));
    expect(annotations['flux-assets-bootstrap.io/renew-after']).not.toBe(first.metadata.annotations['flux-assets-bootstrap.io/renew-after']);
    expect(runs.map((j: any) => j.metadata.name)).toContain(annotations['flux-assets-bootstrap.io/issued-by']);
    expect(annotations['flux-assets-bootstrap.io/csr']).toMatch(new RegExp(`^${dist.secretName}-[0-9a-f]{8}$`));
    expect(annotations['flux-assets-bootstrap.io/csr']).not.toBe(first.metadata.annotations['flux-assets-bootstrap.io/csr']);
    // The renewing run said so in its Job's Events, with the new dates; the runs before it, none.
    const renewing = annotations['flux-assets-bootstrap.io/issued-by'];
    expect(await issuerEvents(admin, issuerNs, renewing)).toEqual([expect.objectContaining({
      type: 'Normal', reason: 'Renewed', note: expect.stringContaining(`valid until ${annotations['flux-assets-bootstrap.io/not-after']}`),
    })]);
    for (const run of runs.filter((j: any) => j.metadata.name !== renewing)) expect(await issuerEvents(admin, issuerNs, run.metadata.name)).toEqual([]);
    expect((await mtlsGet(`${dist.helmRepositories[0].spec.url}/index.yaml`, fresh.tls)).status).toBe(200);

    // Flux was told: every HelmRepository got the issuer's reconcile request and handled it, Ready.
    for (const repo of dist.helmRepositories) {
      const path = `/apis/source.toolkit.fluxcd.io/v1/namespaces/${repo.metadata.namespace}/helmrepositories/${repo.metadata.name}`;
      const handled = await waitFor(`${repo.metadata.name} to handle the renewal's reconcile request`, async () => {
        const hr = await admin.get(path);
        const requestedAt = hr.metadata.annotations?.['reconcile.fluxcd.io/requestedAt'];
        return requestedAt && new Date(requestedAt) >= new Date(renewed.at.getTime() - 5_000) && hr.status?.lastHandledReconcileAt === requestedAt ? hr : undefined;
      }, { timeoutMs: 60_000, intervalMs: 1_000 });
      expect(condition(handled, 'Ready')?.status).toBe('True');
    }
  } finally {
    await restartComponent('kube-controller-manager');
    expect((await fluxApply(kubectl, dist, everyMinute)).code).toBe(0);
    everyMinute.remove();
  }
  // Leave a full-length certificate behind for what follows.
  await deleteSecrets();
  expect(condition(await rerunJob(), 'Complete')?.status).toBe('True');
}, 15 * 60_000);

// ---- doctor, broken --------------------------------------------------------------------------

describe('doctor on a broken bootstrap', () => {
  test('GIVEN a missing Secret WHEN doctor runs THEN it fails that check, skips its fetches and says how to fix it', async () => {
    const [, pub] = dist.namespaces as [string, string];
    await admin.call('DELETE', secretPath(pub));
    const { code, lines } = await doctor();
    expect(code).toBe(1);
    expect(lines).toContainEqual(`FAIL Secret ${pub}/${dist.secretName}: missing or incomplete (needs tls.crt, tls.key, ca.crt); re-run the issuer: kubectl -n <issuer namespace> create job --from=cronjob/cert-issuer-renewal cert-issuer-now`);
    expect(lines.filter((l) => l.startsWith('FAIL mTLS GET'))).toHaveLength(dist.helmRepositories.filter((r) => r.metadata.namespace === pub).length);
    expect(lines.at(-1)).toMatch(/^doctor: \d+ of \d+ checks failed$/);
    // The advice works.
    expect((await kubectl('-n', issuerNs, 'create', 'job', '--from=cronjob/cert-issuer-renewal', 'cert-issuer-now')).code).toBe(0);
    expect(condition(await jobEnd(admin, state, issuerNs, 'cert-issuer-now'), 'Complete')?.status).toBe('True');
    // Where the README sends an operator to see a Job's outcome.
    expect((await kubectl('-n', issuerNs, 'get', 'jobs')).stdout).toMatch(/^cert-issuer-now\s.*\b1\/1\b/m);
    await deleteJob(admin, issuerNs, 'cert-issuer-now');
    expect((await doctor()).code).toBe(0);
  });

  test('GIVEN an expired certificate WHEN doctor runs THEN it names the expiry and the fetches fail', async () => {
    const key = rsaKey();
    const expiredAt = new Date(Date.now() - day);
    await plantSecrets({
      tlsCrt: signClientCert(planeCa, key, { commonName: dist.commonName, notBefore: new Date(Date.now() - 30 * day), notAfter: expiredAt }),
      tlsKey: key.privateKeyPem,
      caCrt: planeCaPem,
    });
    try {
      const { code, lines } = await doctor();
      expect(code).toBe(1);
      for (const ns of dist.namespaces) {
        expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^FAIL Secret ${ns}/${dist.secretName}: expired at ${expiredAt.toISOString().slice(0, 19)}`)));
      }
      expect(lines.filter((l) => l.startsWith('FAIL mTLS GET'))).toHaveLength(dist.helmRepositories.length);
    } finally {
      await deleteSecrets();
      expect(condition(await rerunJob(), 'Complete')?.status).toBe('True');
    }
  });

  test('GIVEN the reader RoleBinding removed WHEN doctor runs THEN the reader RBAC check and every fetch fail, naming the fix', async () => {
    const binding = dist.objects.find((o) => o.obj.kind === 'RoleBinding' && o.obj.metadata.namespace === assets.namespace && o.obj.roleRef.name.endsWith('-reader'))!;
    await admin.call('DELETE', `/apis/rbac.authorization.k8s.io/v1/namespaces/${assets.namespace}/rolebindings/${binding.obj.metadata.name}`);
    const readerMay = async () => (await kubectl('auth', 'can-i', 'get', `pods/${assets.pod}`, '--subresource=proxy', '-n', assets.namespace, `--as=${dist.commonName}`)).stdout.trim();
    await waitFor('the RBAC authorizer to see the RoleBinding gone', async () => ((await readerMay()) === 'no' ? true : undefined));
    try {
      const { code, lines } = await doctor();
      expect(code).toBe(1);
      expect(lines).toContainEqual(
        `FAIL RBAC: reader may get pods/proxy ${assets.pod} in ${assets.namespace}: ${dist.commonName} is denied; re-apply dist/dev (kubectl apply --server-side -k dist/dev)`,
      );
      const fetches = lines.filter((l) => l.includes('mTLS GET'));
      expect(fetches).toHaveLength(dist.helmRepositories.length);
      expect(fetches.every((l) => l.startsWith('FAIL') && l.includes('403'))).toBe(true);
    } finally {
      expect((await fluxApply(kubectl, dist)).code).toBe(0);
    }
    await waitFor('the RBAC authorizer to see the RoleBinding back', async () => ((await readerMay()) === 'yes' ? true : undefined));
    expect((await doctor()).code).toBe(0);
  });
});
