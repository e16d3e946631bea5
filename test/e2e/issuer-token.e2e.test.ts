// Issues 12 and 24 on the real control plane: what a stolen token of the issuer's ServiceAccount
// can do. With the synthesized ValidatingAdmissionPolicies (the default), the real kube-apiserver
// refuses every forged CSR at create, any approval or delete of another user's CSR, every Secret
// but the issuer's own TLS Secret as the issuer writes it, and every HelmRepository change but a
// reconcile request, each with the policy's message, while the Job and the renewal CronJob still
// issue; the pods' tokens expire within 10 minutes. With `issuer.admissionPolicy: false` the same
// writes go through, so it is the policies, not something else, that stop them. Both halves hold
// the answers to the README's table of what such a token can do (thief-writes.ts).
//
// Runs after day2.e2e.test.ts (test/e2e/sequencer.cjs) on the same plane, or alone; it starts
// from, and leaves behind, a healthy bootstrap: dist/dev applied and a valid Secret everywhere.
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { encodeCsr } from '../../src/contract/csr-encoding.ts';
import { type CsrSpec, type Forgery, forgeries, refusal, rsaKeyPair } from '../cert-issuer/forged-csrs.ts';
import { Kube } from '../plane/kube.ts';
import { ISSUER_POLICY_RESOURCES, issuerPolicyName } from '../../src/constructs/names.ts';
import { ISSUER_SERVICE_ACCOUNT_NAME } from '../../src/contract/issuer-api.ts';
import { ADMIN_SERVICE_ACCOUNT, type Outcome, readmeThiefTable, THIEF_TARGET_LABEL, type ThiefWrite, thiefWrites } from './thief-writes.ts';
import { waitFor } from '../plane/proc.ts';
import {
  auditEventsSince, condition, containerLog, deleteJob, e2eContext, fluxApply, issuerEvents, jobDiagnostics, jobEnd, jobPods, synthVariant, writesAmong,
} from '../plane/testkit.ts';
import { installWebhook } from '../plane/webhook.ts';

const { state, dist, admin, kubectl, issuerNs, secretPath, recreateJob, rerunJob, deleteSecrets, makeHealthy, doctor } = e2eContext();
const csrsPath = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const forgedLabel = { 'fab-e2e.test/forged-csr': 'true' };
const policyNames = ISSUER_POLICY_RESOURCES.map((resource) => issuerPolicyName(issuerNs, ISSUER_SERVICE_ACCOUNT_NAME, resource));
const [policyName] = policyNames as [string];
const table = readmeThiefTable();
const writes = thiefWrites(dist);
const issuerCsr = {
  commonName: dist.issuerArgs.commonName,
  keyBits: dist.issuerArgs.keyBits,
  signerName: dist.issuerArgs.signerName,
  maxExpirationSeconds: dist.issuerArgs.expirationSeconds,
};
const forged = forgeries(issuerCsr);
let serial = 0;

