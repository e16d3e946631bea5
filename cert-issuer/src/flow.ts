import { randomBytes } from 'node:crypto';
import type { V1CertificateSigningRequest, V1Secret } from '@kubernetes/client-node';
import { verifyCsrForApproval, type ExpectedCsr } from './approval.ts';
import { chainVerifies, generateKey, inspectCertificate, type CertificateFacts, type KeyPair } from './certificate.ts';
import type { Config } from './config.ts';
import { encodeCsr } from '../../src/contract/csr-encoding.ts';
import { buildCsrObject, csrUsages, leftoverCsrs, outcomeOf, withApproval } from './csr.ts';
import { ExitCode, IssuerError } from './errors.ts';
import { SECRET_LABEL } from '../../src/contract/issuer-contract.ts';
import type { KubeApi } from './kube-api.ts';
import type { Logger } from './log.ts';
import { backoffMs, describe, type Clock } from './retry.ts';
import { decide, identityProblem, renewalDeadlineOf, type Expected, type TlsFiles } from './rotation.ts';
import { buildTlsSecret, filesOf } from './secret.ts';
import { rfc3339 } from './utc-time.ts';

export interface Run {
  readonly kube: KubeApi;
  readonly config: Config;
  /** The CA the signer signs with: the certificate must chain to it. */
  readonly signerCaPem: string;
  /** The Secret's ca.crt: the CA that verifies the API endpoint. */
  readonly caCrt: string;
  readonly log: Logger;
  /** The same clock the API retries use. */
  readonly clock: Clock;
  /** Epoch milliseconds by which the whole run must be done. */
  readonly deadline: number;
}

interface Certificate {
  readonly files: TlsFiles;
  readonly facts: CertificateFacts;
  readonly renewAfter: Date;
}

const maxRounds = 3;

/**
 * Makes every target namespace hold a good, identical TLS Secret: nothing to do, copy a good
 * certificate where it is missing, or issue a new one. A write that loses a race (409) starts
 * the round again from fresh reads, so no concurrent writer is silently overwritten.
 */
export async function ensure(run: Run): Promise<void> {
  const { config, log } = run;
  const expected: Expected = { commonName: config.commonName, organization: config.organization, signerCaPem: run.signerCaPem, caCrt: run.caCrt };
  let issued: { csrName: string; certificate: Certificate } | undefined;
  let written = false;
  for (let round = 1; round <= maxRounds; round++) {
    const stored = await readSecrets(run);
    const decision = decide(new Map([...stored].map(([ns, secret]) => [ns, filesOf(secret)])), expected, nowOf(run));
    log.info('decide', decision.reason, { action: decision.action, round });
    if (decision.action === 'noop') break;

    let certificate: Certificate;
    let namespaces = config.namespaces;
    if (decision.action === 'repair') {
      certificate = { files: decision.source, facts: decision.facts, renewAfter: decision.renewAfter };
      namespaces = decision.namespaces;
    } else {
      issued ??= await issue(run);
      certificate = issued.certificate;
    }
    if ((await store(run, certificate, namespaces, stored)) === 'written') {
      written = true;
      break;
    }
    if (round === maxRounds) {
      throw new IssuerError(ExitCode.internal, `Secrets kept changing during ${maxRounds} rounds: another writer is active`);
    }
    log.warn('store', 'a Secret changed since it was read; reading again', { round });
  }
  // Both only now, side by side: until the Secret holds the certificate, the CSR's status is the
  // only copy of it, and Flux would fetch with the old one.
  await Promise.all([
    written && refreshHelmRepositories(run),
    issued && deleteCsr(run, issued.csrName),
  ]);
}

function nowOf(run: Run): Date {
  return new Date(run.clock.now());
}

async function deleteCsr(run: Run, name: string): Promise<void> {
  await run.kube.deleteCsr(name);
  run.log.info('cleanup', 'CSR deleted', { csr: name });
}

