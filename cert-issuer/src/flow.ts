import { randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { chainVerifies, generateKey, inspectCertificate, type CertificateFacts, type KeyPair } from './certificate.ts';
import type { Config } from './config.ts';
import { encodeCsr } from '../../src/contract/csr-encoding.ts';
import { approveAndWait, createCsr, deleteCsr, type CsrSession } from './csr-protocol.ts';
import { buildCsrObject, leftoverCsrs } from './csr.ts';
import { ExitCode, IssuerError } from './errors.ts';
import type { RunOutcome } from './events.ts';
import { CSR_USAGES, SECRET_LABEL } from '../../src/contract/issuer-api.ts';
import { describe } from './retry.ts';
import { decide, identityProblem, renewalDeadlineOf, type Expected, type TlsFiles } from './rotation.ts';
import { buildTlsSecret, filesOf, type Origin, originOf, unwritableReason } from './secret.ts';
import { rfc3339 } from './utc-time.ts';

export interface Run extends CsrSession {
  readonly config: Config;
  /** The CA the signer signs with: the certificate must chain to it. */
  readonly signerCaPem: string;
  /** The Secret's ca.crt: the CA that verifies the API endpoint. */
  readonly caCrt: string;
}

interface Certificate {
  readonly files: TlsFiles;
  readonly facts: CertificateFacts;
  readonly renewAfter: Date;
  readonly origin: Origin;
}

const maxRounds = 3;

/**
 * Makes every target namespace hold a good, identical TLS Secret: nothing to do, copy a good
 * certificate where it is missing, or issue a new one. A write that loses a race (409) starts
 * the round again from fresh reads, so no concurrent writer is silently overwritten. Returns what
 * it did, which the run records as an Event.
 */
export async function ensure(run: Run): Promise<RunOutcome> {
  const { config, log } = run;
  const expected: Expected = { commonName: config.commonName, organization: config.organization, signerCaPem: run.signerCaPem, caCrt: run.caCrt };
  let issued: { csrName: string; certificate: Certificate } | undefined;
  let outcome: RunOutcome = { action: 'noop' };
  for (let round = 1; round <= maxRounds; round++) {
    const stored = await readSecrets(run);
    const decision = decide(new Map([...stored].map(([ns, secret]) => [ns, filesOf(secret)])), expected, nowOf(run));
    log.info('decide', decision.reason, { action: decision.action, round });
    if (decision.action === 'noop') break;

    const namespaces = decision.action === 'repair' ? decision.namespaces : config.namespaces;
    // Before a CSR: a Secret the run could not write makes the certificate useless.
    const unwritable = namespaces.map((ns) => unwritableReason(stored.get(ns))).find((reason) => reason !== undefined);
    if (unwritable !== undefined) throw new IssuerError(ExitCode.badConfig, unwritable);
    let certificate: Certificate;
    if (decision.action === 'repair') {
      // A copy says where its certificate came from as its source does.
      certificate = { files: decision.source, facts: decision.facts, renewAfter: decision.renewAfter, origin: originOf(stored.get(decision.from)) };
    } else {
      issued ??= await issue(run);
      certificate = issued.certificate;
    }
    if ((await store(run, certificate, namespaces, stored)) === 'written') {
      // Issued where no copy held a certificate, renewed where one did (expired, due or wrong).
      const replaced = [...stored.values()].some((secret) => filesOf(secret) !== undefined);
      const action = decision.action === 'repair' ? 'copied' : replaced ? 'renewed' : 'issued';
      outcome = { action, namespaces, notAfter: certificate.facts.notAfter, renewAfter: certificate.renewAfter };
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
    outcome.action !== 'noop' && refreshHelmRepositories(run),
    issued && deleteCsr(run, issued.csrName),
  ]);
  return outcome;
}

function nowOf(run: Run): Date {
  return new Date(run.clock.now());
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
  const { config, kube } = run;
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
  const created = await createCsr(run, request, username);
  const certificatePem = await approveAndWait(run, created, {
    uid: created.metadata!.uid!,
    commonName: config.commonName,
    organization: config.organization,
    usages: [...CSR_USAGES],
    username,
    signerName: config.signerName,
    publicKeyPem: key.publicKeyPem,
  });
  return { csrName, certificate: checkIssued(run, certificatePem, key, { issuedBy: config.runName, csr: csrName }) };
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

/** The signer may shorten the lifetime or sign something unexpected; trust only what we check. */
function checkIssued(run: Run, certificatePem: string, key: KeyPair, origin: Origin): Certificate {
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
  return { files: { tlsCrt: certificatePem, tlsKey: key.privateKeyPem, caCrt: run.caCrt }, facts, renewAfter, origin };
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
      const { files, facts, renewAfter, origin } = certificate;
      const secret = buildTlsSecret({ name: run.config.secretName, namespace, files, notAfter: facts.notAfter, renewAfter, origin }, existing);
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
