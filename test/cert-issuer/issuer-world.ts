// One issuer run in a test: its config from the CLI's parser, the in-memory API, a fake clock and
// the run's log, for the tests of the whole run (flow.test.ts) and of the CSR protocol alike.
import { parseCommand, type Config } from '../../cert-issuer/src/config.ts';
import type { ExitCode } from '../../cert-issuer/src/errors.ts';
import type { Run } from '../../cert-issuer/src/flow.ts';
import { createLogger } from '../../cert-issuer/src/log.ts';
import { FakeClock } from './fake-clock.ts';
import { FakeKube } from './fake-kube.ts';
import { makeCa } from './pki.ts';

export const start = new Date('2026-03-01T08:00:00Z');
export const username = 'system:serviceaccount:cozy-system:cert-issuer';
export const secretName = 'assets-tls';
export const namespaces = ['cozy-system', 'cozy-public'];
export const helmRepositories = ['cozy-system/system', 'cozy-public/apps'];
const timeoutMs = 300_000;
export const ca = makeCa('cluster-ca');

/** The Job this run belongs to. */
export const runName = 'cert-issuer-1a2b3c4d';

/** Through the CLI's own parser, so the tests follow Config wherever it grows. */
function configOf(): Config {
  const command = parseCommand(
    [
      '--common-name=reader',
      `--secret-name=${secretName}`,
      `--namespaces=${namespaces.join(',')}`,
      '--expiration-seconds=2592000',
      `--timeout-seconds=${timeoutMs / 1000}`,
      `--refresh-helm-repositories=${helmRepositories.join(',')}`,
    ],
    // The run's name comes from env, as the Job's pod sets it from its Job's label.
    { KUBECONFIG: '/dev/null', CERT_ISSUER_RUN_NAME: runName },
  );
  if (command.command !== 'ensure') throw new Error('expected an ensure command');
  return command.config;
}

export interface World {
  readonly clock: FakeClock;
  readonly kube: FakeKube;
  /** The run's log, one parsed JSON line each. */
  readonly logs: Record<string, unknown>[];
  readonly run: Run;
}

export function world(): World {
  const clock = new FakeClock(start);
  const kube = new FakeKube(clock, ca, username);
  for (const repo of helmRepositories) kube.helmRepositories.set(repo, undefined);
  const logs: Record<string, unknown>[] = [];
  const log = createLogger('json', (line) => logs.push(JSON.parse(line) as Record<string, unknown>), () => clock.date);
  const run: Run = { kube, config: configOf(), signerCaPem: ca.certPem, caCrt: ca.certPem, log, clock, deadline: start.getTime() + timeoutMs };
  return { clock, kube, logs, run };
}

/** The run's log lines of one step. */
export function logged(w: World, step: string): Record<string, unknown>[] {
  return w.logs.filter((line) => line.step === step);
}

/** What an IssuerError with this exit code and message looks like to `rejects.toMatchObject`. */
export function issuerError(exitCode: ExitCode, message: RegExp): { exitCode: ExitCode; message: unknown } {
  return { exitCode, message: expect.stringMatching(message) };
}
