// The CSR protocol (cert-issuer/src/csr-protocol.ts) against the in-memory API on a fake clock:
// the approval of only the object verified, and the wait for the signer with its failure paths.
import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import type { ExpectedCsr } from '../../cert-issuer/src/approval.ts';
import { approveAndWait, createCsr, waitForCertificate, type CsrSession } from '../../cert-issuer/src/csr-protocol.ts';
import { buildCsrObject } from '../../cert-issuer/src/csr.ts';
import { CSR_USAGES } from '../../src/contract/issuer-api.ts';
import { ExitCode, IssuerError } from '../../cert-issuer/src/errors.ts';
import { encodeCsr } from '../../src/contract/csr-encoding.ts';
import { issuerError, logged, secretName, start, username, world, type World } from './issuer-world.ts';
import { rsaKey } from './pki.ts';

const csrName = `${secretName}-0a1b2c3d`;
const signerName = 'kubernetes.io/kube-apiserver-client';
const subject = { commonName: 'reader', organization: undefined };
const key = rsaKey();

interface Exchange extends World {
  readonly session: CsrSession;
  /** The issuer's CSR as the API returned it on create. */
  readonly created: V1CertificateSigningRequest;
}

async function exchange(): Promise<Exchange> {
  const w = world();
  const request = buildCsrObject({ name: csrName, secretName, requestPem: encodeCsr(subject, key, 2048), signerName, expirationSeconds: 2_592_000 });
  return { ...w, session: w.run, created: await createCsr(w.run, request, username) };
}

/** What the issuer verifies its CSR against: what it asked for, under the uid the API gave it. */
function expectedOf(e: Exchange): ExpectedCsr {
  return { uid: e.created.metadata!.uid!, ...subject, usages: [...CSR_USAGES], username, signerName, publicKeyPem: key.publicKeyPem };
}

/** The certificate the signer put into the CSR's status. */
function issuedPem(e: Exchange): string {
  return Buffer.from(e.kube.csr(csrName)!.status!.certificate!, 'base64').toString('utf8');
}

/** The wait as the issuer starts it: from the created version, with nothing to stop it early. */
function waitOn(e: Exchange): Promise<string> {
  return waitForCertificate(e.session, csrName, e.created.metadata!.resourceVersion!, new AbortController().signal);
}

/** The Approved conditions the CSR carries, if it still exists. */
function approvedConditions(e: Exchange): unknown[] {
  return (e.kube.csr(csrName)?.status?.conditions ?? []).filter((condition) => condition.type === 'Approved');
}

/** A controller's harmless edit: the CSR stays the same request, under a new resourceVersion. */
function touch(e: Exchange): void {
  e.kube.change(csrName, (csr) => (csr.metadata!.annotations = { touched: 'by a controller' }));
}

/** The calls that approve the CSR or read it back, in order. */
function approvalCalls(e: Exchange): string[] {
  return e.kube.calls.filter((call) => call.startsWith('readCsr ') || call.startsWith('approveCsr ')).map((call) => call.split(' ')[0]!);
}

