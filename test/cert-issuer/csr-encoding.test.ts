import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { parseCsr, samePublicKey } from '../../cert-issuer/src/certificate.ts';
import { encodeCsr, requestShape, type RequestShape } from '../../src/contract/csr-encoding.ts';
import { COMMON_NAME } from '../../src/contract/formats.ts';
import { KEY_BITS } from '../../src/contract/issuer-api.ts';
import { textProblem } from '../../src/contract/names.ts';
import { canonicalPem, forgeries, refusal, rsaKeyPair } from './forged-csrs.ts';

/** What the policy's two request rules decide, with JavaScript's regex standing in for RE2. */
function admits(shape: RequestShape, pem: string): { subject: boolean; encoding: boolean } {
  const text = Buffer.from(pem, 'latin1').toString('base64');
  return { subject: text.startsWith(shape.prefix), encoding: text.length === shape.length && new RegExp(shape.pattern).test(text) };
}

describe('the issuer CSR encoding', () => {
  test('GIVEN a fresh key WHEN a CSR is encoded THEN it parses back with our subject and key, a valid SHA-256 signature, and openssl agrees', async () => {
    const key = rsaKeyPair(2048);
    const pem = encodeCsr({ commonName: 'cozystack-assets-reader', organization: 'readers' }, key, 2048);
    const parsed = await parseCsr(pem);
    expect(parsed).toMatchObject({ commonNames: ['cozystack-assets-reader'], organizations: ['readers'], otherSubjectFields: [], signatureValid: true });
    expect(samePublicKey(parsed.publicKeyPem, key.publicKeyPem)).toBe(true);
    const openssl = execFileSync('openssl', ['req', '-noout', '-verify', '-subject', '-nameopt', 'RFC2253'], { input: pem, stdio: 'pipe' }).toString();
    expect(openssl).toContain('subject=O=readers,CN=cozystack-assets-reader');
  });

  test.each(['flux_reader', 'reader@example.org', 'lecteur-é', 'a'.repeat(64)])(
    'GIVEN the CN %j, outside PrintableString or at the X.509 limit, WHEN encoded THEN it is a UTF8String that parses back unchanged',
    async (commonName) => {
      const pem = encodeCsr({ commonName, organization: undefined }, rsaKeyPair(2048), 2048);
      const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\n/g, ''), 'base64');
      expect(der.includes(Buffer.concat([Buffer.from([0x0c, Buffer.byteLength(commonName)]), Buffer.from(commonName, 'utf8')]))).toBe(true);
      expect(await parseCsr(pem)).toMatchObject({ commonNames: [commonName], signatureValid: true });
    },
  );

  test('GIVEN a key of another size than asked WHEN encoded THEN it is refused, since the policy pins the size', () => {
    expect(() => encodeCsr({ commonName: 'reader', organization: undefined }, rsaKeyPair(3072), 2048)).toThrow('not exactly 2048 bits');
  });
});

describe('the request shape the admission policy pins', () => {
  test.each([
    [{ commonName: 'cozystack-assets-reader', organization: undefined }, 2048],
    [{ commonName: 'lecteur-é', organization: 'readers' }, 3072],
    [{ commonName: 'r', organization: undefined }, 4096],
  ])('GIVEN %j and %i bits WHEN the issuer encodes ten requests with fresh keys THEN the policy admits every one', (subject, keyBits) => {
    const shape = requestShape(subject, keyBits);
    for (let i = 0; i < 10; i++) expect(admits(shape, canonicalPem(subject, keyBits))).toEqual({ subject: true, encoding: true });
  });

  test('GIVEN any CN the config accepts and any key size WHEN the issuer encodes its request THEN the policy admits it', async () => {
    const keys = new Map(KEY_BITS.map((bits) => [bits, rsaKeyPair(bits)]));
    const commonName = fc.string({ minLength: 1, maxLength: COMMON_NAME.maxLength, unit: 'grapheme' })
      .filter((value) => textProblem(COMMON_NAME, value) === undefined);
    fc.assert(fc.property(commonName, fc.constantFrom(...KEY_BITS), (cn, keyBits) => {
      const subject = { commonName: cn, organization: undefined };
      expect(admits(requestShape(subject, keyBits), encodeCsr(subject, keys.get(keyBits)!, keyBits))).toEqual({ subject: true, encoding: true });
    }), { numRuns: 200 });
    // The longest CNs in bytes: 64 characters of four UTF-8 bytes each, past the one-byte DER length.
    const widest = { commonName: '𝔯'.repeat(64), organization: undefined };
    expect(await parseCsr(encodeCsr(widest, keys.get(2048)!, 2048))).toMatchObject({ commonNames: [widest.commonName], signatureValid: true });
  });

  test('GIVEN the subject WHEN the prefix is derived THEN it covers the PEM label, the subject and the key algorithm and size', () => {
    const shape = requestShape({ commonName: 'cozystack-assets-reader', organization: undefined }, 2048);
    const fixed = Buffer.from(shape.prefix, 'base64').toString('latin1');
    expect(fixed.startsWith('-----BEGIN CERTIFICATE REQUEST-----\n')).toBe(true);
    const base64 = fixed.slice(36).replaceAll('\n', '');
    const der = Buffer.from(base64.slice(0, base64.length - (base64.length % 4)), 'base64');
    expect(der.includes(Buffer.from('cozystack-assets-reader'))).toBe(true);
    expect(der.includes(Buffer.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]))).toBe(true); // rsaEncryption
    // RSAPublicKey of 266 bytes, the start of its modulus INTEGER: 2048 bits and exponent 65537.
    expect(der.includes(Buffer.from([0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01]))).toBe(true);
    expect(shape.pattern).not.toContain('\\'); // it goes into a CEL string literal as is
  });

  describe('GIVEN the forgeries of issue 12', () => {
    const issuer = { commonName: 'cozystack-assets-reader', keyBits: 2048, signerName: 'kubernetes.io/kube-apiserver-client', maxExpirationSeconds: 31_536_000 };
    const shape = requestShape({ commonName: issuer.commonName, organization: undefined }, issuer.keyBits);
    const requestForgeries = forgeries(issuer).filter((f) => f.refusedFor === refusal.subject || f.refusedFor === refusal.encoding);

    test.each(requestForgeries.map((f) => [f.what, f] as const))('WHEN %s is judged THEN the request rules refuse it, for the expected reason', (_, forgery) => {
      const verdict = admits(shape, forgery.spec.pem);
      expect(verdict.encoding).toBe(false);
      expect(verdict.subject).toBe(forgery.refusedFor !== refusal.subject);
    });
  });
});