/** A client that authenticates with a fresh TokenRequest token of the issuer's ServiceAccount, as `kubectl create token` gives. */
async function issuerClient(): Promise<Kube> {
  const request = await admin.call('POST', `/api/v1/namespaces/${issuerNs}/serviceaccounts/${dist.job.spec.template.spec.serviceAccountName}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 600 },
  });
  return new Kube({ server: admin.creds.server, ca: admin.creds.ca, token: request.status.token });
}

function csrObject(spec: CsrSpec): any {
  return {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: `fab-e2e-forged-${process.pid}-${++serial}`, labels: forgedLabel },
    spec: {
      request: Buffer.from(spec.pem, 'latin1').toString('base64'),
      signerName: spec.signerName,
      usages: spec.usages,
      ...(spec.expirationSeconds !== undefined && { expirationSeconds: spec.expirationSeconds }),
    },
  };
}

/** A CSR exactly as the issuer would create it, for any CN and key size. */
function issuerRequest(commonName = issuerCsr.commonName, keyBits = issuerCsr.keyBits): any {
  const pem = encodeCsr({ commonName, organization: undefined }, rsaKeyPair(keyBits), keyBits);
  return csrObject({ pem, signerName: issuerCsr.signerName, usages: forged[0]!.spec.usages, expirationSeconds: 600 });
}

/** PUT on the approval subresource with an Approved condition added. */
function approve(kube: Kube, csr: any) {
  const condition = { type: 'Approved', status: 'True', reason: 'FabE2e', message: 'approved with the issuer token', lastUpdateTime: new Date().toISOString() };
  return kube.raw('PUT', `${csrsPath}/${csr.metadata.name}/approval`, { ...csr, status: { ...csr.status, conditions: [...(csr.status?.conditions ?? []), condition] } });
}

/** A label selector for exactly `labels`, as a query string. */
const selectorOf = (labels: Record<string, string>) => `?labelSelector=${encodeURIComponent(Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(','))}`;

async function deleteForgedCsrs(): Promise<void> {
  await admin.raw('DELETE', `${csrsPath}${selectorOf(forgedLabel)}`);
}

/**
 * The policies take effect (or end) when the API server's informer sees each of them, not at once:
 * ask each with a dry run that only it refuses until every answer has changed.
 */
async function policyInForce(issuer: Kube, inForce: boolean): Promise<void> {
  const probes = [
    { resource: 'certificatesigningrequests' as const, send: async () => {
      const res = await issuer.raw('POST', `${csrsPath}?dryRun=All`, csrObject(forged[0]!.spec));
      return { status: res.status, message: res.text };
    } },
    ...['an Opaque Secret of another name', 'spec.suspend', 'an Event about its Secret'].map((what) => {
      const write = writes.find((w) => w.what === what)!;
      return { resource: write.resource, send: () => write.send(issuer, admin) };
    }),
  ];
  for (const { resource, send } of probes) {
    const name = issuerPolicyName(issuerNs, ISSUER_SERVICE_ACCOUNT_NAME, resource);
    await waitFor(`the policy ${name} to be ${inForce ? 'in force' : 'gone'}`, async () => {
      const { status, message } = await send();
      return (inForce ? status === 422 && message.includes(name) : status < 300) || undefined;
    }, { timeoutMs: 30_000, intervalMs: 500 });
  }
}

/** Whatever the thief's writes need to act on, made as admin: a ServiceAccount bound to cluster-admin in a repository namespace. */
async function createThiefTargets(): Promise<void> {
  const ns = dist.namespaces.at(-1)!;
  await admin.call('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: ADMIN_SERVICE_ACCOUNT, labels: THIEF_TARGET_LABEL } });
  await admin.call('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding',
    metadata: { name: ADMIN_SERVICE_ACCOUNT, labels: THIEF_TARGET_LABEL },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: ADMIN_SERVICE_ACCOUNT, namespace: ns }],
  });
}

async function deleteThiefTargets(): Promise<void> {
  const ns = dist.namespaces.at(-1)!;
  await admin.raw('DELETE', `/api/v1/namespaces/${ns}/serviceaccounts/${ADMIN_SERVICE_ACCOUNT}`);
  await admin.raw('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${ADMIN_SERVICE_ACCOUNT}`);
  await admin.raw('DELETE', `${csrsPath}${selectorOf(THIEF_TARGET_LABEL)}`);
}

/** The API server's answer to `write` is what `outcome` says: refused by its policy with its message, refused by RBAC, or let through. */
function expectOutcome(write: ThiefWrite, answer: { status: number; message: string }, outcome: Outcome): void {
  const policy = issuerPolicyName(issuerNs, ISSUER_SERVICE_ACCOUNT_NAME, write.resource);
  const seen = answer.status < 300 ? 'open'
    : answer.status === 403 && answer.message.includes(`User "${dist.issuer}" cannot`) ? 'refused (RBAC)'
      : answer.status === 422 && answer.message.includes(`ValidatingAdmissionPolicy '${policy}' with binding '${policy}' denied request: `) ? 'refused'
        : `HTTP ${answer.status}`;
  expect({ outcome: seen, message: answer.message }).toEqual({
    outcome,
    message: outcome === 'refused' ? expect.stringContaining(write.refusedFor!) : expect.any(String),
  });
}

/** Successful writes stored by the issuer's user since byte `from` of the audit log (dry runs store nothing). */
function storedIssuerWrites(from: number): string[] {
  const events = auditEventsSince(state.auditLog, from).filter((e) => e.stage === 'ResponseComplete' && e.user.username === dist.issuer
    && e.responseStatus?.code < 300 && !/[?&]dryRun=All/.test(e.requestURI));
  return writesAmong(events);
}

/** The claims of a JWT, unverified: the test only reads what the pod was given. */
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));