describe('approveAndWait: approving only what was verified', () => {
  test('GIVEN the CSR as created WHEN it is approved and waited on THEN the object the API returned is verified, nothing is read back, the watch starts from its version before the approval, and the signer\'s certificate comes back', async () => {
    const e = await exchange();

    const certificatePem = await approveAndWait(e.session, e.created, expectedOf(e));

    expect(certificatePem).toBe(issuedPem(e));
    expect(e.kube.calls).toEqual([`createCsr ${csrName}`, `watchCsr ${csrName}@${e.created.metadata!.resourceVersion}`, `approveCsr ${csrName}`]);
    expect(logged(e, 'create-csr')).toEqual([expect.objectContaining({ csr: csrName, signer: signerName, username })]);
    // The deadline's timer was freed, not left to fire into a finished wait.
    expect(e.clock.pending).toBe(0);
  });

  test.each<[string, (e: Exchange) => void, RegExp]>([
    [
      'recreated by another requester',
      (e) =>
        e.kube.change(csrName, (csr) => {
          csr.metadata!.uid = 'uid-intruder';
          csr.spec.username = 'system:serviceaccount:default:intruder';
        }),
      /uid is "uid-intruder".*requested by "system:serviceaccount:default:intruder"/,
    ],
    ['given an extra usage', (e) => e.kube.change(csrName, (csr) => void (csr.spec.usages = [...csr.spec.usages!, 'server auth'])), /usages are/],
  ])('GIVEN the CSR %s after it was created WHEN its approval meets a 409 and it is read back THEN it is refused (exit 7), never approved, and the watch and its deadline stop', async (_case, tamper, reason) => {
    const e = await exchange();
    e.kube.before('approveCsr', () => tamper(e));

    await expect(approveAndWait(e.session, e.created, expectedOf(e))).rejects.toMatchObject(issuerError(ExitCode.refusedToApprove, reason));

    expect(approvalCalls(e)).toEqual(['approveCsr', 'readCsr']);
    expect(approvedConditions(e)).toEqual([]);
    await Promise.resolve();
    expect(e.kube.openWatches).toBe(0);
    expect(e.clock.pending).toBe(0);
  });

  test('GIVEN the CSR changes before the approval WHEN the approval meets a 409 THEN it is read back, verified again and the new version approved', async () => {
    const e = await exchange();
    e.kube.before('approveCsr', () => touch(e));

    const certificatePem = await approveAndWait(e.session, e.created, expectedOf(e));

    expect(certificatePem).toBe(issuedPem(e));
    expect(approvalCalls(e)).toEqual(['approveCsr', 'readCsr', 'approveCsr']);
  });

  test('GIVEN the CSR changes before every approval WHEN three approvals meet a 409 THEN it fails (exit 1) with no read after the last', async () => {
    const e = await exchange();
    e.kube.before('approveCsr', () => touch(e), 3);

    await expect(approveAndWait(e.session, e.created, expectedOf(e))).rejects.toMatchObject(issuerError(ExitCode.internal, /kept changing while being approved/));

    expect(approvalCalls(e)).toEqual(['approveCsr', 'readCsr', 'approveCsr', 'readCsr', 'approveCsr']);
  });

  test('GIVEN the CSR changes and is then deleted before it is read back WHEN it would be verified again THEN it fails (exit 1)', async () => {
    const e = await exchange();
    e.kube.before('approveCsr', () => touch(e));
    e.kube.before('readCsr', () => e.kube.remove(csrName));

    // The watch may see the deletion first; either way the failure names it and ends with exit 1.
    await expect(approveAndWait(e.session, e.created, expectedOf(e))).rejects.toMatchObject(issuerError(ExitCode.internal, /disappeared before approval|deleted while waiting/));

    expect(approvedConditions(e)).toEqual([]);
  });

  test('GIVEN an approver that denies the CSR first WHEN the approval meets a 409 THEN it ends with the denial (exit 4) and the CSR is never approved', async () => {
    const e = await exchange();
    e.kube.before('approveCsr', () => e.kube.condition(csrName, 'Denied', 'PolicyController'));

    await expect(approveAndWait(e.session, e.created, expectedOf(e))).rejects.toMatchObject(issuerError(ExitCode.csrDenied, /denied: PolicyController/));

    expect(approvedConditions(e)).toEqual([]);
  });
});

