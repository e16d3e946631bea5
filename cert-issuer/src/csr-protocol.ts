/**
 * The CertificateSigningRequest protocol, apart from the decisions that use it (flow.ts), as
 * client-go keeps util/certificate/csr apart from its certificate manager: create the CSR, approve
 * only the object that was verified, wait for the signer's certificate, delete the CSR.
 */
import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import { verifyCsrForApproval, type ExpectedCsr } from './approval.ts';
import type { Config } from './config.ts';
import { outcomeOf, withApproval } from './csr.ts';
import { ExitCode, IssuerError } from './errors.ts';
import type { KubeApi } from './kube-api.ts';
import type { Logger } from './log.ts';
import { backoffMs, describe } from './retry.ts';
import type { Clock } from './system-clock.ts';

/** What the protocol needs of a run. */
export interface CsrSession {
  readonly kube: KubeApi;
  readonly log: Logger;
  /** The same clock the API retries use. */
  readonly clock: Clock;
  /** Epoch milliseconds by which the whole run must be done. */
  readonly deadline: number;
  /** The run's timeout, named when the signer does not sign before the deadline. */
  readonly config: Pick<Config, 'timeoutSeconds'>;
}

const maxApprovals = 3;

/** Creates the CSR; the object the API returns is the one to verify and approve. */
export async function createCsr(session: CsrSession, request: V1CertificateSigningRequest, username: string): Promise<V1CertificateSigningRequest> {
  const created = await session.kube.createCsr(request);
  session.log.info('create-csr', 'CSR created', { csr: request.metadata!.name, signer: request.spec.signerName, username });
  return created;
}

/**
 * Approves the CSR as created, once verified against `expected`, and resolves with the signer's
 * certificate. The watch starts at the created version, on a connection of its own, before the
 * CSR is verified, so its handshake overlaps the verification and the approval; a failed approval
 * stops it.
 */
export async function approveAndWait(session: CsrSession, created: V1CertificateSigningRequest, expected: ExpectedCsr): Promise<string> {
  const stopWaiting = new AbortController();
  const [certificatePem] = await Promise.all([
    waitForCertificate(session, created.metadata!.name!, created.metadata!.resourceVersion!, stopWaiting.signal),
    verifyAndApprove(session, created, expected).catch((error: unknown) => {
      stopWaiting.abort(error);
      throw error;
    }),
  ]);
  return certificatePem;
}

/** Once the Secrets hold the certificate, the CSR is of no more use. */
export async function deleteCsr(session: CsrSession, name: string): Promise<void> {
  await session.kube.deleteCsr(name);
  session.log.info('cleanup', 'CSR deleted', { csr: name });
}

/**
 * Approves only the object we verified, first the one the API returned on create: the approval
 * carries the verified resourceVersion, so if the CSR changes in between, the API answers 409 and
 * we read it back and verify again.
 */
async function verifyAndApprove(session: CsrSession, created: V1CertificateSigningRequest, expected: ExpectedCsr): Promise<void> {
  const name = created.metadata!.name!;
  let csr: V1CertificateSigningRequest | undefined = created;
  for (let attempt = 1; attempt <= maxApprovals; attempt++) {
    if (csr === undefined) throw new IssuerError(ExitCode.internal, `CSR ${name} disappeared before approval`);
    // A third party (a policy controller, an admin) may deny it first; that ends the run.
    const outcome = outcomeOf(csr);
    if (outcome.state === 'denied' || outcome.state === 'failed') throw csrEnded(name, outcome);
    const violations = await verifyCsrForApproval(csr, expected);
    if (violations.length > 0) {
      throw new IssuerError(ExitCode.refusedToApprove, `refusing to approve CSR ${name}: ${violations.join('; ')}`);
    }
    if ((await session.kube.approveCsr(withApproval(csr, new Date(session.clock.now())))) !== undefined) {
      session.log.info('approve', 'CSR verified and approved', { csr: name });
      return;
    }
    if (attempt === maxApprovals) break;
    csr = await session.kube.readCsr(name);
  }
  throw new IssuerError(ExitCode.internal, `CSR ${name} kept changing while being approved`);
}

