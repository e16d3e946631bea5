import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import { parseCommand, type Config } from '../../cert-issuer/src/config.ts';
import { buildCsrObject } from '../../cert-issuer/src/csr.ts';
import { SECRET_LABEL } from '../../src/contract/issuer-api.ts';
import { ExitCode, IssuerError } from '../../cert-issuer/src/errors.ts';
import { ensure, type Run } from '../../cert-issuer/src/flow.ts';
import { createLogger } from '../../cert-issuer/src/log.ts';
import { evaluate, type TlsFiles } from '../../cert-issuer/src/rotation.ts';
import { buildTlsSecret, filesOf } from '../../cert-issuer/src/secret.ts';
import { FakeClock } from './fake-clock.ts';
import { FakeKube } from './fake-kube.ts';
import { clientCert, makeCa, rsaKey } from './pki.ts';

const start = new Date('2026-03-01T08:00:00Z');
const day = 86_400_000;
const username = 'system:serviceaccount:cozy-system:cert-issuer';
const secretName = 'assets-tls';
const namespaces = ['cozy-system', 'cozy-public'];
const helmRepositories = ['cozy-system/system', 'cozy-public/apps'];
const timeoutMs = 300_000;
const ca = makeCa('cluster-ca');
const expected = { commonName: 'reader', organization: undefined, signerCaPem: ca.certPem, caCrt: ca.certPem };

/** Through the CLI's own parser, so the test follows Config wherever it grows. */
function configOf(): Config {
  const command = parseCommand(
    [
      '--common-name=reader',
      `--secret-name=${secretName}`,
      `--namespaces=${namespaces.join(',')}`,
      '--expiration-seconds=2592000',
      `--timeout-seconds=${timeoutMs / 1000}`,
      `--refresh-helm-repositories=${helmRepositories.join(',')}`,
    ],
    { KUBECONFIG: '/dev/null' },
  );
  if (command.command !== 'ensure') throw new Error('expected an ensure command');
  return command.config;
}

interface World {
  readonly clock: FakeClock;
  readonly kube: FakeKube;
  /** The run's log, one parsed JSON line each. */
  readonly logs: Record<string, unknown>[];
  readonly run: Run;
}

function world(): World {
  const clock = new FakeClock(start);
  const kube = new FakeKube(clock, ca, username);
  for (const repo of helmRepositories) kube.helmRepositories.set(repo, undefined);
  const logs: Record<string, unknown>[] = [];
  const log = createLogger('json', (line) => logs.push(JSON.parse(line) as Record<string, unknown>), () => clock.date);
  const run: Run = { kube, config: configOf(), signerCaPem: ca.certPem, caCrt: ca.certPem, log, clock, deadline: start.getTime() + timeoutMs };
  return { clock, kube, logs, run };
}

/** A certificate issued a day before the test starts, 30 days long: valid and not due for renewal. */
const key = rsaKey();
const good: TlsFiles = {
  tlsCrt: clientCert(ca, key, { notBefore: new Date(start.getTime() - day), notAfter: new Date(start.getTime() + 29 * day) }),
  tlsKey: key.privateKeyPem,
  caCrt: ca.certPem,
};

function store({ kube }: World, namespace: string, files: TlsFiles): void {
  kube.putSecret(buildTlsSecret({ name: secretName, namespace, files, notAfter: start, renewAfter: start }));
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

function logged(w: World, step: string): Record<string, unknown>[] {
  return w.logs.filter((line) => line.step === step);
}

/** The name of the CSR this run created (its suffix is random). */
function createdCsr(w: World): string {
  const created = w.kube.calls.find((call) => call.startsWith('createCsr '));
  if (created === undefined) throw new Error('no CSR was created');
  return created.split(' ')[1]!;
}

/** What an IssuerError with this exit code and message looks like to `rejects.toMatchObject`. */
function issuerError(exitCode: ExitCode, message: RegExp): { exitCode: ExitCode; message: unknown } {
  return { exitCode, message: expect.stringMatching(message) };
}

/** The Approved conditions the CSR this run created carries, if it still exists. */
function approvedConditions(w: World): unknown[] {
  return (w.kube.csr(createdCsr(w))?.status?.conditions ?? []).filter((condition) => condition.type === 'Approved');
}

/** A controller's harmless edit: the CSR stays the same request, under a new resourceVersion. */
function touch(w: World): void {
  w.kube.change(createdCsr(w), (csr) => (csr.metadata!.annotations = { touched: 'by a controller' }));
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
    expect(logged(w, 'decide')).toEqual([expect.objectContaining({ action: 'repair' })]);
    for (const repo of helmRepositories) expect(w.kube.helmRepositories.get(repo)).toBe('2026-03-01T08:00:00Z');
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
    // The rival's Secret is replaced, keeping the type it chose.
    expect(w.kube.secret('cozy-system', secretName)?.type).toBe('Opaque');
  });

  test('GIVEN a rival that writes before every write WHEN the third round conflicts too THEN the run fails (exit 1) without refreshing Flux', async () => {
    const w = world();
    w.kube.rivalWrites('cozy-public', 3);

    await expect(ensure(w.run)).rejects.toMatchObject(issuerError(ExitCode.internal, /Secrets kept changing during 3 rounds: another writer is active/));

    expect(logged(w, 'decide').map((line) => line.round)).toEqual([1, 2, 3]);
    expect(w.kube.writes.filter((call) => call.startsWith('requestReconcile'))).toEqual([]);
  });
});

