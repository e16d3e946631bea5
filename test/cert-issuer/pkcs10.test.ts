// The issuer's PKCS#10 reader (cert-issuer/src/pkcs10.ts) reads what openssl writes, reads what
// node-forge, the library it replaced, reads, and refuses what it does not expect.
import { execFileSync } from 'node:child_process';
import { createPublicKey, sign as rsaSign } from 'node:crypto';
import fc from 'fast-check';
import forge from 'node-forge';
import { encodeCsr } from '../../src/contract/csr-encoding.ts';
import { readPkcs10 } from '../../cert-issuer/src/pkcs10.ts';
import { rsaKeyPair } from './forged-csrs.ts';

/** A CSR made by openssl, an encoder other than ours. */
function opensslCsr(subject: string, ...options: string[]): string {
  return execFileSync('openssl', ['req', '-new', '-nodes', '-keyout', '/dev/null', '-subj', subject, ...options], { stdio: 'pipe' }).toString();
}

const der = (pem: string) => Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
const pemOf = (bytes: Buffer) => `-----BEGIN CERTIFICATE REQUEST-----\n${bytes.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE REQUEST-----\n`;

describe('GIVEN the PKCS#10 reader', () => {
  const key = rsaKeyPair(2048);
  const ours = encodeCsr({ commonName: 'lecteur-é', organization: 'readers' }, key, 2048);

  test('WHEN it reads the issuer\'s own request THEN it finds the subject, the key and a valid signature', () => {
    const request = readPkcs10(ours);
    expect(request.subject).toEqual([{ type: 'CN', value: 'lecteur-é' }, { type: 'O', value: 'readers' }]);
    expect(request.publicKey.equals(createPublicKey(key.publicKeyPem))).toBe(true);
    expect(request.signatureValid).toBe(true);
  });

  test.each([['-newkey', 'rsa:2048'], ['-newkey', 'rsa:3072', '-sha512']])('WHEN it reads an openssl request (%s %s %s) THEN every subject field comes back in order and the signature verifies', (...options) => {
    const request = readPkcs10(opensslCsr('/C=DE/O=acme/OU=ops/CN=reader/emailAddress=ops@example.org', ...options));
    expect(request.subject.map((a) => `${a.type}=${a.value}`)).toEqual(['C=DE', 'O=acme', 'OU=ops', 'CN=reader', 'emailAddress=ops@example.org']);
    expect(request.signatureValid).toBe(true);
  });

  test('WHEN the request is signed with SHA-1 THEN its signature does not count as valid', () => {
    expect(readPkcs10(opensslCsr('/CN=reader', '-newkey', 'rsa:2048', '-sha1')).signatureValid).toBe(false);
  });

  test('WHEN one byte of the signed part changed THEN the signature does not verify', () => {
    const bytes = der(ours);
    bytes[bytes.indexOf('readers')] = 'R'.charCodeAt(0);
    const request = readPkcs10(pemOf(bytes));
    expect(request.subject[1]).toEqual({ type: 'O', value: 'Readers' });
    expect(request.signatureValid).toBe(false);
  });

  test.each([
    ['bytes after the request', () => pemOf(Buffer.concat([der(ours), Buffer.from([0x05, 0x00])]))],
    ['a truncated request', () => pemOf(der(ours).subarray(0, 200))],
    ['text before the PEM block', () => `hello\n${ours}`],
    ['a second PEM block', () => ours + ours],
    ['another PEM label', () => ours.replaceAll('CERTIFICATE REQUEST', 'CERTIFICATE')],
    ['an EC key', () => opensslCsr('/CN=reader', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256')],
  ])('WHEN it is given %s THEN it throws rather than guess', (_, make) => {
    expect(() => readPkcs10(make())).toThrow();
  });
});

/** The OIDs of the attributes the reader names, as RFC 4519 and PKCS#9 number them. */
const oidOfName: Readonly<Record<string, string>> = {
  CN: '2.5.4.3', O: '2.5.4.10', OU: '2.5.4.11', C: '2.5.4.6', L: '2.5.4.7', ST: '2.5.4.8', serialNumber: '2.5.4.5', emailAddress: '1.2.840.113549.1.9.1',
};

const { UTF8, PRINTABLESTRING, IA5STRING } = forge.asn1.Type;
const ia5Character = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code));

