// A throwaway CA for unit tests: node-forge lays out the certificates, node:crypto makes the keys and signs.
import { generateKeyPairSync, sign as rsaSign } from 'node:crypto';
import forge from 'node-forge';
import type { KeyPair } from '../../cert-issuer/src/certificate.ts';

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

export function clientCert(ca: Ca, key: Pick<KeyPair, 'publicKeyPem'>, options: ClientCertOptions): string {
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
  // forge's own RSA is pure JavaScript and takes about a second a signature inside Jest's VM
  // context (25 ms outside it); node:crypto signs the same to-be-signed bytes natively.
  cert.siginfo.algorithmOid = cert.signatureOid = forge.pki.oids.sha256WithRSAEncryption!;
  // (@types/node-forge lacks getTBSCertificate, which forge exports.)
  const { getTBSCertificate } = forge.pki as unknown as { getTBSCertificate: (c: forge.pki.Certificate) => forge.asn1.Asn1 };
  const tbs = Buffer.from(forge.asn1.toDer(getTBSCertificate(cert)).getBytes(), 'binary');
  cert.signature = rsaSign('sha256', tbs, spec.signerKey.privateKeyPem).toString('binary');
  return forge.pki.certificateToPem(cert);
}
