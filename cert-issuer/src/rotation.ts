import { createHash } from 'node:crypto';
import { chainVerifies, inspectCertificate, keyMatchesCertificate, type CertificateFacts } from './certificate.ts';
import { isoTime } from './utc-time.ts';

/** The three PEM files a TLS Secret holds. */
export interface TlsFiles {
  readonly tlsCrt: string;
  readonly tlsKey: string;
  readonly caCrt: string;
}

export interface Expected {
  readonly commonName: string;
  readonly organization: string | undefined;
  /** The signer's CA bundle, which the certificate must chain to. */
  readonly signerCaPem: string;
  /** What every copy must carry as ca.crt: the CA that verifies the API endpoint Flux uses. */
  readonly caCrt: string;
}

/**
 * client-go's rule: renew at a jittered 70–90% of the lifetime, so a fleet of issuers does not
 * renew in lockstep and there is ample time left to retry. `random` returns a value in [0, 1).
 */
export function nextRotationDeadline(notBefore: Date, notAfter: Date, random: () => number): Date {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  return new Date(notBefore.getTime() + lifetime * (0.7 + 0.2 * random()));
}

/**
 * The jitter for one certificate. client-go keeps its deadline in memory; this Job re-runs at
 * every Flux interval, and a fresh random number per run would almost surely pick an early one.
 * Deriving it from the certificate gives every run the same deadline for the same certificate.
 */
export function jitterOf(fingerprint: string): () => number {
  const digest = createHash('sha256').update(fingerprint).digest();
  return () => digest.readUInt32BE(0) / 2 ** 32;
}

export function renewalDeadlineOf(facts: CertificateFacts): Date {
  return nextRotationDeadline(facts.notBefore, facts.notAfter, jitterOf(facts.fingerprint));
}

export type Verdict = { good: true; facts: CertificateFacts; renewAfter: Date } | { good: false; reason: string };

/** Whether stored files still hold a certificate worth keeping at `now`. */
export function evaluate(files: TlsFiles, expected: Expected, now: Date): Verdict {
  let facts: CertificateFacts;
  try {
    facts = inspectCertificate(files.tlsCrt);
  } catch {
    return { good: false, reason: 'tls.crt is not a PEM certificate' };
  }
  const problem = identityProblem(files, facts, expected);
  if (problem !== undefined) return { good: false, reason: problem };
  if (!chainVerifies(files.tlsCrt, expected.signerCaPem)) return { good: false, reason: 'does not chain to the signer CA' };
  if (now < facts.notBefore) return { good: false, reason: `not valid before ${isoTime(facts.notBefore)}` };
  const renewAfter = renewalDeadlineOf(facts);
  if (now >= facts.notAfter) return { good: false, reason: `expired at ${isoTime(facts.notAfter)}` };
  if (now >= renewAfter) return { good: false, reason: `due for renewal since ${isoTime(renewAfter)}` };
  return { good: true, facts, renewAfter };
}

/** Why a certificate is not the identity we asked for (key, CN, O, clientAuth), or undefined. */
export function identityProblem(
  files: Pick<TlsFiles, 'tlsCrt' | 'tlsKey'>,
  facts: CertificateFacts,
  expected: Pick<Expected, 'commonName' | 'organization'>,
): string | undefined {
  if (!keyMatchesCertificate(files.tlsCrt, files.tlsKey)) return 'tls.key does not match tls.crt';
  if (facts.commonName !== expected.commonName) {
    return `CN is ${JSON.stringify(facts.commonName ?? null)}, want "${expected.commonName}"`;
  }
  const wantOrganizations = expected.organization === undefined ? [] : [expected.organization];
  if (facts.organizations.join('\n') !== wantOrganizations.join('\n')) {
    return `O is [${facts.organizations.join(', ')}], want [${wantOrganizations.join(', ')}]`;
  }
  if (!facts.clientAuth) return 'extended key usage lacks clientAuth';
  return undefined;
}

export type Decision =
  | { action: 'noop'; reason: string }
  | { action: 'repair'; reason: string; source: TlsFiles; from: string; facts: CertificateFacts; renewAfter: Date; namespaces: string[] }
  | { action: 'issue'; reason: string };

/**
 * What to do given the files stored in each target namespace (undefined: no Secret, or one that
 * lacks a file). A good certificate anywhere is spread to every namespace rather than replaced, so
 * a lost or tampered copy costs no new certificate.
 */
export function decide(stored: Map<string, TlsFiles | undefined>, expected: Expected, now: Date): Decision {
  const judged = [...stored].map(([namespace, files]) => ({
    namespace,
    files,
    verdict: files === undefined ? ({ good: false, reason: 'no Secret' } as const) : evaluate(files, expected, now),
  }));
  const good = judged.flatMap(({ namespace, files, verdict }) => (verdict.good ? [{ namespace, files: files!, ...verdict }] : []));
  if (good.length === 0) {
    return { action: 'issue', reason: judged.map((j) => `${j.namespace}: ${j.verdict.good || j.verdict.reason}`).join('; ') };
  }
  // The copy that lives longest wins, so a repair never moves a namespace to an older certificate.
  const best = good.reduce((a, b) => (b.facts.notAfter > a.facts.notAfter ? b : a));
  const source = { tlsCrt: best.files.tlsCrt, tlsKey: best.files.tlsKey, caCrt: expected.caCrt };
  const drifted = judged.filter((j) => !sameFiles(j.files, source)).map((j) => j.namespace);
  if (drifted.length === 0) return { action: 'noop', reason: `valid; renewal due at ${isoTime(best.renewAfter)}` };
  return {
    action: 'repair',
    reason: `copy in ${best.namespace} is valid; ${drifted.join(', ')} differ`,
    source,
    from: best.namespace,
    facts: best.facts,
    renewAfter: best.renewAfter,
    namespaces: drifted,
  };
}

function sameFiles(a: TlsFiles | undefined, b: TlsFiles): boolean {
  return a !== undefined && a.tlsCrt === b.tlsCrt && a.tlsKey === b.tlsKey && a.caCrt === b.caCrt;
}
