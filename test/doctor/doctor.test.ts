import { loadClusterConfig } from '../../src/cluster-config.ts';
import { expectedAccess, secretVerdict } from '../../src/doctor.ts';
import { clientCert, makeCa, rsaKey } from '../jobs/pki.ts';

describe('doctor', () => {
  const ca = makeCa();
  const key = rsaKey();
  const notBefore = new Date('2026-01-01T00:00:00Z');
  const notAfter = new Date('2027-01-01T00:00:00Z');
  const files = { tlsCrt: clientCert(ca, key, { commonName: 'cozystack-assets-reader', notBefore, notAfter }), tlsKey: key.privateKeyPem, caCrt: ca.certPem };
  const expected = { commonName: 'cozystack-assets-reader', organization: undefined, signerCaPem: ca.certPem, caCrt: ca.certPem };

  test('GIVEN a valid Secret WHEN judged THEN it passes and shows notAfter and the renewal time', () => {
    const verdict = secretVerdict('cozy-public', 'cozystack-assets-tls', files, expected, new Date('2026-02-01T00:00:00Z'));
    expect(verdict).toMatchObject({ check: 'Secret cozy-public/cozystack-assets-tls', ok: true });
    expect(verdict.detail).toMatch(/notAfter 2027-01-01T00:00:00.000Z; renews after 2026-(09|10|11|12)-/);
  });

  test.each([
    ['missing', undefined, new Date('2026-02-01T00:00:00Z'), /missing or incomplete/],
    ['expired', files, new Date('2027-02-01T00:00:00Z'), /expired at 2027-01-01/],
    ['for another CN', { ...files, tlsCrt: clientCert(ca, key, { commonName: 'someone-else', notBefore, notAfter }) }, new Date('2026-02-01T00:00:00Z'), /CN is "someone-else"/],
  ])('GIVEN a Secret that is %s WHEN judged THEN it fails and says to re-run the issuer', (_, stored, now, reason) => {
    const verdict = secretVerdict('cozy-public', 'cozystack-assets-tls', stored, expected, now);
    expect(verdict.ok).toBe(false);
    expect(verdict.detail).toMatch(reason);
    expect(verdict.detail).toContain('create job --from=cronjob/cert-issuer-renewal');
  });

  test('GIVEN the dev cluster WHEN listing the access to check THEN the reader gets exactly one proxy and the issuer one Secret per namespace', () => {
    const access = expectedAccess(loadClusterConfig('clusters/dev.yaml'));
    const allowed = access.filter((a) => a.allowed).map((a) => `${a.user} ${a.attributes.verb} ${a.attributes.resource}/${a.attributes.subresource ?? ''} ${a.attributes.name ?? ''} ${a.attributes.namespace ?? ''}`.trim());
    expect(allowed).toEqual([
      'cozystack-assets-reader get pods/proxy cozystack-assets-0 cozy-system',
      'system:serviceaccount:cozy-system:cert-issuer create certificatesigningrequests/',
      'system:serviceaccount:cozy-system:cert-issuer update certificatesigningrequests/approval',
      'system:serviceaccount:cozy-system:cert-issuer approve signers/ kubernetes.io/kube-apiserver-client',
      'system:serviceaccount:cozy-system:cert-issuer update secrets/ cozystack-assets-tls cozy-system',
      'system:serviceaccount:cozy-system:cert-issuer update secrets/ cozystack-assets-tls cozy-public',
    ]);
    expect(access.filter((a) => !a.allowed)).toHaveLength(4);
  });
});