async function readSecrets(run: Run): Promise<Map<string, V1Secret | undefined>> {
  const { config, kube } = run;
  const secrets = await Promise.all(config.namespaces.map((ns) => kube.readSecret(ns, config.secretName)));
  run.log.info('read', 'read the Secret in every namespace', {
    found: config.namespaces.filter((_, i) => secrets[i] !== undefined).join(',') || undefined,
    missing: config.namespaces.filter((_, i) => secrets[i] === undefined).join(',') || undefined,
  });
  return new Map(config.namespaces.map((ns, i) => [ns, secrets[i]]));
}

/** Key, CSR, verified approval, the signer's certificate, checked against our key and request. */
async function issue(run: Run): Promise<{ csrName: string; certificate: Certificate }> {
  const { config, kube, log } = run;
  const csrName = `${config.secretName}-${randomBytes(4).toString('hex')}`;
  // Only now, once the Secrets said so: a key generated on speculation took a core from the API
  // server on every no-op run. The lookup of who we are and the removal of dead runs' CSRs
  // overlap it, so neither delays the CSR.
  const [username, key] = await Promise.all([
    kube.whoAmI().then(async (username) => {
      await removeLeftovers(run, username, csrName);
      return username;
    }),
    generateKey(config.keyBits),
  ]);
  const request = buildCsrObject({
    name: csrName,
    secretName: config.secretName,
    requestPem: encodeCsr({ commonName: config.commonName, organization: config.organization }, key, config.keyBits),
    signerName: config.signerName,
    expirationSeconds: config.expirationSeconds,
  });
  const created = await kube.createCsr(request);
  log.info('create-csr', 'CSR created', { csr: csrName, signer: config.signerName, username });

  // The watch starts at the created version, on a connection of its own, before the CSR is
  // verified, so its handshake overlaps the verification and the approval; a failed approval
  // stops it.
  const stopWaiting = new AbortController();
  const [certificatePem] = await Promise.all([
    waitForCertificate(run, csrName, created.metadata!.resourceVersion!, stopWaiting.signal),
    verifyAndApprove(run, created, {
      uid: created.metadata!.uid!,
      commonName: config.commonName,
      organization: config.organization,
      usages: csrUsages,
      username,
      signerName: config.signerName,
      publicKeyPem: key.publicKeyPem,
    }).catch((error: unknown) => {
      stopWaiting.abort(error);
      throw error;
    }),
  ]);
  return { csrName, certificate: checkIssued(run, certificatePem, key) };
}

/** Dead runs' CSRs are useless (their key is gone); removing them keeps `kubectl get csr` honest. */
async function removeLeftovers(run: Run, username: string, current: string): Promise<void> {
  try {
    const items = await run.kube.listCsrs(`${SECRET_LABEL}=${run.config.secretName}`);
    const names = leftoverCsrs(items, { username, current, now: nowOf(run), deadlineSeconds: run.config.timeoutSeconds });
    await Promise.all(names.map((name) => run.kube.deleteCsr(name)));
    if (names.length > 0) run.log.info('cleanup', 'deleted CSRs left by earlier runs', { csrs: names.join(',') });
  } catch (error) {
    run.log.warn('cleanup', 'could not remove leftover CSRs; the API garbage-collects them', { error: describe(error) });
  }
}

/**
 * Approves only the object we verified, first the one the API returned on create: the approval
 * carries the verified resourceVersion, so if the CSR changes in between, the API answers 409 and
 * we read it back and verify again.
 */
async function verifyAndApprove(run: Run, created: V1CertificateSigningRequest, expected: ExpectedCsr): Promise<void> {
  const name = created.metadata!.name!;
  let csr: V1CertificateSigningRequest | undefined = created;
  for (let attempt = 1; attempt <= maxRounds; attempt++) {
    if (csr === undefined) throw new IssuerError(ExitCode.internal, `CSR ${name} disappeared before approval`);
    // A third party (a policy controller, an admin) may deny it first; that ends the run.
    const outcome = outcomeOf(csr);
    if (outcome.state === 'denied' || outcome.state === 'failed') throw csrEnded(name, outcome);
    const violations = await verifyCsrForApproval(csr, expected);
    if (violations.length > 0) {
      throw new IssuerError(ExitCode.refusedToApprove, `refusing to approve CSR ${name}: ${violations.join('; ')}`);
    }
    if ((await run.kube.approveCsr(withApproval(csr, nowOf(run)))) !== undefined) {
      run.log.info('approve', 'CSR verified and approved', { csr: name });
      return;
    }
    if (attempt === maxRounds) break;
    csr = await run.kube.readCsr(name);
  }
  throw new IssuerError(ExitCode.internal, `CSR ${name} kept changing while being approved`);
}