let issuer: Kube;

beforeAll(async () => {
  await makeHealthy();
  issuer = await issuerClient();
  await policyInForce(issuer, true);
});

afterAll(async () => {
  await deleteForgedCsrs();
  issuer?.close();
  admin.close();
});

describe('with the admission policy (the default)', () => {
  test.each(policyNames)('GIVEN dist/dev applied THEN the API server type-checked the policy %s without a warning', async (name) => {
    const policy = await admin.get(`/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/${name}`);
    expect(policy.status?.typeChecking?.expressionWarnings ?? []).toEqual([]);
    expect(condition(policy, 'Ready')?.status ?? 'True').toBe('True');
  });

  test.each(forged.map((f) => [f.what, f] as const))('GIVEN the issuer token WHEN it creates a CSR with %s THEN the API server refuses it with the policy\'s reason', async (_, forgery) => {
    const csr = csrObject(forgery.spec);
    const res = await issuer.raw('POST', csrsPath, csr);
    expect({ status: res.status, message: res.json?.message }).toEqual({
      status: 422,
      message: expect.stringContaining(`ValidatingAdmissionPolicy '${policyName}' with binding '${policyName}' denied request: CSR refused by the ${issuerNs}/cert-issuer issuer policy: ${forgery.refusedFor}`),
    });
    expect(await admin.find(`${csrsPath}/${csr.metadata.name}`)).toBeUndefined();
  });

  test('GIVEN a pending CSR another user created WHEN the issuer token approves it THEN the policy refuses, naming the requester, and it stays unapproved', async () => {
    const csr = await admin.call('POST', csrsPath, csrObject({ ...forged[0]!.spec }));
    const res = await approve(issuer, csr);
    expect({ status: res.status, message: res.json?.message }).toEqual({
      status: 422,
      message: expect.stringContaining(`it may approve only its own CSRs; ${csr.metadata.name} was requested by ${csr.spec.username}`),
    });
    expect(condition(await admin.get(`${csrsPath}/${csr.metadata.name}`), 'Approved')).toBeUndefined();
  });

  test('GIVEN the issuer token WHEN it creates and approves a CSR exactly as the issuer encodes it THEN the policy admits both: a thief gets only the reader\'s identity', async () => {
    const csr = await issuer.call('POST', csrsPath, issuerRequest());
    expect((await approve(issuer, csr)).status).toBe(200);
    const signed = await waitFor('the signer to sign', async () => (await admin.get(`${csrsPath}/${csr.metadata.name}`)).status?.certificate);
    expect(new X509Certificate(Buffer.from(signed, 'base64')).subject).toBe(`CN=${issuerCsr.commonName}`);
  });

  test('GIVEN the policy WHEN the Job and a run of the renewal CronJob issue THEN both complete, and the token each pod got expires within 10 minutes', async () => {
    const runs: { job: string; viaCronJob: boolean }[] = [{ job: dist.job.metadata.name, viaCronJob: false }, { job: 'fab-e2e-renewal-now', viaCronJob: true }];
    try {
      for (const { job, viaCronJob } of runs) {
        await deleteSecrets(); // so that the run issues, through the policy
        if (viaCronJob) {
          const created = await kubectl('create', 'job', '-n', issuerNs, `--from=cronjob/cert-issuer-renewal`, job);
          expect(created.stderr).toBe('');
        } else {
          await recreateJob();
        }
        const finished = await jobEnd(admin, state, issuerNs, job);
        if (condition(finished, 'Complete')?.status !== 'True') throw new Error(`${job} failed:\n${await jobDiagnostics(admin, state, issuerNs, job)}`);
        expect(await admin.find(secretPath(issuerNs))).toBeDefined();

        const [pod] = await jobPods(admin, issuerNs, job);
        expect(pod.spec.automountServiceAccountToken).toBe(false);
        const tokenSources = pod.spec.volumes.flatMap((v: any) => v.projected?.sources ?? []).filter((s: any) => s.serviceAccountToken);
        expect(tokenSources).toEqual([{ serviceAccountToken: { path: 'token', expirationSeconds: 600 } }]);
        // What the simulated kubelet wrote into the pod's projected volume, from its TokenRequest.
        const token = readFileSync(join(state.stateDir, 'pods', pod.metadata.uid, 'volumes', 'api-access', 'token'), 'utf8');
        const claims = claimsOf(token);
        expect(claims.sub).toBe(dist.issuer);
        expect(claims['kubernetes.io'].pod.name).toBe(pod.metadata.name);
        expect(claims.exp - claims.iat).toBeLessThanOrEqual(600);
        expect(claims.exp * 1000 - Date.now()).toBeLessThanOrEqual(600_000);
      }
    } finally {
      await deleteJob(admin, issuerNs, 'fab-e2e-renewal-now');
    }
  });

  test('GIVEN a mutating webhook that swaps the issuer\'s request for a foreign subject WHEN the Job runs THEN the API server refuses the CSR and the Job ends at once with exit 4 and the policy\'s reason', async () => {
    const foreign = forged.find((f) => f.identity === 'admin-impostor')!;
    const swapper = await installWebhook(admin, state, {
      name: 'fab-e2e-csr-swapper',
      kind: 'Mutating',
      rule: { apiGroups: ['certificates.k8s.io'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['certificatesigningrequests'] },
      labels: { 'flux-assets-bootstrap.io/secret': dist.secretName },
      answer: () => ({ allowed: true, patch: [{ op: 'replace', path: '/spec/request', value: Buffer.from(foreign.spec.pem).toString('base64') }] }),
    });
    try {
      await deleteSecrets();
      const job = await rerunJob();
      expect(swapper.requests.length).toBeGreaterThan(0);
      expect(condition(job, 'Failed')).toMatchObject({ status: 'True', reason: 'PodFailurePolicy' });
      const [pod] = await jobPods(admin, issuerNs, dist.job.metadata.name);
      expect(pod.status.containerStatuses[0].state.terminated.exitCode).toBe(4);
      expect(readFileSync(containerLog(state, pod), 'utf8')).toContain(`the API server refused CSR ${dist.secretName}-`);
      expect(readFileSync(containerLog(state, pod), 'utf8')).toContain(refusal.subject);
      // An operator sees why in the Job's Events.
      expect((await issuerEvents(admin, issuerNs, dist.job.metadata.name)).at(-1)).toMatchObject({
        type: 'Warning', reason: 'Refused', note: expect.stringMatching(/^exit 4: the API server refused CSR .*issuer policy/),
      });
    } finally {
      await swapper.remove();
    }
    expect(condition(await rerunJob(), 'Complete')?.status).toBe('True');
  });

  test('GIVEN a CN outside PrintableString and a 3072-bit key WHEN that config is applied THEN the Job issues through its policy, which refuses the same CN with another key size', async () => {
    const commonName = 'flux_reader@lecteur-é';
    const variant = await synthVariant((c) => { c.certificate.commonName = commonName; c.certificate.keyBits = 3072; });
    try {
      // The policy files come first in dist/ (kubectl apply -f applies by name); wait for the
      // API server to use the new one before the new Job asks it anything.
      for (const { obj, file } of variant.objects.filter((o) => o.obj.kind.startsWith('ValidatingAdmissionPolicy'))) {
        expect({ kind: obj.kind, ...(await kubectl('apply', '--server-side', '--force-conflicts', '--field-manager=kustomize-controller', '-f', file)) }).toMatchObject({ kind: obj.kind, code: 0 });
      }
      await waitFor('the policy for the new CN to be in force', async () => ((await issuer.raw('POST', `${csrsPath}?dryRun=All`, issuerRequest(commonName, 3072))).status === 201 ? true : undefined), { timeoutMs: 30_000, intervalMs: 500 });
      const refused = await issuer.raw('POST', `${csrsPath}?dryRun=All`, issuerRequest(commonName, 2048));
      expect({ status: refused.status, message: refused.json?.message }).toEqual({ status: 422, message: expect.stringContaining(`${refusal.subject} CN=${commonName} with an RSA 3072-bit key`) });

      expect((await fluxApply(kubectl, variant, dist)).code).toBe(0);
      const job = await jobEnd(admin, state, issuerNs, variant.job.metadata.name);
      if (condition(job, 'Complete')?.status !== 'True') throw new Error(`the Job failed:\n${await jobDiagnostics(admin, state, issuerNs, variant.job.metadata.name)}`);
      const secret = await admin.get(secretPath(issuerNs));
      const cert = new X509Certificate(Buffer.from(secret.data['tls.crt'], 'base64'));
      expect(cert.subject).toBe(`CN=${commonName}`);
      expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
    } finally {
      expect((await fluxApply(kubectl, dist, variant)).code).toBe(0);
      variant.remove();
    }
    // The old config back: once its policy is in force again, its Job issues for the old CN.
    await waitFor('the dev policy to be in force again', async () => ((await issuer.raw('POST', `${csrsPath}?dryRun=All`, issuerRequest())).status === 201 ? true : undefined), { timeoutMs: 30_000, intervalMs: 500 });
    await deleteSecrets();
    expect(condition(await rerunJob(), 'Complete')?.status).toBe('True');
  });

  describe("a thief's writes with the issuer token (server-side dry runs)", () => {
    let auditFrom: number;

    beforeAll(async () => {
      await createThiefTargets();
      auditFrom = statSync(state.auditLog).size;
    });

    afterAll(async () => {
      await deleteThiefTargets();
    });

    test("GIVEN the README's table THEN every write belongs to a row of it, and every row but the CSR forgeries above and the reader's own certificate has writes", () => {
      expect(writes.filter((w) => !table.has(w.row)).map((w) => w.row)).toEqual([]);
      const covered = new Set(writes.map((w) => w.row));
      expect([...table.keys()].filter((row) => !covered.has(row))).toEqual([
        expect.stringMatching(/^have a CSR for another identity signed/),
        "approve another requester's CSR",
        'obtain a certificate for the reader\'s CN with a key of its own',
      ]);
    });

    test.each(writes.map((w) => [w.row, w.what, w] as const))('GIVEN the policies WHEN the thief tries to %s (%s) THEN the API server answers as the README says', async (_, __, write) => {
      expectOutcome(write, await write.send(issuer, admin), table.get(write.row)!.withPolicies);
    });

    test('GIVEN those attempts THEN the audit log holds no write the issuer\'s user stored', () => {
      expect(storedIssuerWrites(auditFrom)).toEqual([]);
    });
  });

  test('GIVEN the policies in force WHEN doctor runs THEN it finds the policy and its dry-run forgery refused', async () => {
    const { code, lines } = await doctor();
    for (const name of policyNames) expect(lines).toContainEqual(`ok   admission policy ${name}: policy and binding (Deny) present`);
    const refusedBy = (attempt: string, name: string, message: string) => expect(lines).toContainEqual(expect.stringMatching(
      new RegExp(`^ok   admission policy refuses ${attempt} by ${dist.issuer} \\(server-side dry run\\): .*'${name.replaceAll('.', '\\.')}'.*${message}`),
    ));
    refusedBy('a CSR for CN=system:kube-controller-manager', policyNames[0]!, refusal.subject);
    // doctor probes the first repository of the config, whichever of dist's it is.
    const oneOf = (names: string[]) => `(${names.join('|')})`;
    refusedBy(`a service-account-token Secret in ${oneOf(dist.namespaces)}`, policyNames[1]!, 'it may write only the Secret');
    refusedBy(`suspending HelmRepository ${oneOf(dist.helmRepositories.map((r) => `${r.metadata.namespace}/${r.metadata.name}`))}`, policyNames[2]!, 'the spec');
    refusedBy(`an Event about Secret ${issuerNs}/${dist.secretName}`, policyNames[3]!, 'it may report only on its own Jobs');
    expect({ code, failed: lines.filter((l) => l.startsWith('FAIL')) }).toEqual({ code: 0, failed: [] });
  });
});

describe('without the admission policy (issuer.admissionPolicy: false)', () => {
  let withoutPolicy: Awaited<ReturnType<typeof synthVariant>>;

  beforeAll(async () => {
    withoutPolicy = await synthVariant((c) => { c.issuer.admissionPolicy = false; });
    const applied = await fluxApply(kubectl, withoutPolicy, dist);
    expect(applied.pruned.sort()).toEqual(policyNames.flatMap((name) => [`ValidatingAdmissionPolicy/${name}`, `ValidatingAdmissionPolicyBinding/${name}`]).sort());
    await policyInForce(issuer, false);
    await createThiefTargets();
  });

  afterAll(async () => {
    await deleteThiefTargets();
    expect((await fluxApply(kubectl, dist, withoutPolicy)).code).toBe(0);
    withoutPolicy.remove();
    await policyInForce(issuer, true);
  });

  test.each(writes.map((w) => [w.row, w.what, w] as const))('GIVEN no policies WHEN the thief tries to %s (%s) THEN the API server answers as the README says', async (_, __, write) => {
    expectOutcome(write, await write.send(issuer, admin), table.get(write.row)!.withoutPolicies);
  });

  test('GIVEN no policies WHEN the thief creates a token Secret for a ServiceAccount bound to cluster-admin THEN Kubernetes fills it with a token that may do anything', async () => {
    const ns = dist.namespaces.at(-1)!;
    const path = `/api/v1/namespaces/${ns}/secrets`;
    const created = await issuer.call('POST', path, {
      apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token',
      metadata: { name: 'fab-e2e-thief-token', labels: THIEF_TARGET_LABEL, annotations: { 'kubernetes.io/service-account.name': ADMIN_SERVICE_ACCOUNT } },
    });
    try {
      const token = await waitFor('the token controller to fill the Secret', async () => (await admin.get(`${path}/${created.metadata.name}`)).data?.token as string | undefined);
      const stolen = new Kube({ server: admin.creds.server, ca: admin.creds.ca, token: Buffer.from(token, 'base64').toString('utf8') });
      try {
        const review = await stolen.call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
          apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: '*', group: '*', resource: '*' } },
        });
        expect(review.status.allowed).toBe(true);
      } finally {
        stolen.close();
      }
    } finally {
      await admin.raw('DELETE', `${path}/${created.metadata.name}`);
    }
  });

  /** Creates, approves with the issuer token and waits for the certificate; returns its subject. */
  async function mint(forgery: Forgery): Promise<{ created: number; approved?: number; subject?: string }> {
    const res = await issuer.raw('POST', csrsPath, csrObject(forgery.spec));
    if (res.status !== 201) return { created: res.status };
    const approved = await approve(issuer, res.json);
    if (approved.status !== 200) return { created: res.status, approved: approved.status };
    const signed = await waitFor(`the signer to sign ${forgery.what}`, async () => (await admin.get(`${csrsPath}/${res.json.metadata.name}`)).status?.certificate);
    return { created: 201, approved: 200, subject: new X509Certificate(Buffer.from(signed, 'base64')).subject };
  }

  test.each(forged.filter((f) => f.spec.signerName === issuerCsr.signerName).map((f) => [f.what, f] as const))(
    'GIVEN the issuer token WHEN it creates a CSR with %s and approves it THEN the signer signs it',
    async (_, forgery) => {
      const minted = await mint(forgery);
      expect(minted).toMatchObject({ created: 201, approved: 200 });
      expect(minted.subject?.split('\n')).toContain(`CN=${forgery.identity}`);
    },
  );

  test('GIVEN the issuer token WHEN it creates a CSR for another signer THEN it is created (only RBAC keeps it from approving that signer)', async () => {
    const forgery = forged.find((f) => f.spec.signerName !== issuerCsr.signerName)!;
    expect(await mint(forgery)).toEqual({ created: 201, approved: 403 });
  });

  test('GIVEN a pending CSR another user created WHEN the issuer token approves it THEN it is approved', async () => {
    const csr = await admin.call('POST', csrsPath, csrObject({ ...forged[0]!.spec }));
    expect((await approve(issuer, csr)).status).toBe(200);
  });

  test('GIVEN no policies while the config wants them WHEN doctor runs THEN it fails every policy check, saying what each dry run let through', async () => {
    const { code, lines } = await doctor();
    expect(code).toBe(1);
    for (const name of policyNames) expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^FAIL admission policy ${name.replaceAll('.', '\\.')}: missing; re-apply dist/dev`)));
    expect(lines).toContainEqual(expect.stringMatching(/^FAIL admission policy refuses a CSR for CN=system:kube-controller-manager .*: admitted: a stolen issuer token can have any identity signed/));
    expect(lines).toContainEqual(expect.stringMatching(/^FAIL admission policy refuses a service-account-token Secret in .*: admitted: a stolen issuer token can mint a token of any ServiceAccount/));
    expect(lines).toContainEqual(expect.stringMatching(/^FAIL admission policy refuses suspending HelmRepository .*: admitted: a stolen issuer token can stop or repoint a HelmRepository/));
    expect(lines).toContainEqual(expect.stringMatching(/^FAIL admission policy refuses an Event about Secret .*: admitted: a stolen issuer token can write Events about any object in /));
  });
});
