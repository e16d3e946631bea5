import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import { leftoverCsrs, outcomeOf, withApproval } from '../../cert-issuer/src/csr.ts';
import { isTransient } from '../../cert-issuer/src/retry.ts';
import { buildTlsSecret, filesOf, originOf, unwritableReason } from '../../cert-issuer/src/secret.ts';

const files = { tlsCrt: 'CRT', tlsKey: 'KEY', caCrt: 'CA' };
const origin = { issuedBy: 'cert-issuer-1a2b3c4d', csr: 'assets-tls-0f0f0f0f' };
const spec = { name: 'assets-tls', namespace: 'cozy-public', files, notAfter: new Date('2026-01-01T00:00:00.123Z'), renewAfter: new Date('2025-10-01T00:00:00Z'), origin };

describe('buildTlsSecret', () => {
  test('GIVEN no existing Secret WHEN built THEN it is a labelled, annotated kubernetes.io/tls Secret to create', () => {
    const secret = buildTlsSecret(spec);
    expect(secret).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'assets-tls',
        namespace: 'cozy-public',
        labels: { 'app.kubernetes.io/managed-by': 'flux-assets-bootstrap', 'app.kubernetes.io/component': 'cert-issuer' },
        annotations: {
          'flux-assets-bootstrap.io/not-after': '2026-01-01T00:00:00Z',
          'flux-assets-bootstrap.io/renew-after': '2025-10-01T00:00:00Z',
          'flux-assets-bootstrap.io/issued-by': 'cert-issuer-1a2b3c4d',
          'flux-assets-bootstrap.io/csr': 'assets-tls-0f0f0f0f',
        },
      },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': 'Q1JU', 'tls.key': 'S0VZ', 'ca.crt': 'Q0E=' },
    });
    expect(filesOf(secret)).toEqual(files);
  });

  test('GIVEN an existing Secret WHEN built THEN it keeps its resourceVersion and foreign labels and annotations, which the policy requires it to keep', () => {
    const existing = { type: 'kubernetes.io/tls', metadata: { resourceVersion: '42', labels: { team: 'x' }, annotations: { note: 'y' } } };
    const secret = buildTlsSecret(spec, existing);
    expect(secret.metadata).toMatchObject({ resourceVersion: '42', labels: { team: 'x' }, annotations: { note: 'y' } });
    expect(secret.type).toBe('kubernetes.io/tls');
  });

  test('GIVEN a Secret of an earlier certificate WHEN one of unknown origin replaces it THEN the old origin goes, not carried over', () => {
    const existing = { type: 'kubernetes.io/tls', metadata: { annotations: { 'flux-assets-bootstrap.io/issued-by': 'cert-issuer-old', 'flux-assets-bootstrap.io/csr': 'assets-tls-old', note: 'y' } } };
    const secret = buildTlsSecret({ ...spec, origin: { issuedBy: undefined, csr: undefined } }, existing);
    expect(Object.keys(secret.metadata!.annotations!).sort()).toEqual(['flux-assets-bootstrap.io/not-after', 'flux-assets-bootstrap.io/renew-after', 'note']);
    expect(originOf(buildTlsSecret(spec, existing))).toEqual(origin);
  });

  test.each([
    ['no Secret', undefined, undefined],
    ['a TLS Secret', { type: 'kubernetes.io/tls', metadata: { namespace: 'ns', name: 'tls' } }, undefined],
    ['an Opaque Secret', { type: 'Opaque', metadata: { namespace: 'ns', name: 'tls' } }, 'Secret ns/tls is of type Opaque, and the issuer writes only kubernetes.io/tls Secrets; a Secret\'s type cannot change: delete it (kubectl -n ns delete secret tls) and run the issuer again'],
  ])('GIVEN %s WHEN the issuer would write it THEN the reason it cannot is %p', (_, existing, reason) => {
    expect(unwritableReason(existing)).toBe(reason);
  });

  test('GIVEN a Secret missing tls.key WHEN read THEN it holds no usable files', () => {
    expect(filesOf({ data: { 'tls.crt': 'Q1JU', 'ca.crt': 'Q0E=' } })).toBeUndefined();
  });
});

describe('CSR status', () => {
  const csr = (status: V1CertificateSigningRequest['status'], name = 'c', created = new Date('2025-01-01T00:00:00Z'), username = 'me'): V1CertificateSigningRequest => ({
    metadata: { name, creationTimestamp: created },
    spec: { request: '', signerName: 's', username },
    status,
  });

  test('GIVEN the signer filled in the certificate WHEN read THEN it is issued', () => {
    expect(outcomeOf(csr({ certificate: Buffer.from('PEM').toString('base64') }))).toEqual({ state: 'issued', certificatePem: 'PEM' });
  });

  test('GIVEN a Denied or Failed condition WHEN read THEN the wait ends with its reason', () => {
    expect(outcomeOf(csr({ conditions: [{ type: 'Denied', status: 'True', reason: 'Policy', message: 'no' }] }))).toEqual({ state: 'denied', reason: 'Policy: no' });
    expect(outcomeOf(csr({ conditions: [{ type: 'Failed', status: 'True', reason: 'SignerError' }] }))).toEqual({ state: 'failed', reason: 'SignerError' });
  });

  test('GIVEN an approval WHEN added THEN the object keeps its conditions and gains Approved, its time already text as JSON.stringify would write it', () => {
    const approved = withApproval(csr(undefined), new Date('2025-01-01T00:00:00Z'));
    expect(approved.status?.conditions).toEqual([
      expect.objectContaining({ type: 'Approved', status: 'True', reason: 'CertIssuerVerified', lastUpdateTime: '2025-01-01T00:00:00.000Z' }),
    ]);
    expect(outcomeOf(approved)).toEqual({ state: 'pending' });
  });

  test('GIVEN CSRs from dead and live runs WHEN picking leftovers THEN only ours that are finished or older than the deadline go', () => {
    const now = new Date('2025-01-01T01:00:00Z');
    const csrs = [
      csr(undefined, 'old-pending'),
      csr({ certificate: 'eA==' }, 'young-issued', new Date('2025-01-01T00:59:00Z')),
      csr(undefined, 'young-pending', new Date('2025-01-01T00:59:00Z')),
      csr(undefined, 'someone-elses', new Date('2024-01-01T00:00:00Z'), 'other'),
      csr(undefined, 'current'),
    ];
    expect(leftoverCsrs(csrs, { username: 'me', current: 'current', now, deadlineSeconds: 300 })).toEqual(['old-pending', 'young-issued']);
  });
});

describe('isTransient', () => {
  test.each([
    [{ code: 503 }, true],
    [{ code: 429 }, true],
    [{ code: 403 }, false],
    [{ code: 409 }, false],
    [Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }), true],
    [Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }), true],
    [new Error('boom'), false],
  ])('GIVEN %p WHEN classified THEN transient is %p', (error, transient) => {
    expect(isTransient(error)).toBe(transient);
  });
});
