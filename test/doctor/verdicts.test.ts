import { ApiEndpoint } from '../../src/contract/api-endpoint.ts';
import type { Access } from '../../src/doctor/access.ts';
import { accessVerdict, indexVerdict, policyVerdict, probeVerdict, secretVerdict, tlsVerdict } from '../../src/doctor/verdicts.ts';
import { clientCert, makeCa, rsaKey } from '../cert-issuer/pki.ts';

describe('GIVEN the Secret in one namespace', () => {
  const ca = makeCa();
  const key = rsaKey();
  const notBefore = new Date('2026-01-01T00:00:00Z');
  const notAfter = new Date('2027-01-01T00:00:00Z');
  const files = { tlsCrt: clientCert(ca, key, { commonName: 'cozystack-assets-reader', notBefore, notAfter }), tlsKey: key.privateKeyPem, caCrt: ca.certPem };
  const expected = { commonName: 'cozystack-assets-reader', organization: undefined, signerCaPem: ca.certPem, caCrt: ca.certPem };

  test('WHEN it is valid THEN it passes and shows notAfter and the renewal time', () => {
    const verdict = secretVerdict('cozy-public', 'cozystack-assets-tls', files, expected, new Date('2026-02-01T00:00:00Z'));
    expect(verdict).toMatchObject({ check: 'Secret cozy-public/cozystack-assets-tls', ok: true });
    expect(verdict.detail).toMatch(/notAfter 2027-01-01T00:00:00.000Z; renews after 2026-(09|10|11|12)-/);
  });

  test.each([
    ['missing', undefined, new Date('2026-02-01T00:00:00Z'), /missing or incomplete/],
    ['expired', files, new Date('2027-02-01T00:00:00Z'), /expired at 2027-01-01/],
    ['for another CN', { ...files, tlsCrt: clientCert(ca, key, { commonName: 'someone-else', notBefore, notAfter }) }, new Date('2026-02-01T00:00:00Z'), /CN is "someone-else"/],
  ])('WHEN it is %s THEN it fails and says how to re-run the issuer from its renewal CronJob', (_, stored, now, reason) => {
    const verdict = secretVerdict('cozy-public', 'cozystack-assets-tls', stored, expected, now);
    expect(verdict.ok).toBe(false);
    expect(verdict.detail).toMatch(reason);
    expect(verdict.detail).toContain('create job --from=cronjob/cert-issuer-renewal');
  });
});

describe("GIVEN a handshake with the endpoint, trusting only a Secret's ca.crt", () => {
  const endpoint = ApiEndpoint.parse('localhost:7445');

  test('WHEN any answer came THEN the check passes', () => {
    expect(tlsVerdict('cozy-public/tls', endpoint, { status: 401, body: '' }, 'clusters/dev.yaml'))
      .toEqual({ check: 'ca.crt of cozy-public/tls verifies localhost:7445', ok: true, detail: 'TLS handshake verified' });
  });

  test('WHEN none came THEN it fails with the reason and points to apiCAFile in the config', () => {
    expect(tlsVerdict('cozy-public/tls', endpoint, { error: 'self-signed certificate in certificate chain' }, 'clusters/dev.yaml')).toMatchObject({
      ok: false,
      detail: "self-signed certificate in certificate chain; set apiCAFile in clusters/dev.yaml to the CA that signs localhost:7445's serving certificate",
    });
  });
});

describe('GIVEN the answer of a SubjectAccessReview', () => {
  const mayProxy: Access = { who: 'reader', user: 'flux', allowed: true, attributes: { verb: 'get', resource: 'pods', subresource: 'proxy', name: 'assets-0', namespace: 'cozy-system' } };
  const mayNotApprove: Access = { who: 'issuer', user: 'system:serviceaccount:ns:cert-issuer', allowed: false, attributes: { verb: 'approve', group: 'certificates.k8s.io', resource: 'signers' } };

  test.each([
    ['the expected allow', mayProxy, true, { check: 'RBAC: reader may get pods/proxy assets-0 in cozy-system', ok: true, detail: 'as expected' }],
    ['the expected denial', mayNotApprove, false, { check: 'RBAC: issuer may not approve certificates.k8s.io/signers', ok: true, detail: 'as expected' }],
    ['a denial where access must hold', mayProxy, false, { ok: false, detail: 'flux is denied; re-apply' }],
    ['an allow where it must not', mayNotApprove, true, { ok: false, detail: 'system:serviceaccount:ns:cert-issuer is allowed; re-apply' }],
  ])('WHEN it is %s THEN the verdict names the access and the fix', (_, access, allowed, verdict) => {
    expect(accessVerdict(access, allowed, 're-apply')).toMatchObject(verdict);
  });
});

