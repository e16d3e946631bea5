import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import { verifyCsrForApproval, type ExpectedCsr } from '../../cert-issuer/src/approval.ts';
import type { KeyPair } from '../../cert-issuer/src/certificate.ts';
import { encodeCsr } from '../../src/contract/csr-encoding.ts';
import { buildCsrObject } from '../../cert-issuer/src/csr.ts';
import { CSR_USAGES } from '../../src/contract/issuer-api.ts';
import { rsaKey } from './pki.ts';

const key: KeyPair = rsaKey();
const username = 'system:serviceaccount:cozy-system:cert-issuer';
const expected: ExpectedCsr = {
  uid: 'uid-1',
  commonName: 'reader',
  organization: undefined,
  usages: [...CSR_USAGES],
  username,
  signerName: 'kubernetes.io/kube-apiserver-client',
  publicKeyPem: key.publicKeyPem,
};

/** The CSR as the API returns it: our object plus uid and the requester the API recorded. */
async function storedCsr(subject = { commonName: 'reader', organization: undefined as string | undefined }, signingKey = key): Promise<V1CertificateSigningRequest> {
  const csr = buildCsrObject({
    name: 'assets-tls-0a1b2c3d',
    secretName: 'assets-tls',
    requestPem: encodeCsr(subject, signingKey, 2048),
    signerName: 'kubernetes.io/kube-apiserver-client',
    expirationSeconds: 3600,
  });
  return { ...csr, metadata: { ...csr.metadata, uid: 'uid-1' }, spec: { ...csr.spec, username } };
}

describe('verifyCsrForApproval', () => {
  let base: V1CertificateSigningRequest;
  beforeAll(async () => {
    base = await storedCsr();
  });

  test('GIVEN exactly the CSR we created WHEN verified THEN there is nothing against approving it', async () => {
    expect(await verifyCsrForApproval(base, expected)).toEqual([]);
  });

  test('GIVEN the allowed organization WHEN verified THEN it passes', async () => {
    const csr = await storedCsr({ commonName: 'reader', organization: 'readers' });
    expect(await verifyCsrForApproval(csr, { ...expected, organization: 'readers' })).toEqual([]);
  });

  test('GIVEN a CN outside PrintableString WHEN the CSR the issuer encoded is verified THEN it passes', async () => {
    const subject = { commonName: 'lecteur_é@example', organization: undefined };
    expect(await verifyCsrForApproval(await storedCsr(subject), { ...expected, commonName: subject.commonName })).toEqual([]);
  });

  // Each case derives its CSR from `base` when it runs, after beforeAll has built it.
  test.each<[string, () => Promise<V1CertificateSigningRequest> | V1CertificateSigningRequest, ExpectedCsr, RegExp]>([
    ['another CN', () => storedCsr({ commonName: 'admin', organization: undefined }), expected, /CN is \[admin\], want exactly "reader"/],
    ['an organization when none is allowed', () => storedCsr({ commonName: 'reader', organization: 'system:masters' }), expected, /O is \[system:masters\], want \[\]/],
    ['another organization than the allowed one', () => storedCsr({ commonName: 'reader', organization: 'admins' }), { ...expected, organization: 'readers' }, /O is \[admins\], want \[readers\]/],
    ['an extra usage', () => ({ ...base, spec: { ...base.spec, usages: [...CSR_USAGES, 'server auth'] } }), expected, /usages are/],
    ['a missing usage', () => ({ ...base, spec: { ...base.spec, usages: ['client auth'] } }), expected, /usages are \[client auth\]/],
    ['another requester', () => ({ ...base, spec: { ...base.spec, username: 'system:serviceaccount:default:intruder' } }), expected, /requested by "system:serviceaccount:default:intruder"/],
    ['another uid (a CSR recreated under our name)', () => ({ ...base, metadata: { ...base.metadata, uid: 'uid-2' } }), expected, /uid is "uid-2", not uid-1/],
    ['another signer', () => ({ ...base, spec: { ...base.spec, signerName: 'kubernetes.io/kubelet-serving' } }), expected, /signerName is "kubernetes.io\/kubelet-serving"/],
    ['a key other than ours', () => storedCsr(undefined, rsaKey()), expected, /public key other than the one this run generated/],
    ['a request that is not a CSR', () => ({ ...base, spec: { ...base.spec, request: Buffer.from('junk').toString('base64') } }), expected, /not a parseable RSA PKCS#10 request/],
  ])('GIVEN %s WHEN verified THEN approval is refused with a reason', async (_case, makeCsr, want, reason) => {
    const violations = await verifyCsrForApproval(await makeCsr(), want);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(reason);
  });

  test('GIVEN a request whose subject was altered after signing WHEN verified THEN its broken signature is refused', async () => {
    const pem = Buffer.from(base.spec.request, 'base64').toString('utf8');
    const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');
    const at = der.indexOf('reader');
    der.write('readex', at);
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE REQUEST-----\n`;
    const csr = { ...base, spec: { ...base.spec, request: Buffer.from(tampered).toString('base64') } };
    expect(await verifyCsrForApproval(csr, { ...expected, commonName: 'readex' })).toEqual(['the request signature does not verify']);
  });
});
