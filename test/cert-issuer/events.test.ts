// What a run records as an Event: which result gets which reason, the Event the API takes, and
// that recording is best effort.
import { CsrRefusedError, ExitCode, IssuerError } from '../../cert-issuer/src/errors.ts';
import { eventBody, recordRun, runEvent } from '../../cert-issuer/src/events.ts';
import { ensure } from '../../cert-issuer/src/flow.ts';
import { logged, namespaces, world } from './issuer-world.ts';

const notAfter = new Date('2027-03-01T08:00:00Z');
const renewAfter = new Date('2027-01-01T00:00:00Z');
const dates = { notAfter, renewAfter, namespaces: ['cozy-system', 'cozy-public'] };
const who = { namespace: 'cozy-system', runName: 'cert-issuer-1a2b3c4d', commonName: 'reader' };

describe('GIVEN the result of a run', () => {
  test('WHEN it found every certificate good THEN it records nothing', () => {
    expect(runEvent({ action: 'noop' }, 'reader')).toBeUndefined();
  });

  test.each([
    ['issued', 'Issued', 'Issue', 'issued a certificate for CN=reader, valid until 2027-03-01T08:00:00Z, renews after 2027-01-01T00:00:00Z, in cozy-system, cozy-public'],
    ['renewed', 'Renewed', 'Renew', 'renewed the certificate: CN=reader, valid until 2027-03-01T08:00:00Z, renews after 2027-01-01T00:00:00Z, in cozy-system, cozy-public'],
    ['copied', 'Copied', 'Copy', 'copied the valid certificate: CN=reader, valid until 2027-03-01T08:00:00Z, renews after 2027-01-01T00:00:00Z, in cozy-system, cozy-public'],
  ] as const)('WHEN it %s THEN a Normal Event says so with the CN, notAfter and the renewal deadline', (action, reason, verb, note) => {
    expect(runEvent({ action, ...dates }, 'reader')).toEqual({ type: 'Normal', reason, action: verb, note });
  });

  test.each([
    ['a CSR the API server refused', new CsrRefusedError('the API server refused CSR x: HTTP 422: refused by the cozy-system/cert-issuer issuer policy'), 'Refused', 'exit 4: the API server refused CSR x'],
    ['a CSR an approver denied', new IssuerError(ExitCode.csrDenied, 'CSR x Denied: policy engine says no'), 'Denied', 'exit 4: CSR x Denied'],
    ['a signer that did not sign in time', new IssuerError(ExitCode.signerTimeout, 'CSR x was not signed within 300 s'), 'SignerTimeout', 'exit 5: CSR x was not signed'],
    ['any other failure', new IssuerError(ExitCode.permissionDenied, 'permission denied: get secret'), 'Failed', 'exit 3: permission denied'],
    ['a bug', new TypeError('x is undefined'), 'Failed', 'exit 1: internal error (see the pod log)'],
  ])('WHEN it ended in %s THEN a Warning Event names the exit code and the reason', (_, error, reason, note) => {
    expect(runEvent(error, 'reader')).toMatchObject({ type: 'Warning', reason, action: 'Run', note: expect.stringContaining(note) });
  });
});

describe('GIVEN an Event to write', () => {
  test('WHEN built THEN it is an events.k8s.io/v1 Event about the run\'s Job, from the issuer\'s controller', () => {
    const body = eventBody({ type: 'Normal', reason: 'Issued', action: 'Issue', note: 'issued' }, { namespace: 'cozy-system', name: 'cert-issuer-1a2b3c4d' }, new Date('2026-03-01T08:00:00.123Z'), '0f0f0f0f');
    expect(body).toEqual({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'cert-issuer-1a2b3c4d.0f0f0f0f', namespace: 'cozy-system' },
      eventTime: '2026-03-01T08:00:00.000000Z',
      reportingController: 'flux-assets-bootstrap.io/cert-issuer',
      reportingInstance: 'cert-issuer-1a2b3c4d',
      action: 'Issue',
      reason: 'Issued',
      type: 'Normal',
      note: 'issued',
      regarding: { apiVersion: 'batch/v1', kind: 'Job', namespace: 'cozy-system', name: 'cert-issuer-1a2b3c4d' },
    });
  });

  test('WHEN its note is long or carries key material THEN it is cut to 1 kB, or redacted', () => {
    const run = { namespace: 'ns', name: 'cert-issuer-x' };
    const long = eventBody({ type: 'Warning', reason: 'Failed', action: 'Run', note: 'x '.repeat(1000) }, run, new Date(), 'a');
    expect((long.note as string).length).toBe(1024);
    const leaked = eventBody({ type: 'Warning', reason: 'Failed', action: 'Run', note: 'echoed -----BEGIN PRIVATE KEY----- MII' }, run, new Date(), 'a');
    expect(leaked.note).toBe('[redacted]');
  });
});

describe('GIVEN a run that records its result', () => {
  test('WHEN it knows its Job THEN it creates one Event there', async () => {
    const w = world();
    await recordRun(w.kube, w.run.log, who, { action: 'issued', ...dates }, new Date(), 'abcd');
    expect(w.kube.writes).toEqual(['createEvent cozy-system/cert-issuer-1a2b3c4d.abcd']);
    expect(w.kube.recorded[0]).toMatchObject({ reason: 'Issued', regarding: { name: 'cert-issuer-1a2b3c4d' } });
  });

  test('WHEN it does not know its Job or namespace (run by hand) THEN it records nothing', async () => {
    const w = world();
    await recordRun(w.kube, w.run.log, { ...who, runName: undefined }, { action: 'issued', ...dates }, new Date(), 'abcd');
    await recordRun(w.kube, w.run.log, { ...who, namespace: undefined }, new IssuerError(ExitCode.signerTimeout, 'late'), new Date(), 'abcd');
    expect(w.kube.writes).toEqual([]);
  });

  test('WHEN the API refuses the Event THEN it warns and goes on: the run keeps its outcome', async () => {
    const w = world();
    w.kube.before('createEvent', () => {
      throw new IssuerError(ExitCode.permissionDenied, 'permission denied: create event');
    });
    await expect(recordRun(w.kube, w.run.log, who, { action: 'renewed', ...dates }, new Date(), 'abcd')).resolves.toBeUndefined();
    expect(logged(w, 'event')).toEqual([expect.objectContaining({ level: 'warn', reason: 'Renewed', error: expect.stringContaining('permission denied') })]);
  });
});

describe('GIVEN ensure', () => {
  test('WHEN no namespace holds a certificate THEN it reports issued, with the namespaces it wrote', async () => {
    const w = world();
    expect(await ensure(w.run)).toMatchObject({ action: 'issued', namespaces });
  });

  test('WHEN every namespace holds a good certificate THEN it reports a no-op', async () => {
    const w = world();
    await ensure(w.run);
    expect(await ensure(w.run)).toEqual({ action: 'noop' });
  });
});