describe("GIVEN one of the issuer's admission policies and its binding as found", () => {
  const name = 'secrets.cozy-system.cert-issuer.flux-assets-bootstrap.io';
  const policy = { metadata: { name } };
  const binding = (validationActions: string[]) => ({ metadata: { name }, spec: { policyName: name, validationActions } });

  test.each([
    ['both, the binding denying', policy, binding(['Deny']), true, 'policy and binding (Deny) present'],
    ['no policy', undefined, binding(['Deny']), false, 'missing; fix'],
    ['no binding', policy, undefined, false, 'its binding is missing or does not deny; fix'],
    ['a binding that only warns', policy, binding(['Warn']), false, 'its binding is missing or does not deny; fix'],
  ])('WHEN there is %s THEN the verdict says so', (_, found, bound, ok, detail) => {
    expect(policyVerdict(name, found, bound, 'fix')).toEqual({ check: `admission policy ${name}`, ok, detail });
  });
});

describe("GIVEN the answer to a thief's write, made as the issuer in a dry run", () => {
  const policy = 'secrets.cozy-system.cert-issuer.flux-assets-bootstrap.io';
  const issuer = 'system:serviceaccount:cozy-system:cert-issuer';
  const attempt = { what: 'a service-account-token Secret in cozy-public', admitted: 'a stolen issuer token can mint a token of any ServiceAccount in cozy-public' };
  const judge = (status: number, message: string) => probeVerdict(attempt, { status, message }, policy, issuer, 're-apply dist/dev');

  test('WHEN it is judged THEN the check names the attempt and the issuer', () => {
    expect(judge(422, '').check).toBe(`admission policy refuses a service-account-token Secret in cozy-public by ${issuer} (server-side dry run)`);
  });

  test('WHEN the policy refused it THEN the check passes with its message', () => {
    const message = `secrets "x" is forbidden: ValidatingAdmissionPolicy '${policy}' with binding '${policy}' denied request: Secret refused`;
    expect(judge(422, message)).toMatchObject({ ok: true, detail: message });
  });

  test.each([
    ['it was created', 201, '', /^admitted: a stolen issuer token can mint a token of any ServiceAccount in cozy-public; re-apply dist\/dev$/],
    ['a patch or delete went through', 200, '', /^admitted: a stolen issuer token can mint/],
    ['another policy refused it', 422, "ValidatingAdmissionPolicy 'other' denied request", /^refused by something other than the policy \(HTTP 422/],
    ['the caller may not impersonate', 403, 'users "x" is forbidden: User "me" cannot impersonate resource "users"', /^cannot tell: your user may not impersonate system:serviceaccount:cozy-system:cert-issuer/],
    ['no answer came', 0, 'connect ECONNREFUSED 127.0.0.1:6443', /^refused by something other than the policy \(HTTP 0: connect ECONNREFUSED/],
  ])('WHEN %s THEN the check fails and says why', (_, status, message, detail) => {
    const verdict = judge(status, message);
    expect(verdict.ok).toBe(false);
    expect(verdict.detail).toMatch(detail);
  });
});

describe('GIVEN a repository index fetched through the pod proxy with a Secret', () => {
  const url = 'https://localhost:7445/api/v1/namespaces/cozy-system/pods/assets-0/proxy/repos/apps/index.yaml';
  const judge = (fetched: Parameters<typeof indexVerdict>[2]) => indexVerdict(url, 'cozy-public/tls', fetched);

  test('WHEN an index came back THEN the check passes with its size', () => {
    expect(judge({ status: 200, body: 'apiVersion: v1\nentries: {}\n' })).toEqual({ check: `mTLS GET ${url} with cozy-public/tls`, ok: true, detail: '200, 27 bytes of index' });
  });

  test.each([
    ['there was no Secret', undefined, /^skipped: no Secret/],
    ['no answer came', { error: 'connect ECONNREFUSED ::1:7445' }, /^connect ECONNREFUSED ::1:7445; is the endpoint reachable from here\?/],
    ['the certificate was not accepted', { status: 401, body: '' }, /^401: .*; re-run the issuer$/],
    ["the certificate's user may not proxy", { status: 403, body: '' }, /^403: .*re-apply the reader Role and RoleBinding$/],
    ['something other than an index came', { status: 200, body: '<html>\nnot here</html>' }, /^200: <html> not here<\/html>; is the assets pod running/],
    ['the pod is not there', { status: 503, body: 'no endpoints' }, /^503: no endpoints; is the assets pod running/],
  ])('WHEN %s THEN the check fails and says what to do', (_, fetched, detail) => {
    const verdict = judge(fetched);
    expect(verdict.ok).toBe(false);
    expect(verdict.detail).toMatch(detail);
  });
});