/**
 * Watches the CSR from `resourceVersion` until the signer fills in the certificate, a
 * Denied/Failed condition appears, the deadline passes or `stop` is aborted (with the reason). A
 * dropped watch is resumed from a fresh list, so an event that fell between the two is not missed.
 */
export function waitForCertificate(session: CsrSession, name: string, resourceVersion: string, stop: AbortSignal): Promise<string> {
  const { kube, log, config, clock } = session;
  return new Promise((resolve, reject) => {
    let settled = false;
    let watch: AbortController | undefined;
    const deadlineTimer = new AbortController();
    const finish = (result: string | Error) => {
      if (settled) return;
      settled = true;
      deadlineTimer.abort();
      watch?.abort();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    // The approval failed: its error ends the run, and this wait with it.
    stop.addEventListener('abort', () => finish(stop.reason as Error), { once: true });
    clock.sleep(Math.max(0, session.deadline - clock.now()), deadlineTimer.signal).then(
      () =>
        finish(
          new IssuerError(
            ExitCode.signerTimeout,
            `signer did not sign within ${config.timeoutSeconds}s: is kube-controller-manager running with --cluster-signing-cert-file?` +
              (drops > 0 ? ` (the watch on the CSR ended ${drops} times, last: ${lastDrop})` : ''),
          ),
        ),
      // Aborted by finish: the wait ended before the deadline.
      () => undefined,
    );
    const judge = (csr: V1CertificateSigningRequest | undefined) => {
      if (csr === undefined) return finish(new IssuerError(ExitCode.internal, `CSR ${name} was deleted while waiting for the signer`));
      const outcome = outcomeOf(csr);
      if (outcome.state === 'issued') {
        log.info('wait', 'signer issued the certificate', { csr: name });
        finish(outcome.certificatePem);
      } else if (outcome.state !== 'pending') {
        finish(csrEnded(name, outcome));
      }
    };
    let drops = 0;
    let lastDrop = '';
    const follow = async (from: string) => {
      watch = await kube.watchCsr(
        name,
        from,
        (type, csr) => {
          if (type === 'DELETED') judge(undefined);
          else if (type === 'ERROR') watch?.abort(); // e.g. 410 Gone: resume from a fresh list
          else judge(csr);
        },
        (error) => {
          if (!settled) resume(error).catch(finish);
        },
      );
      if (settled) watch.abort();
    };
    const resume = async (error: unknown): Promise<void> => {
      drops++;
      lastDrop = error ? describe(error) : 'closed by server';
      log.info('wait', 'watch ended; listing again', { csr: name, reason: lastDrop });
      await clock.sleep(backoffMs(drops, clock.random));
      if (settled) return;
      try {
        const latest = await kube.readCsrForWatch(name);
        judge(latest.csr);
        if (!settled) await follow(latest.resourceVersion);
      } catch (failure) {
        // This run created, read and approved the CSR moments ago, so a denial now most likely
        // comes from an API server that has just restarted and not yet loaded its RBAC: keep
        // trying until the deadline, whose message then names the denial.
        if (!isDenial(failure)) throw failure;
        await resume(failure);
      }
    };
    log.info('wait', 'waiting for the signer', { csr: name, timeoutSeconds: config.timeoutSeconds });
    follow(resourceVersion).catch(finish);
  });
}

/** Kube turns a 401/403 into this; the watch itself reports errors through its callback instead. */
function isDenial(error: unknown): boolean {
  return error instanceof IssuerError && error.exitCode === ExitCode.permissionDenied;
}

/** A Denied (by an approver) or Failed (by the signer) condition: nothing more will come of this CSR. */
function csrEnded(name: string, outcome: { state: 'denied' | 'failed'; reason: string }): IssuerError {
  return new IssuerError(ExitCode.csrDenied, `CSR ${name} ${outcome.state}: ${outcome.reason}`);
}
