import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import { buildCsrObject } from '../../cert-issuer/src/csr.ts';
import { SECRET_LABEL } from '../../src/contract/issuer-api.ts';
import { ExitCode, IssuerError } from '../../cert-issuer/src/errors.ts';
import { ensure } from '../../cert-issuer/src/flow.ts';
import { evaluate, type TlsFiles } from '../../cert-issuer/src/rotation.ts';
import { buildTlsSecret, filesOf, originOf } from '../../cert-issuer/src/secret.ts';
import type { FakeKube } from './fake-kube.ts';
import { ca, helmRepositories, issuerError, logged, namespaces, runName, secretName, start, username, world, type World } from './issuer-world.ts';
import { clientCert, makeCa, rsaKey } from './pki.ts';

const day = 86_400_000;
const expected = { commonName: 'reader', organization: undefined, signerCaPem: ca.certPem, caCrt: ca.certPem };

/** A certificate issued a day before the test starts, 30 days long: valid and not due for renewal. */
const key = rsaKey();
const good: TlsFiles = {
  tlsCrt: clientCert(ca, key, { notBefore: new Date(start.getTime() - day), notAfter: new Date(start.getTime() + 29 * day) }),
  tlsKey: key.privateKeyPem,
  caCrt: ca.certPem,
};

function store({ kube }: World, namespace: string, files: TlsFiles): void {
  kube.putSecret(buildTlsSecret({ name: secretName, namespace, files, notAfter: start, renewAfter: start, origin: { issuedBy: 'cert-issuer-earlier', csr: `${secretName}-earlier` } }));
}

function filesIn({ kube }: World, namespace: string): TlsFiles | undefined {
  return filesOf(kube.secret(namespace, secretName));
}

/** Every namespace holds the same certificate, valid for the reader at the fake clock's time. */
function expectOneValidCertificateEverywhere(w: World): TlsFiles {
  const [first, ...rest] = namespaces.map((ns) => filesIn(w, ns));
  expect(first).toBeDefined();
  for (const files of rest) expect(files).toEqual(first);
  expect(evaluate(first!, expected, w.clock.date)).toMatchObject({ good: true });
  return first!;
}

/** The name of the CSR this run created (its suffix is random). */
function createdCsr(w: World): string {
  const created = w.kube.calls.find((call) => call.startsWith('createCsr '));
  if (created === undefined) throw new Error('no CSR was created');
  return created.split(' ')[1]!;
}

describe('ensure: the Secrets decide', () => {
  test('GIVEN the same valid certificate in every namespace WHEN the issuer runs THEN it only reads: zero writes, no CSR, no refresh', async () => {
    const w = world();
    for (const ns of namespaces) store(w, ns, good);

    await ensure(w.run);

    expect(w.kube.writes).toEqual([]);
    expect(w.kube.calls).toEqual(namespaces.map((ns) => `readSecret ${ns}/${secretName}`));
    expect(logged(w, 'decide')).toEqual([expect.objectContaining({ action: 'noop', round: 1 })]);
  });

  test.each<[string, TlsFiles | undefined]>([
    ['no Secret', undefined],
    ['a copy with a stale ca.crt', { ...good, caCrt: makeCa('old-ca').certPem }],
    ['a copy whose key does not match', { ...good, tlsKey: rsaKey().privateKeyPem }],
  ])('GIVEN a valid certificate in one namespace and %s in the other WHEN the issuer runs THEN it copies the good one there, issues nothing and asks Flux to reconcile', async (_case, other) => {
    const w = world();
    store(w, 'cozy-system', good);
    if (other !== undefined) store(w, 'cozy-public', other);

    await ensure(w.run);

    expect(expectOneValidCertificateEverywhere(w)).toEqual(good);
    expect(w.kube.writes).toEqual([`writeSecret cozy-public/${secretName}`, ...helmRepositories.map((repo) => `requestReconcile ${repo}`)]);
    // The copy names the run and CSR of the certificate it copies, not this run.
    expect(originOf(w.kube.secret('cozy-public', secretName))).toEqual({ issuedBy: 'cert-issuer-earlier', csr: `${secretName}-earlier` });
    expect(logged(w, 'decide')).toEqual([expect.objectContaining({ action: 'repair' })]);
    for (const repo of helmRepositories) expect(w.kube.helmRepositories.get(repo)).toBe('2026-03-01T08:00:00Z');
  });
});

describe('ensure: a Secret it may not write', () => {
  test('GIVEN an Opaque Secret with the configured name and no valid certificate WHEN the issuer runs THEN it stops with exit 2 before any CSR, saying to delete that Secret', async () => {
    const w = world();
    w.kube.putSecret({ metadata: { namespace: 'cozy-public', name: secretName }, type: 'Opaque', data: { note: Buffer.from('mine').toString('base64') } });

    await expect(ensure(w.run)).rejects.toMatchObject(issuerError(ExitCode.badConfig, new RegExp(`Secret cozy-public/${secretName} is of type Opaque.*kubectl -n cozy-public delete secret ${secretName}`)));

    expect(w.kube.writes).toEqual([]);
  });

  test('GIVEN an Opaque Secret that holds the valid certificate everywhere WHEN the issuer runs THEN it is a no-op: only a write needs the type', async () => {
    const w = world();
    for (const ns of namespaces) store(w, ns, good);
    w.kube.putSecret({ ...w.kube.secret('cozy-public', secretName)!, type: 'Opaque' });

    await ensure(w.run);

    expect(w.kube.writes).toEqual([]);
  });
});