describe('ensure: approving only what it verified', () => {
  test('GIVEN no Secret WHEN the issuer issues THEN it verifies the CSR the API returned on create, reading nothing back, and watches from that version before approving', async () => {
    const w = world();

    await ensure(w.run);

    const csr = createdCsr(w);
    const created = w.kube.calls.indexOf(`createCsr ${csr}`);
    const watched = w.kube.calls.findIndex((call) => call.startsWith(`watchCsr ${csr}@`));
    expect(w.kube.calls.slice(created + 1, watched + 1)).toEqual([expect.stringMatching(new RegExp(`^watchCsr ${csr}@\\d+$`))]);
    expect(w.kube.calls.indexOf(`approveCsr ${csr}`)).toBeGreaterThan(watched);
    expect(w.kube.calls.filter((call) => call.startsWith('readCsr'))).toEqual([]);
    // Dead runs' CSRs are looked for while the key is made, not after the CSR is created.
    const listed = w.kube.calls.indexOf(`listCsrs ${SECRET_LABEL}=${secretName}`);
    expect(listed).not.toBe(-1);
    expect(listed).toBeLessThan(created);
  });

  test.each<[string, (kube: FakeKube, name: string) => void, RegExp]>([
    [
      'recreated by another requester',
      (kube, name) =>
        kube.change(name, (csr) => {
          csr.metadata!.uid = 'uid-intruder';
          csr.spec.username = 'system:serviceaccount:default:intruder';
        }),
      /uid is "uid-intruder".*requested by "system:serviceaccount:default:intruder"/,
    ],
    ['given an extra usage', (kube, name) => kube.change(name, (csr) => void (csr.spec.usages = [...csr.spec.usages!, 'server auth'])), /usages are/],
  ])('GIVEN the CSR %s after the issuer created it WHEN its approval meets a 409 and it reads the CSR back THEN it refuses to approve (exit 7), stops watching and writes no Secret', async (_case, tamper, reason) => {
    const w = world();
    w.kube.before('approveCsr', () => tamper(w.kube, createdCsr(w)));

    await expect(ensure(w.run)).rejects.toMatchObject(issuerError(ExitCode.refusedToApprove, reason));

    expect(w.kube.writes).toEqual([`createCsr ${createdCsr(w)}`, `approveCsr ${createdCsr(w)}`]);
    expect(approvedConditions(w)).toEqual([]);
    await Promise.resolve();
    expect(w.kube.openWatches).toBe(0);
    expect(w.clock.pending).toBe(0);
  });

  test('GIVEN the CSR changes before the issuer\'s approval WHEN the approval meets a 409 THEN it reads the CSR back, verifies again and approves the new version', async () => {
    const w = world();
    w.kube.before('approveCsr', () => touch(w));

    await ensure(w.run);

    expectOneValidCertificateEverywhere(w);
    const csr = createdCsr(w);
    expect(w.kube.calls.filter((call) => call.startsWith('readCsr ') || call.startsWith('approveCsr '))).toEqual([`approveCsr ${csr}`, `readCsr ${csr}`, `approveCsr ${csr}`]);
  });

  test('GIVEN the CSR changes before every approval WHEN three approvals meet a 409 THEN the run fails (exit 1) with no read after the last', async () => {
    const w = world();
    w.kube.before('approveCsr', () => touch(w), 3);

    await expect(ensure(w.run)).rejects.toMatchObject(issuerError(ExitCode.internal, /kept changing while being approved/));
    expect(w.kube.calls.filter((call) => call.startsWith('readCsr ') || call.startsWith('approveCsr ')).map((call) => call.split(' ')[0])).toEqual([
      'approveCsr', 'readCsr', 'approveCsr', 'readCsr', 'approveCsr',
    ]);
  });

  test('GIVEN the CSR changes and is then deleted before the issuer reads it back WHEN it would verify it again THEN the run fails (exit 1)', async () => {
    const w = world();
    w.kube.before('approveCsr', () => touch(w));
    w.kube.before('readCsr', () => w.kube.remove(createdCsr(w)));

    // The watch may see the deletion first; either way the run names it and ends with exit 1.
    await expect(ensure(w.run)).rejects.toMatchObject(issuerError(ExitCode.internal, /disappeared before approval|deleted while waiting/));
    expect(approvedConditions(w)).toEqual([]);
  });

  test('GIVEN an approver that denies the CSR before the issuer approves WHEN the issuer\'s approval meets a 409 THEN the run ends with the denial (exit 4) and the CSR is never approved', async () => {
    const w = world();
    w.kube.before('approveCsr', () => w.kube.condition(createdCsr(w), 'Denied', 'PolicyController'));

    await expect(ensure(w.run)).rejects.toMatchObject(issuerError(ExitCode.csrDenied, /denied: PolicyController/));
    expect(approvedConditions(w)).toEqual([]);
  });
});

