// status's judgement of what it reads, without a cluster: each state of the certificate, the
// issuer's last run and the Flux objects, and the cluster's level as the worst of them.
import type { V1Job } from '@kubernetes/client-node';
import { renewalDeadlineOf } from '../../cert-issuer/src/rotation.ts';
import { inspectCertificate } from '../../cert-issuer/src/certificate.ts';
import { assess, certificateItem, fluxItem, lastRunItem, type Snapshot } from '../../src/doctor/status.ts';
import { clientCert, makeCa, rsaKey } from '../cert-issuer/pki.ts';

const ca = makeCa();
const key = rsaKey();
const notBefore = new Date('2026-01-01T00:00:00Z');
const notAfter = new Date('2027-01-01T00:00:00Z');
const files = { tlsCrt: clientCert(ca, key, { commonName: 'reader', notBefore, notAfter }), tlsKey: key.privateKeyPem, caCrt: ca.certPem };
const expected = { commonName: 'reader', organization: undefined, signerCaPem: ca.certPem };
const renewAfter = renewalDeadlineOf(inspectCertificate(files.tlsCrt));
const before = new Date('2026-02-01T00:00:00Z');

const job = (name: string, created: string, condition?: { type: string; message?: string; at: string }): V1Job => ({
  metadata: { name, creationTimestamp: new Date(created) },
  status: condition ? { conditions: [{ type: condition.type, status: 'True', message: condition.message, lastTransitionTime: new Date(condition.at) }] } : {},
});

describe('GIVEN the certificate in one namespace', () => {
  test('WHEN it is good THEN it is ok, with its validity and renewal deadline as RFC 3339', () => {
    expect(certificateItem('certificate ns/tls', files, expected, before)).toEqual({
      what: 'certificate ns/tls', level: 'ok', notAfter: '2027-01-01T00:00:00.000Z', renewAfter: renewAfter.toISOString(),
      detail: `valid until 2027-01-01T00:00:00.000Z, renews after ${renewAfter.toISOString()}`,
    });
  });

  test('WHEN its renewal deadline has passed and it is still valid THEN it is a warning that names the deadline', () => {
    const item = certificateItem('certificate ns/tls', files, expected, new Date(renewAfter.getTime() + 60_000));
    expect(item).toMatchObject({ level: 'warning', notAfter: '2027-01-01T00:00:00.000Z', renewAfter: renewAfter.toISOString() });
    expect(item.detail).toMatch(/^renewal overdue since /);
  });

  test.each([
    ['missing', undefined, before, /^missing or incomplete; re-run the issuer/],
    ['expired', files, new Date('2027-01-02T00:00:00Z'), /^expired at 2027-01-01/],
    ['for another CN, even before its deadline', { ...files, tlsCrt: clientCert(ca, key, { commonName: 'someone-else', notBefore, notAfter }) }, before, /CN is "someone-else"/],
    ['for another CN, past its deadline', { ...files, tlsCrt: clientCert(ca, key, { commonName: 'someone-else', notBefore, notAfter }) }, new Date('2026-12-31T00:00:00Z'), /CN is "someone-else"/],
    ['not a certificate', { ...files, tlsCrt: 'garbage' }, before, /^tls.crt is not a PEM certificate/],
  ])('WHEN it is %s THEN it is critical and says why', (_, stored, now, reason) => {
    const item = certificateItem('certificate ns/tls', stored, expected, now);
    expect(item.level).toBe('critical');
    expect(item.detail).toMatch(reason);
    expect(item.detail).toContain('create job --from=cronjob/cert-issuer-renewal');
  });
});

