import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
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
