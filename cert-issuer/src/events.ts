/**
 * What a run tells an operator through the API: one `events.k8s.io/v1` Event about the run's Job,
 * when the run did something or failed. A run that found every certificate good writes none, so a
 * CronJob that runs four times a day for a year writes one Event per renewal and per failed run.
 * Pure: main.ts sends what `runEvent` returns.
 */
import { EVENT_NOTE_MAX, EVENT_REPORTING_CONTROLLER, ExitCode } from '../../src/contract/issuer-api.ts';
import { CsrRefusedError, IssuerError } from './errors.ts';
import type { KubeApi } from './kube-api.ts';
import { type Logger, redact } from './log.ts';
import { describe } from './retry.ts';
import { rfc3339 } from './utc-time.ts';

/** What `ensure` did. */
export type RunOutcome =
  | { readonly action: 'noop' }
  | { readonly action: 'issued' | 'renewed' | 'copied'; readonly namespaces: readonly string[]; readonly notAfter: Date; readonly renewAfter: Date };

/** An Event as the issuer writes it. */
export interface EventObject {
  readonly metadata: { readonly namespace: string; readonly name: string };
  readonly [field: string]: unknown;
}

export interface EventFacts {
  readonly type: 'Normal' | 'Warning';
  readonly reason: 'Issued' | 'Renewed' | 'Copied' | 'Refused' | 'Denied' | 'SignerTimeout' | 'Failed';
  readonly action: 'Issue' | 'Renew' | 'Copy' | 'Run';
  readonly note: string;
}

/** The Event a run's result deserves: none for a no-op; `commonName` names the certificate. */
export function runEvent(result: RunOutcome | unknown, commonName: string): EventFacts | undefined {
  if (isOutcome(result)) {
    if (result.action === 'noop') return undefined;
    const what = `CN=${commonName}, valid until ${rfc3339(result.notAfter)}, renews after ${rfc3339(result.renewAfter)}, in ${result.namespaces.join(', ')}`;
    if (result.action === 'issued') return normal('Issued', 'Issue', `issued a certificate for ${what}`);
    if (result.action === 'renewed') return normal('Renewed', 'Renew', `renewed the certificate: ${what}`);
    return normal('Copied', 'Copy', `copied the valid certificate: ${what}`);
  }
  const message = result instanceof IssuerError ? result.message : 'internal error (see the pod log)';
  const exit = result instanceof IssuerError ? result.exitCode : ExitCode.internal;
  const reason = result instanceof CsrRefusedError ? 'Refused' : exit === ExitCode.csrDenied ? 'Denied' : exit === ExitCode.signerTimeout ? 'SignerTimeout' : 'Failed';
  return { type: 'Warning', reason, action: 'Run', note: `exit ${exit}: ${message}` };
}

/**
 * The Event as the API takes it, about the Job `run` in `namespace`. Its name is the Job's and a
 * random suffix, as the API's own recorders name theirs.
 */
export function eventBody(facts: EventFacts, run: { readonly namespace: string; readonly name: string }, now: Date, suffix: string): EventObject {
  const note = redact(facts.note);
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: `${run.name}.${suffix}`, namespace: run.namespace },
    // MicroTime: the API wants six digits of fractions.
    eventTime: rfc3339(now).replace('Z', '.000000Z'),
    reportingController: EVENT_REPORTING_CONTROLLER,
    reportingInstance: run.name,
    action: facts.action,
    reason: facts.reason,
    type: facts.type,
    note: note.length > EVENT_NOTE_MAX ? `${note.slice(0, EVENT_NOTE_MAX - 1)}…` : note,
    regarding: { apiVersion: 'batch/v1', kind: 'Job', namespace: run.namespace, name: run.name },
  };
}

/** Who the run is, as far as it knows: without its Job's name and namespace it records nothing. */
export interface RunIdentity {
  readonly namespace: string | undefined;
  readonly runName: string | undefined;
  readonly commonName: string;
}

/**
 * Records the run's result as an Event, best effort: a run whose Event is refused (an API server
 * without the events.k8s.io API, RBAC from an older dist) keeps its own outcome and exit code.
 */
export async function recordRun(kube: Pick<KubeApi, 'createEvent'>, log: Logger, who: RunIdentity, result: unknown, now: Date, suffix: string): Promise<void> {
  const facts = runEvent(result, who.commonName);
  if (facts === undefined || who.namespace === undefined || who.runName === undefined) return;
  try {
    await kube.createEvent(eventBody(facts, { namespace: who.namespace, name: who.runName }, now, suffix));
    log.info('event', 'recorded the run as an Event', { reason: facts.reason, job: `${who.namespace}/${who.runName}` });
  } catch (error) {
    log.warn('event', 'could not record the run as an Event', { reason: facts.reason, error: describe(error) });
  }
}

function normal(reason: EventFacts['reason'], action: EventFacts['action'], note: string): EventFacts {
  return { type: 'Normal', reason, action, note };
}

function isOutcome(result: unknown): result is RunOutcome {
  return typeof result === 'object' && result !== null && 'action' in result && !(result instanceof Error);
}
