import { decide, nextRotationDeadline, type Expected, type TlsFiles } from '../../cert-issuer/src/rotation.ts';
import { clientCert, makeCa, rsaKey } from './pki.ts';

const day = 86_400_000;
const notBefore = new Date('2025-01-01T00:00:00Z');
const notAfter = new Date(notBefore.getTime() + 100 * day);
const at = (days: number) => new Date(notBefore.getTime() + days * day);

describe('nextRotationDeadline', () => {
  test.each([
    ['the lowest jitter', 0, 70],
    ['the middle jitter', 0.5, 80],
    ['the highest jitter', 0.999999, 90],
  ])('GIVEN %s WHEN computed THEN the deadline is at %s%% of the lifetime', (_case, random, percent) => {
    expect(nextRotationDeadline(notBefore, notAfter, () => random).getTime()).toBeCloseTo(at(percent).getTime(), -4);
  });
});

describe('decide', () => {
  const ca = makeCa();
  const key = rsaKey();
  const expected: Expected = { commonName: 'reader', organization: undefined, signerCaPem: ca.certPem, caCrt: ca.certPem };
  const good: TlsFiles = { tlsCrt: clientCert(ca, key, { notBefore, notAfter }), tlsKey: key.privateKeyPem, caCrt: ca.certPem };
  const everywhere = (files: TlsFiles | undefined) => new Map([['a', files], ['b', files]]);

  test('GIVEN no Secret anywhere WHEN deciding THEN a certificate is issued', () => {
    expect(decide(everywhere(undefined), expected, at(1))).toMatchObject({ action: 'issue', reason: 'a: no Secret; b: no Secret' });
  });

  test('GIVEN a certificate just issued WHEN deciding THEN nothing is done', () => {
    expect(decide(everywhere(good), expected, at(0))).toMatchObject({ action: 'noop' });
  });

  test('GIVEN a certificate halfway through its life WHEN deciding THEN nothing is done', () => {
    expect(decide(everywhere(good), expected, at(50))).toMatchObject({ action: 'noop' });
  });

  test('GIVEN a certificate past 90% of its life WHEN deciding THEN a new one is issued for renewal', () => {
    expect(decide(everywhere(good), expected, at(91))).toMatchObject({ action: 'issue', reason: expect.stringMatching(/due for renewal since/) });
  });

  test('GIVEN an expired certificate WHEN deciding THEN a new one is issued', () => {
    expect(decide(everywhere(good), expected, at(101))).toMatchObject({ action: 'issue', reason: expect.stringMatching(/expired at/) });
  });

  test('GIVEN the same certificate WHEN deciding twice THEN the jittered deadline is the same (no early renewal by re-rolling)', () => {
    const first = decide(everywhere(good), expected, at(1));
    expect(decide(everywhere(good), expected, at(2)).reason).toBe(first.reason);
  });

  test.each([
    ['a key that does not match', { ...good, tlsKey: rsaKey().privateKeyPem }, /tls.key does not match/],
    ['the wrong CN', { ...good, tlsCrt: clientCert(ca, key, { notBefore, notAfter, commonName: 'admin' }) }, /CN is "admin"/],
    ['an extra O', { ...good, tlsCrt: clientCert(ca, key, { notBefore, notAfter, organizations: ['system:nodes'] }) }, /O is \[system:nodes\]/],
    ['no clientAuth EKU', { ...good, tlsCrt: clientCert(ca, key, { notBefore, notAfter, clientAuth: false }) }, /lacks clientAuth/],
    ['another CA', { ...good, tlsCrt: clientCert(makeCa('other'), key, { notBefore, notAfter }) }, /does not chain to the signer CA/],
    ['garbage', { ...good, tlsCrt: 'garbage' }, /not a PEM certificate/],
  ])('GIVEN %s WHEN deciding THEN a new certificate is issued', (_case, files, reason) => {
    expect(decide(everywhere(files), expected, at(1))).toMatchObject({ action: 'issue', reason: expect.stringMatching(reason) });
  });

  test('GIVEN a good copy in one namespace and none in the other WHEN deciding THEN the good one is copied, no new certificate', () => {
    const decision = decide(new Map([['a', good], ['b', undefined]]), expected, at(1));
    expect(decision).toMatchObject({ action: 'repair', namespaces: ['b'], source: good });
  });

  test('GIVEN good copies with a stale ca.crt WHEN deciding THEN both are repaired to carry the current ca.crt', () => {
    const decision = decide(everywhere({ ...good, caCrt: 'old ca' }), expected, at(1));
    expect(decision).toMatchObject({ action: 'repair', namespaces: ['a', 'b'], source: good });
  });
});
