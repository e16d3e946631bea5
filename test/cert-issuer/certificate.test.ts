import {
  chainVerifies,
  inspectCertificate,
  keyMatchesCertificate,
  parseCsr,
} from '../../cert-issuer/src/certificate.ts';
import { clientCert, makeCa, rsaKey } from './pki.ts';

describe('certificate', () => {
  const ca = makeCa();
  const key = rsaKey();
  const validity = { notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2026-01-01T00:00:00Z') };

  test('GIVEN garbage WHEN parsed as a CSR THEN it throws', () => {
    expect(() => parseCsr('not a csr')).toThrow();
  });

  test('GIVEN a client cert from the CA WHEN inspected THEN CN, O, clientAuth and validity come from the certificate', () => {
    const pem = clientCert(ca, key, { ...validity, organizations: ['g'] });
    expect(inspectCertificate(pem)).toMatchObject({ commonName: 'reader', organizations: ['g'], clientAuth: true, ...validity });
    expect(keyMatchesCertificate(pem, key.privateKeyPem)).toBe(true);
    expect(keyMatchesCertificate(pem, rsaKey().privateKeyPem)).toBe(false);
    expect(chainVerifies(pem, ca.certPem)).toBe(true);
    expect(chainVerifies(pem, `${makeCa('other').certPem}\n${ca.certPem}`)).toBe(true);
    expect(chainVerifies(pem, makeCa('other').certPem)).toBe(false);
  });
});