describe('ensure: issuing', () => {
  test('GIVEN no Secret anywhere and a signer that signs at once WHEN the issuer runs THEN it creates, verifies, approves, stores everywhere, refreshes and deletes its CSR', async () => {
    const w = world();

    await ensure(w.run);

    expectOneValidCertificateEverywhere(w);
    const csr = createdCsr(w);
    expect(w.kube.writes).toEqual([
      `createCsr ${csr}`,
      `approveCsr ${csr}`,
      ...namespaces.map((ns) => `writeSecret ${ns}/${secretName}`),
      ...helmRepositories.map((repo) => `requestReconcile ${repo}`),
      `deleteCsr ${csr}`,
    ]);
    expect(w.kube.csrNames()).toEqual([]);
    expect(w.kube.secret('cozy-system', secretName)?.type).toBe('kubernetes.io/tls');
    // Each copy says which run issued it and as which CSR.
    for (const ns of namespaces) expect(originOf(w.kube.secret(ns, secretName))).toEqual({ issuedBy: runName, csr });
    // The deadline's timer was freed, not left to fire into a finished run.
    expect(w.clock.pending).toBe(0);
  });

  test('GIVEN an expired certificate everywhere WHEN the issuer runs THEN it replaces each copy under the resourceVersion it read', async () => {
    const w = world();
    const expired = { ...good, tlsCrt: clientCert(ca, key, { notBefore: new Date(start.getTime() - 30 * day), notAfter: new Date(start.getTime() - day) }) };
    for (const ns of namespaces) store(w, ns, expired);

    await ensure(w.run);

    expect(logged(w, 'decide')).toEqual([expect.objectContaining({ action: 'issue', msg: expect.stringMatching(/expired at/) })]);
    expectOneValidCertificateEverywhere(w);
    expect(logged(w, 'store').map((line) => line.operation)).toEqual(['update', 'update']);
  });

  test('GIVEN CSRs left by dead runs and one of another requester WHEN the issuer issues THEN it deletes only its own dead ones', async () => {
    const w = world();
    const leftover = (name: string, requester: string, created: Date): V1CertificateSigningRequest => {
      const csr = buildCsrObject({ name, secretName, requestPem: 'unused', signerName: 'kubernetes.io/kube-apiserver-client', expirationSeconds: 600 });
      return { ...csr, metadata: { ...csr.metadata, creationTimestamp: created }, spec: { ...csr.spec, username: requester } };
    };
    w.kube.putCsr(leftover('assets-tls-dead0001', username, new Date(start.getTime() - day)));
    w.kube.putCsr(leftover('assets-tls-other001', 'system:serviceaccount:default:someone', new Date(start.getTime() - day)));
    w.kube.putCsr(leftover('assets-tls-young001', username, new Date(start.getTime() - 1000)));

    await ensure(w.run);

    expect(w.kube.csrNames().sort()).toEqual(['assets-tls-other001', 'assets-tls-young001']);
    expect(logged(w, 'cleanup')).toContainEqual(expect.objectContaining({ csrs: 'assets-tls-dead0001' }));
  });

  test('GIVEN no Secret WHEN the issuer issues THEN it looks for dead runs\' CSRs while its key is made, before it creates its own', async () => {
    const w = world();

    await ensure(w.run);

    const listed = w.kube.calls.indexOf(`listCsrs ${SECRET_LABEL}=${secretName}`);
    expect(listed).not.toBe(-1);
    expect(listed).toBeLessThan(w.kube.calls.indexOf(`createCsr ${createdCsr(w)}`));
  });

  test('GIVEN listing the leftover CSRs fails WHEN the issuer issues THEN it warns and issues anyway', async () => {
    const w = world();
    w.kube.before('listCsrs', () => {
      throw new IssuerError(ExitCode.permissionDenied, 'permission denied: list csrs: HTTP 403');
    });

    await ensure(w.run);

    expectOneValidCertificateEverywhere(w);
    expect(logged(w, 'cleanup')).toContainEqual(expect.objectContaining({ level: 'warn', error: 'permission denied: list csrs: HTTP 403' }));
  });

  test('GIVEN a HelmRepository that does not exist WHEN the issuer has written THEN it warns and still succeeds', async () => {
    const w = world();
    w.kube.helmRepositories.delete('cozy-public/apps');

    await ensure(w.run);

    expectOneValidCertificateEverywhere(w);
    expect(logged(w, 'refresh')).toContainEqual(expect.objectContaining({ level: 'warn', helmRepository: 'cozy-public/apps', error: expect.stringMatching(/HTTP 404/) }));
    expect(w.kube.helmRepositories.get('cozy-system/system')).toBeDefined();
  });
});