describe("GIVEN the issuer's Jobs", () => {
  test('WHEN there is none THEN the last run is critical', () => {
    expect(lastRunItem([])).toMatchObject({ what: 'last issuer run', level: 'critical' });
  });

  test('WHEN the newest succeeded, whatever an older one did THEN it is ok and says when', () => {
    const jobs = [job('cert-issuer-renewal-1', '2026-02-01T00:00:00Z', { type: 'Complete', at: '2026-02-01T00:00:05Z' }), job('cert-issuer-abc', '2026-01-01T00:00:00Z', { type: 'Failed', at: '2026-01-01T00:05:00Z' })];
    expect(lastRunItem(jobs)).toEqual({ what: 'last issuer run cert-issuer-renewal-1', level: 'ok', detail: 'succeeded at 2026-02-01T00:00:05.000Z' });
  });

  test('WHEN the newest failed THEN it is critical with the Job\'s reason', () => {
    const jobs = [job('cert-issuer-abc', '2026-01-01T00:00:00Z', { type: 'Complete', at: '2026-01-01T00:00:05Z' }), job('cert-issuer-renewal-2', '2026-02-01T00:00:00Z', { type: 'Failed', message: 'Container cert-issuer for pod x failed with exit code 4', at: '2026-02-01T00:01:00Z' })];
    expect(lastRunItem(jobs)).toMatchObject({ what: 'last issuer run cert-issuer-renewal-2', level: 'critical', detail: expect.stringContaining('exit code 4') });
  });

  test('WHEN the newest is still running THEN it is ok and says since when', () => {
    expect(lastRunItem([job('cert-issuer-abc', '2026-01-01T00:00:00Z')])).toMatchObject({ level: 'ok', detail: 'running since 2026-01-01T00:00:00.000Z' });
  });
});

describe('GIVEN a Flux object', () => {
  test.each([
    ['Ready with an applied revision', { ready: { status: 'True' }, revision: 'main@sha1:abc' }, 'ok', 'Ready; applied main@sha1:abc'],
    ['not Ready', { ready: { status: 'False', message: 'failed to fetch index' } }, 'warning', 'not Ready (failed to fetch index)'],
    ['without a Ready condition yet', { ready: undefined }, 'warning', 'not Ready (no Ready condition yet)'],
    ['not found', undefined, 'critical', "not found: re-apply the cluster's dist/ folder"],
  ] as const)('WHEN it is %s THEN it is %s', (_, object, level, detail) => {
    expect(fluxItem('HelmRepository ns/repo', object)).toEqual({ what: 'HelmRepository ns/repo', level, detail });
  });
});

describe('GIVEN a whole cluster', () => {
  const snapshot: Snapshot = {
    secrets: new Map([['cozy-system', files], ['cozy-public', files]]),
    secretName: 'tls',
    expected,
    jobs: [job('cert-issuer-abc', '2026-01-01T00:00:00Z', { type: 'Complete', at: '2026-01-01T00:00:05Z' })],
    helmRepositories: new Map([['cozy-system/system', { ready: { status: 'True' } }]]),
    sync: { name: 'flux-system/flux-assets-bootstrap', object: { ready: { status: 'True' }, revision: 'main@sha1:abc' } },
  };

  test('WHEN every item is ok THEN the cluster is ok, its items in the order certificates, last run, sources, sync', () => {
    const status = assess('dev', 'kind-dev', snapshot, before);
    expect(status.level).toBe('ok');
    expect(status.items.map((item) => item.what)).toEqual([
      'certificate cozy-system/tls', 'certificate cozy-public/tls', 'last issuer run cert-issuer-abc', 'HelmRepository cozy-system/system', 'Kustomization flux-system/flux-assets-bootstrap',
    ]);
  });

  test('WHEN one item is a warning and another critical THEN the cluster is critical', () => {
    const status = assess('dev', undefined, { ...snapshot, secrets: new Map([['cozy-system', undefined]]), helmRepositories: new Map([['cozy-system/system', { ready: { status: 'False' } }]]) }, before);
    expect(status.items.map((item) => item.level)).toEqual(['critical', 'ok', 'warning', 'ok']);
    expect(status.level).toBe('critical');
  });

  test('WHEN only a Flux object is not Ready THEN the cluster is a warning', () => {
    expect(assess('dev', undefined, { ...snapshot, sync: { name: 'flux-system/flux-assets-bootstrap', object: { ready: { status: 'False' } } } }, before).level).toBe('warning');
  });
});
