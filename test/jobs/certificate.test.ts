import {
  buildCsr,
  chainVerifies,
  generateKey,
  inspectCertificate,
  keyMatchesCertificate,
  parseCsr,
  samePublicKey,
} from '../../jobs/src/certificate.ts';
import { clientCert, makeCa, rsaKey } from './pki.ts';

describe('certificate', () => {
  const ca = makeCa();
  const key = rsaKey();
  const validity = { notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2026-01-01T00:00:00Z') };

  test('GIVEN a fresh node:crypto key WHEN a CSR is built THEN it parses back with our subject, key and a valid SHA-256 signature', async () => {
    const fresh = await generateKey(2048);
    const pem = await buildCsr({ commonName: 'cozystack-assets-reader', organization: 'readers' }, fresh);
    const parsed = await parseCsr(pem);
    expect(parsed).toMatchObject({ commonNames: ['cozystack-assets-reader'], organizations: ['readers'], otherSubjectFields: [], signatureValid: true });
    expect(samePublicKey(parsed.publicKeyPem, fresh.publicKeyPem)).toBe(true);
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    expect(fresh.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  test('GIVEN no organization WHEN a CSR is built THEN its subject is the CN alone', async () => {
    expect(await parseCsr(await buildCsr({ commonName: 'reader', organization: undefined }, key))).toMatchObject({ commonNames: ['reader'], organizations: [] });
  });

  test('GIVEN garbage WHEN parsed as a CSR THEN it throws', async () => {
    await expect(parseCsr('not a csr')).rejects.toThrow();
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