describe('waitForCertificate', () => {
  test.each<[string, 'Denied' | 'Failed', RegExp]>([
    ['an approver denies it', 'Denied', /denied: Revoked/],
    ['the signer fails it', 'Failed', /failed: Revoked/],
  ])('GIVEN %s 2 s into the wait WHEN waiting THEN the wait ends at once (exit 4) with the reason', async (_case, type, reason) => {
    const e = await exchange();
    void e.clock.sleep(2_000).then(() => e.kube.condition(csrName, type, 'Revoked'));

    await expect(waitOn(e)).rejects.toMatchObject(issuerError(ExitCode.csrDenied, reason));

    expect(e.clock.now() - start.getTime()).toBe(2_000);
  });

  test('GIVEN a signer that takes 3 s WHEN waiting on the watch THEN the event brings the certificate, with no time lost', async () => {
    const e = await exchange();
    void e.clock.sleep(3_000).then(() => e.kube.sign(csrName));

    expect(await waitOn(e)).toBe(issuedPem(e));

    expect(e.clock.now() - start.getTime()).toBe(3_000);
  });

  test('GIVEN a signer that never signs WHEN the deadline passes THEN the wait ends with exit 5 at the deadline, not a moment later', async () => {
    const e = await exchange();

    await expect(waitOn(e)).rejects.toMatchObject(issuerError(ExitCode.signerTimeout, /^signer did not sign within 300s: is kube-controller-manager running with --cluster-signing-cert-file\?$/));

    expect(e.clock.now()).toBe(e.session.deadline);
  });

  test('GIVEN a signer that never signs and a watch that keeps breaking WHEN the deadline passes THEN exit 5 names the drops, and a pending backoff ends quietly', async () => {
    const e = await exchange();
    for (let i = 0; i < 1_000; i++) e.kube.dropWatch('reset');

    await expect(waitOn(e)).rejects.toMatchObject(issuerError(ExitCode.signerTimeout, /\(the watch on the CSR ended \d+ times, last: socket hang up\)$/));

    // The backoff that was under way when the deadline fired wakes into a finished wait and lists nothing more.
    const lists = e.kube.calls.filter((call) => call.startsWith('readCsrForWatch')).length;
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(e.kube.calls.filter((call) => call.startsWith('readCsrForWatch'))).toHaveLength(lists);
    expect(e.clock.pending).toBe(0);
  });

  test('GIVEN the deadline passes while the list after a drop is under way WHEN the list then brings the certificate THEN the wait has already ended with exit 5, once', async () => {
    const e = await exchange();
    e.kube.dropWatch('reset');
    e.kube.before('readCsrForWatch', async () => {
      await e.clock.sleep(e.session.deadline - start.getTime());
      e.kube.sign(csrName);
    });

    await expect(waitOn(e)).rejects.toMatchObject(issuerError(ExitCode.signerTimeout, /ended 1 times/));

    expect(logged(e, 'wait')).not.toContainEqual(expect.objectContaining({ msg: 'signer issued the certificate' }));
  });

  test('GIVEN the watch breaks and the signer signs while it is down WHEN the wait lists again THEN the list brings the certificate', async () => {
    const e = await exchange();
    void e.clock.sleep(50).then(() => e.kube.sign(csrName));
    e.kube.dropWatch('reset');

    expect(await waitOn(e)).toBe(issuedPem(e));

    expect(logged(e, 'wait')).toContainEqual(expect.objectContaining({ msg: 'watch ended; listing again', reason: 'socket hang up' }));
    // One watch only: the list already held the answer.
    expect(e.kube.calls.filter((call) => call.startsWith('watchCsr'))).toHaveLength(1);
  });

  test.each<[string, 'gone' | 'closed']>([
    ['an ERROR event (410 Gone)', 'gone'],
    ['the server closing it', 'closed'],
  ])('GIVEN the watch ends by %s while the CSR is pending WHEN the wait lists again THEN it watches on from the list and gets the certificate', async (_case, how) => {
    const e = await exchange();
    void e.clock.sleep(5_000).then(() => e.kube.sign(csrName));
    e.kube.dropWatch(how, 1_000);

    expect(await waitOn(e)).toBe(issuedPem(e));

    expect(logged(e, 'wait')).toContainEqual(expect.objectContaining({ msg: 'watch ended; listing again', reason: 'closed by server' }));
    // The certificate came at 5 s, after the list at 1.1 s: over the second watch.
    expect(e.kube.calls.filter((call) => call.startsWith('watchCsr') || call.startsWith('readCsrForWatch'))).toHaveLength(3);
  });

  test('GIVEN the list after a drop is denied twice (an API server that restarted without its RBAC yet) WHEN waiting THEN the wait keeps trying and gets the certificate', async () => {
    const e = await exchange();
    void e.clock.sleep(5_000).then(() => e.kube.sign(csrName));
    e.kube.dropWatch('reset');
    e.kube.before('readCsrForWatch', () => {
      throw new IssuerError(ExitCode.permissionDenied, 'permission denied: list csr: HTTP 403');
    }, 2);

    expect(await waitOn(e)).toBe(issuedPem(e));

    expect(logged(e, 'wait').filter((line) => line.reason === 'permission denied: list csr: HTTP 403')).toHaveLength(2);
  });

  test('GIVEN the list after a drop fails for good (API unavailable) WHEN waiting THEN the wait ends with that error (exit 6)', async () => {
    const e = await exchange();
    e.kube.dropWatch('reset');
    e.kube.before('readCsrForWatch', () => {
      throw new IssuerError(ExitCode.apiUnavailable, 'API unavailable: list csr still failing');
    });

    await expect(waitOn(e)).rejects.toMatchObject(issuerError(ExitCode.apiUnavailable, /API unavailable/));
  });

  test('GIVEN the watch cannot be opened (permission denied) WHEN the wait starts THEN it ends with that error (exit 3)', async () => {
    const e = await exchange();
    e.kube.before('watchCsr', () => {
      throw new IssuerError(ExitCode.permissionDenied, 'permission denied: watch csr');
    });

    await expect(waitOn(e)).rejects.toMatchObject(issuerError(ExitCode.permissionDenied, /watch csr/));
  });

  test.each<[string, (e: Exchange) => void]>([
    ['while the watch is open', (e) => void e.clock.sleep(2_000).then(() => e.kube.remove(csrName))],
    [
      'while the watch is down',
      (e) => {
        void e.clock.sleep(10).then(() => e.kube.remove(csrName));
        e.kube.dropWatch('reset');
      },
    ],
  ])('GIVEN the CSR is deleted %s WHEN waiting THEN the wait ends (exit 1) instead of waiting out the deadline', async (_case, given) => {
    const e = await exchange();
    given(e);

    await expect(waitOn(e)).rejects.toMatchObject(issuerError(ExitCode.internal, /was deleted while waiting for the signer/));

    expect(e.clock.now()).toBeLessThan(e.session.deadline);
  });
});
