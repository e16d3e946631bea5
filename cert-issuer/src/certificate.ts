import { createPrivateKey, createPublicKey, generateKeyPair, X509Certificate } from 'node:crypto';
import { readPkcs10 } from './pkcs10.ts';

export interface KeyPair {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

const clientAuthOid = '1.3.6.1.5.5.7.3.2';

/**
 * A fresh RSA key for every request, as client-go's certificate manager does; native, for speed
 * (BENCHMARKS.md, Why the code is shaped this way).
 */
export function generateKey(bits: number): Promise<KeyPair> {
  return new Promise((resolve, reject) =>
    generateKeyPair('rsa', {
      modulusLength: bits,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    }, (error, publicKeyPem, privateKeyPem) => (error ? reject(error) : resolve({ privateKeyPem, publicKeyPem }))),
  );
}

export interface ParsedCsr {
  readonly commonNames: string[];
  readonly organizations: string[];
  /** Subject attributes other than CN and O, by short name or OID. */
  readonly otherSubjectFields: string[];
  readonly publicKeyPem: string;
  readonly signatureValid: boolean;
}

/** Reads a PEM CSR; throws when it is not a parseable RSA PKCS#10 request. */
export function parseCsr(pem: string): ParsedCsr {
  const request = readPkcs10(pem);
  const values = (type: string) => request.subject.filter((a) => a.type === type).map((a) => a.value);
  return {
    commonNames: values('CN'),
    organizations: values('O'),
    otherSubjectFields: request.subject.filter((a) => a.type !== 'CN' && a.type !== 'O').map((a) => a.type),
    publicKeyPem: request.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    signatureValid: request.signatureValid,
  };
}

export interface CertificateFacts {
  readonly commonName: string | undefined;
  readonly organizations: string[];
  readonly clientAuth: boolean;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SHA-256 fingerprint, hex with colons; also seeds the renewal jitter. */
  readonly fingerprint: string;
}

/** Facts about the first (leaf) certificate of a PEM; throws when there is none. */
export function inspectCertificate(pem: string): CertificateFacts {
  const cert = leafOf(pem);
  const subject = cert.toLegacyObject().subject as Record<string, string | string[] | undefined>;
  const all = (value: string | string[] | undefined) => (value === undefined ? [] : [value].flat());
  const commonNames = all(subject.CN);
  return {
    commonName: commonNames.length === 1 ? commonNames[0] : undefined,
    organizations: all(subject.O),
    clientAuth: (cert.keyUsage ?? []).includes(clientAuthOid),
    notBefore: cert.validFromDate,
    notAfter: cert.validToDate,
    fingerprint: cert.fingerprint256,
  };
}

/** True when the private key belongs to the leaf certificate; false for anything unparseable. */
export function keyMatchesCertificate(certPem: string, privateKeyPem: string): boolean {
  try {
    return leafOf(certPem).checkPrivateKey(createPrivateKey(privateKeyPem));
  } catch {
    return false;
  }
}

/** True when two PEM public keys are the same key, whatever their encoding. */
export function samePublicKey(a: string, b: string): boolean {
  const der = (pem: string) => createPublicKey(pem).export({ type: 'spki', format: 'der' });
  return der(a).equals(der(b));
}

/**
 * True when the leaf chains up to a certificate of the CA bundle, through any intermediates that
 * follow the leaf in the same PEM.
 */
export function chainVerifies(certPem: string, caBundlePem: string): boolean {
  try {
    const [leaf, ...intermediates] = splitPem(certPem).map((pem) => new X509Certificate(pem));
    const roots = splitPem(caBundlePem).map((pem) => new X509Certificate(pem));
    let current = leaf!;
    // Bounded so a loop of intermediates that sign each other cannot spin forever.
    for (let depth = 0; depth <= intermediates.length; depth++) {
      const signedBy = (issuer: X509Certificate) => current.checkIssued(issuer) && current.verify(issuer.publicKey);
      if (roots.some(signedBy)) return true;
      const next = intermediates.find(signedBy);
      if (next === undefined) return false;
      current = next;
    }
    return false;
  } catch {
    return false;
  }
}

export function splitPem(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
}

function leafOf(pem: string): X509Certificate {
  const first = splitPem(pem)[0];
  if (first === undefined) throw new Error('no PEM certificate');
  return new X509Certificate(first);
}
