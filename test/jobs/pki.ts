// A throwaway CA for unit tests: node:crypto makes the keys, node-forge signs the certificates.
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import type { KeyPair } from '../../jobs/src/certificate.ts';

export function rsaKey(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

export interface Ca {
  certPem: string;
  key: KeyPair;
}

export function makeCa(name = 'test-ca'): Ca {
  const key = rsaKey();
  const certPem = sign({
    subject: [{ name: 'commonName', value: name }],
    publicKeyPem: key.publicKeyPem,
    issuer: undefined,
    signerKey: key,
    notBefore: new Date('2020-01-01T00:00:00Z'),
    notAfter: new Date('2040-01-01T00:00:00Z'),
    extensions: [{ name: 'basicConstraints', cA: true }, { name: 'keyUsage', keyCertSign: true, digitalSignature: true }],
  });
  return { certPem, key };
}

export interface ClientCertOptions {
  commonName?: string;
  organizations?: string[];
  clientAuth?: boolean;
  notBefore: Date;
  notAfter: Date;
}

export function clientCert(ca: Ca, key: KeyPair, options: ClientCertOptions): string {
  return sign({
    subject: [
      { name: 'commonName', value: options.commonName ?? 'reader' },
      ...(options.organizations ?? []).map((value) => ({ name: 'organizationName', value })),
    ],
    publicKeyPem: key.publicKeyPem,
    issuer: ca,
    signerKey: ca.key,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    extensions: [{ name: 'extKeyUsage', clientAuth: options.clientAuth ?? true, serverAuth: !(options.clientAuth ?? true) }],
  });
}

function sign(spec: {
  subject: forge.pki.CertificateField[];
  publicKeyPem: string;
  issuer: Ca | undefined;
  signerKey: KeyPair;
  notBefore: Date;
  notAfter: Date;
  extensions: object[];
}): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(spec.publicKeyPem);
  cert.serialNumber = forge.util.bytesToHex(forge.random.getBytesSync(8)).replace(/^[89a-f]/, '1');
  cert.validity.notBefore = spec.notBefore;
  cert.validity.notAfter = spec.notAfter;
  cert.setSubject(spec.subject);
  cert.setIssuer(spec.issuer ? forge.pki.certificateFromPem(spec.issuer.certPem).subject.attributes : spec.subject);
  cert.setExtensions(spec.extensions);
  cert.sign(forge.pki.privateKeyFromPem(spec.signerKey.privateKeyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}