describe('ensure: a write that loses a race (409)', () => {
  test('GIVEN a rival that writes one namespace just before the issuer WHEN the issuer runs THEN round 2 reads again and copies its new certificate over the rival, with one CSR', async () => {
    const w = world();
    w.kube.rivalWrites('cozy-public', 1);

    await ensure(w.run);

    expect(logged(w, 'decide')).toEqual([
      expect.objectContaining({ action: 'issue', round: 1 }),
      expect.objectContaining({ action: 'repair', round: 2 }),
    ]);
    expect(logged(w, 'store')).toContainEqual(expect.objectContaining({ level: 'warn', round: 1 }));
    expectOneValidCertificateEverywhere(w);
    expect(w.kube.calls.filter((call) => call.startsWith('createCsr'))).toHaveLength(1);
  });

  test('GIVEN a rival that writes every namespace once WHEN the issuer runs THEN round 2 stores the certificate already issued, no second CSR', async () => {
    const w = world();
    for (const ns of namespaces) w.kube.rivalWrites(ns, 1);

    await ensure(w.run);

    expect(logged(w, 'decide')).toEqual([
      expect.objectContaining({ action: 'issue', round: 1 }),
      expect.objectContaining({ action: 'issue', round: 2 }),
    ]);
    expectOneValidCertificateEverywhere(w);
    expect(w.kube.calls.filter((call) => call.startsWith('createCsr'))).toHaveLength(1);
  });

  test('GIVEN a rival that writes before every write WHEN the third round conflicts too THEN the run fails (exit 1) without refreshing Flux', async () => {
    const w = world();
    w.kube.rivalWrites('cozy-public', 3);

    await expect(ensure(w.run)).rejects.toMatchObject(issuerError(ExitCode.internal, /Secrets kept changing during 3 rounds: another writer is active/));

    expect(logged(w, 'decide').map((line) => line.round)).toEqual([1, 2, 3]);
    expect(w.kube.writes.filter((call) => call.startsWith('requestReconcile'))).toEqual([]);
  });
});

describe('ensure: when the CSR exchange fails', () => {
  test.each<[string, (w: World) => void, ExitCode]>([
    [
      'the CSR is recreated by another requester before the approval',
      (w) => w.kube.before('approveCsr', () => w.kube.change(createdCsr(w), (csr) => void (csr.spec.username = 'system:serviceaccount:default:intruder'))),
      ExitCode.refusedToApprove,
    ],
    [
      'an approver denies the CSR while the issuer waits',
      (w) => (w.kube.afterApproval = (name) => void w.clock.sleep(2_000).then(() => w.kube.condition(name, 'Denied', 'Revoked'))),
      ExitCode.csrDenied,
    ],
    ['the signer never signs', (w) => (w.kube.afterApproval = () => undefined), ExitCode.signerTimeout],
  ])('GIVEN %s WHEN the issuer runs THEN the run ends with the exchange\'s exit code, writes no Secret, asks Flux nothing and leaves the CSR to the API\'s garbage collection', async (_case, given, exitCode) => {
    const w = world();
    given(w);

    await expect(ensure(w.run)).rejects.toMatchObject({ exitCode });

    expect(w.kube.writes).toEqual([`createCsr ${createdCsr(w)}`, `approveCsr ${createdCsr(w)}`]);
    expect(w.kube.csrNames()).toEqual([createdCsr(w)]);
  });
});

describe('ensure: checking what the signer issued', () => {
  test.each<[string, (kube: FakeKube, name: string) => void, RegExp]>([
    ['no certificate at all', (kube, name) => kube.sign(name, { certificatePem: 'not a certificate' }), /the signer returned no parseable certificate/],
    ['a certificate for another CN', (kube, name) => kube.sign(name, { commonName: 'admin' }), /the issued certificate is unusable: CN is "admin"/],
  ])('GIVEN a signer that returns %s WHEN the issuer checks it THEN it stores nothing (exit 1)', async (_case, signer, reason) => {
    const w = world();
    w.kube.afterApproval = (name) => signer(w.kube, name);

    await expect(ensure(w.run)).rejects.toMatchObject(issuerError(ExitCode.internal, reason));

    expect(w.kube.writes.filter((call) => call.startsWith('writeSecret'))).toEqual([]);
  });

  test('GIVEN a signer that signs with another CA than the ServiceAccount\'s WHEN the issuer checks THEN it warns and stores the certificate, which Flux can still use', async () => {
    const w = world();
    const otherCa = makeCa('other-signer');
    w.kube.afterApproval = (name) => w.kube.sign(name, { ca: otherCa });

    await ensure(w.run);

    expect(logged(w, 'check')).toContainEqual(expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/does not chain to the cluster CA/) }));
    expect(evaluate(filesIn(w, 'cozy-system')!, { ...expected, signerCaPem: otherCa.certPem }, w.clock.date)).toMatchObject({ good: true });
  });
});
