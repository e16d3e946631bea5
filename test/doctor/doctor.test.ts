import { loadClusterConfig } from '../../src/config/cluster-config.ts';
import { expectedAccess } from '../../src/doctor/access.ts';
import { probeVerdict, secretVerdict } from '../../src/doctor/verdicts.ts';
import { clientCert, makeCa, rsaKey } from '../cert-issuer/pki.ts';

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

  describe('GIVEN the answer to the dry-run CSR for a foreign subject, created as the issuer', () => {
    const policy = 'cozy-system.cert-issuer.flux-assets-bootstrap.io';
    const issuer = 'system:serviceaccount:cozy-system:cert-issuer';
    const judge = (status: number, message: string) => probeVerdict({ status, message }, policy, issuer, 're-apply dist/dev');

    test('WHEN the policy refused it THEN the check passes with its message', () => {
      const message = `certificatesigningrequests.certificates.k8s.io "x" is forbidden: ValidatingAdmissionPolicy '${policy}' with binding '${policy}' denied request: CSR refused`;
      expect(judge(422, message)).toMatchObject({ ok: true, detail: message });
    });

    test.each([
      ['it was admitted', 201, '', /^admitted: a stolen issuer token can have any identity signed; re-apply dist\/dev$/],
      ['another policy refused it', 422, "ValidatingAdmissionPolicy 'other' denied request", /^refused by something other than the policy \(HTTP 422/],
      ['the caller may not impersonate', 403, 'users "x" is forbidden: User "me" cannot impersonate resource "users"', /^cannot tell: your user may not impersonate system:serviceaccount:cozy-system:cert-issuer/],
    ])('WHEN %s THEN the check fails and says why', (_, status, message, detail) => {
      const verdict = judge(status, message);
      expect(verdict.ok).toBe(false);
      expect(verdict.detail).toMatch(detail);
    });
  });
});