/** One subject attribute in a string type node-forge writes; title (2.5.4.12) is one the reader has no name for. */
const subjectAttribute = fc.record({
  oid: fc.constantFrom(...Object.values(oidOfName), '2.5.4.12'),
  typed: fc.oneof(
    fc.record({ tag: fc.constant(UTF8), value: fc.string({ unit: 'grapheme', maxLength: 12 }) }),
    fc.record({ tag: fc.constant(PRINTABLESTRING), value: fc.stringMatching(/^[A-Za-z0-9 '()+,./:=?-]{0,12}$/) }),
    fc.record({ tag: fc.constant(IA5STRING), value: fc.string({ unit: ia5Character, maxLength: 12 }) }),
  ),
});

describe('GIVEN requests node-forge writes, of any subject, key size and SHA-2 hash, some with a broken signature', () => {
  const requests = fc.record({
    subject: fc.array(subjectAttribute, { minLength: 1, maxLength: 4 }),
    key: fc.constantFrom(rsaKeyPair(2048), rsaKeyPair(3072)),
    hash: fc.constantFrom('sha256', 'sha384', 'sha512'),
    brokenSignature: fc.boolean(),
  });

  /** The request as PEM; a broken signature has its last byte changed. */
  function pemOfRequest({ subject, key, hash, brokenSignature }: typeof requests extends fc.Arbitrary<infer T> ? T : never): string {
    const csr = forge.pki.createCertificationRequest() as forge.pki.CertificateSigningRequest & { certificationRequestInfo?: forge.asn1.Asn1 };
    csr.publicKey = forge.pki.publicKeyFromPem(key.publicKeyPem);
    // (@types/node-forge types valueTagClass as an ASN.1 class; forge takes the value's tag there.)
    csr.setSubject(subject.map(({ oid, typed }) => ({ type: oid, value: typed.value, valueTagClass: typed.tag as unknown as forge.asn1.Class })));
    // forge lays the request out and digests it; its own RSA is pure JavaScript, about a second a
    // signature inside Jest's VM context, so node:crypto signs the bytes forge has just laid out.
    const nativeKey = { sign: () => rsaSign(hash, Buffer.from(forge.asn1.toDer(csr.certificationRequestInfo!).getBytes(), 'binary'), key.privateKeyPem).toString('binary') };
    csr.sign(nativeKey as unknown as forge.pki.rsa.PrivateKey, forge.md[hash].create());
    const bytes = der(forge.pki.certificationRequestToPem(csr));
    if (brokenSignature) bytes[bytes.length - 1]! ^= 0x01;
    return pemOf(bytes);
  }

  /** What node-forge reads: each attribute's OID and text (it leaves a UTF8String's bytes undecoded), the key, the signature's verdict. */
  function readByForge(pem: string): { subject: { oid: string; value: string }[]; publicKeyPem: string; signatureValid: boolean } {
    const csr = forge.pki.certificationRequestFromPem(pem);
    let signatureValid: boolean;
    try {
      signatureValid = csr.verify();
    } catch {
      // node-forge throws where a signature does not even decode.
      signatureValid = false;
    }
    return {
      subject: csr.subject.attributes.map((a) => ({ oid: a.type!, value: (a.valueTagClass as unknown) === UTF8 ? forge.util.decodeUtf8(a.value as string) : (a.value as string) })),
      publicKeyPem: forge.pki.publicKeyToPem(csr.publicKey!),
      signatureValid,
    };
  }

  test('WHEN the reader reads them THEN it finds what node-forge finds: every subject attribute in order, the key, and whether the signature verifies', () => {
    fc.assert(fc.property(requests, (request) => {
      const pem = pemOfRequest(request);
      const ours = readPkcs10(pem);
      const forges = readByForge(pem);

      expect(ours.subject.map(({ type, value }) => ({ oid: oidOfName[type] ?? type, value }))).toEqual(forges.subject);
      expect(ours.publicKey.equals(createPublicKey(forges.publicKeyPem))).toBe(true);
      expect(ours.signatureValid).toBe(forges.signatureValid);
    }), { numRuns: 100 });
  });
});