/**
 * Watches the CSR from `resourceVersion` until the signer fills in the certificate, a
 * Denied/Failed condition appears, the deadline passes or `stop` is aborted (with the reason). A
 * dropped watch is resumed from a fresh list, so an event that fell between the two is not missed.
 */
function waitForCertificate(run: Run, name: string, resourceVersion: string, stop: AbortSignal): Promise<string> {
  const { kube, log, config, clock } = run;
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
    clock.sleep(Math.max(0, run.deadline - clock.now()), deadlineTimer.signal).then(
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

/** The signer may shorten the lifetime or sign something unexpected; trust only what we check. */
function checkIssued(run: Run, certificatePem: string, key: KeyPair): Certificate {
  let facts: CertificateFacts;
  try {
    facts = inspectCertificate(certificatePem);
  } catch {
    throw new IssuerError(ExitCode.internal, 'the signer returned no parseable certificate');
  }
  const { commonName, organization } = run.config;
  const problem = identityProblem({ tlsCrt: certificatePem, tlsKey: key.privateKeyPem }, facts, { commonName, organization });
  if (problem !== undefined) throw new IssuerError(ExitCode.internal, `the issued certificate is unusable: ${problem}`);
  if (!chainVerifies(certificatePem, run.signerCaPem)) {
    // Still usable by Flux, but the next run will not recognise it and will issue again.
    run.log.warn('check', 'the issued certificate does not chain to the cluster CA of the ServiceAccount mount; the signer uses another CA', {});
  }
  const renewAfter = renewalDeadlineOf(facts);
  run.log.info('check', 'issued certificate verified', {
    notAfter: rfc3339(facts.notAfter),
    renewAfter: rfc3339(renewAfter),
    lifetimeSeconds: Math.round((facts.notAfter.getTime() - facts.notBefore.getTime()) / 1000),
  });
  return { files: { tlsCrt: certificatePem, tlsKey: key.privateKeyPem, caCrt: run.caCrt }, facts, renewAfter };
}

async function store(
  run: Run,
  certificate: Certificate,
  namespaces: readonly string[],
  stored: ReadonlyMap<string, V1Secret | undefined>,
): Promise<'written' | 'conflict'> {
  const results = await Promise.all(
    namespaces.map(async (namespace) => {
      const existing = stored.get(namespace);
      const secret = buildTlsSecret(
        { name: run.config.secretName, namespace, files: certificate.files, notAfter: certificate.facts.notAfter, renewAfter: certificate.renewAfter },
        existing,
      );
      const result = await run.kube.writeSecret(secret);
      run.log.info('store', result === 'written' ? 'Secret written' : 'Secret changed concurrently', {
        namespace,
        operation: existing ? 'update' : 'create',
        result,
      });
      return result;
    }),
  );
  return results.includes('conflict') ? 'conflict' : 'written';
}

/** A failed refresh is no reason to fail the Job: Flux picks the Secret up at its next interval. */
async function refreshHelmRepositories(run: Run): Promise<void> {
  const requestedAt = rfc3339(nowOf(run));
  await Promise.all(
    run.config.refreshHelmRepositories.map(async (repo) => {
      try {
        await run.kube.requestReconcile(repo, requestedAt);
        run.log.info('refresh', 'HelmRepository asked to reconcile', { helmRepository: `${repo.namespace}/${repo.name}` });
      } catch (error) {
        run.log.warn('refresh', 'could not annotate HelmRepository', {
          helmRepository: `${repo.namespace}/${repo.name}`,
          error: describe(error),
        });
      }
    }),
  );
}