describe('ensure: waiting for the signer', () => {
  test.each<[string, 'Denied' | 'Failed', RegExp]>([
    ['an approver denies it', 'Denied', /denied: Revoked/],
    ['the signer fails it', 'Failed', /failed: Revoked/],
  ])('GIVEN %s after the approval WHEN the issuer waits THEN it ends at once (exit 4) with the reason', async (_case, type, reason) => {
    const w = world();
    w.kube.afterApproval = (name) => void w.clock.sleep(2_000).then(() => w.kube.condition(name, type, 'Revoked'));

    await expect(ensure(w.run)).rejects.toMatchObject(issuerError(ExitCode.csrDenied, reason));

    expect(w.clock.now() - start.getTime()).toBe(2_000);
    expect(filesIn(w, 'cozy-system')).toBeUndefined();
  });

  test('GIVEN a signer that takes 3 s WHEN the issuer waits on the watch THEN the event brings the certificate, with no time lost', async () => {
    const w = world();
    w.kube.afterApproval = (name) => void w.clock.sleep(3_000).then(() => w.kube.sign(name));

    await ensure(w.run);

    expectOneValidCertificateEverywhere(w);
    expect(w.clock.now() - start.getTime()).toBe(3_000);
  });

  test('GIVEN a signer that never signs WHEN the deadline passes THEN the run ends with exit 5 at the deadline, not a moment later', async () => {
    const w = world();
    w.kube.afterApproval = () => undefined;

    await expect(ensure(w.run)).rejects.toMatchObject(issuerError(ExitCode.signerTimeout, /^signer did not sign within 300s: is kube-controller-manager running with --cluster-signing-cert-file\?$/));

    expect(w.clock.now()).toBe(w.run.deadline);
    expect(w.kube.csrNames()).toEqual([createdCsr(w)]);
  });

  test('GIVEN a signer that never signs and a watch that keeps breaking WHEN the deadline passes THEN exit 5 names the drops, and a pending backoff ends quietly', async () => {
    const w = world();
    w.kube.afterApproval = () => undefined;
    for (let i = 0; i < 1_000; i++) w.kube.dropWatch('reset');

    await expect(ensure(w.run)).rejects.toMatchObject(issuerError(ExitCode.signerTimeout, /\(the watch on the CSR ended \d+ times, last: socket hang up\)$/));

    // The backoff that was under way when the deadline fired wakes into a finished wait and lists nothing more.
    const lists = w.kube.calls.filter((call) => call.startsWith('readCsrForWatch')).length;
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(w.kube.calls.filter((call) => call.startsWith('readCsrForWatch'))).toHaveLength(lists);
    expect(w.clock.pending).toBe(0);
  });

  test('GIVEN the deadline passes while the list after a drop is under way WHEN the list then brings the certificate THEN the run has already ended with exit 5, once', async () => {
    const w = world();
    w.kube.afterApproval = () => undefined;
    w.kube.dropWatch('reset');
    w.kube.before('readCsrForWatch', async () => {
      await w.clock.sleep(timeoutMs);
      w.kube.sign(createdCsr(w));
    });

    await expect(ensure(w.run)).rejects.toMatchObject(issuerError(ExitCode.signerTimeout, /ended 1 times/));

    expect(w.kube.writes.filter((call) => call.startsWith('writeSecret'))).toEqual([]);
  });

  test('GIVEN the watch breaks and the signer signs while it is down WHEN the issuer lists again THEN the list brings the certificate', async () => {
    const w = world();
    w.kube.afterApproval = (name) => void w.clock.sleep(50).then(() => w.kube.sign(name));
    w.kube.dropWatch('reset');

    await ensure(w.run);

    expectOneValidCertificateEverywhere(w);
    expect(logged(w, 'wait')).toContainEqual(expect.objectContaining({ msg: 'watch ended; listing again', reason: 'socket hang up' }));
    // One watch only: the list already held the answer.
    expect(w.kube.calls.filter((call) => call.startsWith('watchCsr'))).toHaveLength(1);
  });

  test.each<[string, 'gone' | 'closed']>([
    ['an ERROR event (410 Gone)', 'gone'],
    ['the server closing it', 'closed'],
  ])('GIVEN the watch ends by %s while the CSR is pending WHEN the issuer lists again THEN it watches on from the list and gets the certificate', async (_case, how) => {
    const w = world();
    w.kube.afterApproval = (name) => void w.clock.sleep(5_000).then(() => w.kube.sign(name));
    w.kube.dropWatch(how, 1_000);

    await ensure(w.run);

    expectOneValidCertificateEverywhere(w);
    expect(logged(w, 'wait')).toContainEqual(expect.objectContaining({ msg: 'watch ended; listing again', reason: 'closed by server' }));
    // The certificate came at 5 s, after the list at 1.1 s: over the second watch.
    expect(w.kube.calls.filter((call) => call.startsWith('watchCsr') || call.startsWith('readCsrForWatch'))).toHaveLength(3);
  });

  test('GIVEN the list after a drop is denied twice (an API server that restarted without its RBAC yet) WHEN the issuer waits THEN it keeps trying and gets the certificate', async () => {
    const w = world();
    w.kube.afterApproval = (name) => void w.clock.sleep(5_000).then(() => w.kube.sign(name));
    w.kube.dropWatch('reset');
    w.kube.before('readCsrForWatch', () => {
      throw new IssuerError(ExitCode.permissionDenied, 'permission denied: list csr: HTTP 403');
    }, 2);

    await ensure(w.run);

    expectOneValidCertificateEverywhere(w);
    expect(logged(w, 'wait').filter((line) => line.reason === 'permission denied: list csr: HTTP 403')).toHaveLength(2);
  });

  test('GIVEN the list after a drop fails for good (API unavailable) WHEN the issuer waits THEN the run ends with that error (exit 6)', async () => {
    const w = world();
    w.kube.afterApproval = () => undefined;
    w.kube.dropWatch('reset');
    w.kube.before('readCsrForWatch', () => {
      throw new IssuerError(ExitCode.apiUnavailable, 'API unavailable: list csr still failing');
    });

    await expect(ensure(w.run)).rejects.toMatchObject(issuerError(ExitCode.apiUnavailable, /API unavailable/));
  });

  test('GIVEN the watch cannot be opened (permission denied) WHEN the issuer starts waiting THEN the run ends with that error (exit 3)', async () => {
    const w = world();
    w.kube.afterApproval = () => undefined;
    w.kube.before('watchCsr', () => {
      throw new IssuerError(ExitCode.permissionDenied, 'permission denied: watch csr');
    });

    await expect(ensure(w.run)).rejects.toMatchObject(issuerError(ExitCode.permissionDenied, /watch csr/));
  });

  test.each<[string, (w: World) => void]>([
    ['while the watch is open', (w) => (w.kube.afterApproval = (name) => void w.clock.sleep(2_000).then(() => w.kube.remove(name)))],
    [
      'while the watch is down',
      (w) => {
        w.kube.afterApproval = (name) => void w.clock.sleep(10).then(() => w.kube.remove(name));
        w.kube.dropWatch('reset');
      },
    ],
  ])('GIVEN the CSR is deleted %s WHEN the issuer waits THEN the run ends (exit 1) instead of waiting out the deadline', async (_case, given) => {
    const w = world();
    given(w);

    await expect(ensure(w.run)).rejects.toMatchObject(issuerError(ExitCode.internal, /was deleted while waiting for the signer/));

    expect(w.clock.now()).toBeLessThan(w.run.deadline);
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
