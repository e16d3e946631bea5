/**
 * What `flux-assets-bootstrap status` makes of one cluster's objects: the certificate in every
 * repository namespace, the issuer's last run, the HelmRepositories and the sync Kustomization,
 * each with a level a monitoring check can act on. Pure, so that every state is tested without a
 * cluster; status-command.ts reads the objects and prints the result.
 */
import type { V1Job } from '@kubernetes/client-node';
import { inspectCertificate } from '../../cert-issuer/src/certificate.ts';
import { evaluate, type Expected, renewalDeadlineOf, type TlsFiles } from '../../cert-issuer/src/rotation.ts';
import { RENEWAL_CRONJOB_NAME } from '../constructs/names.ts';

/** From good to bad; a cluster's level is its worst item's, and the command's exit code the worst cluster's. */
export const LEVELS = ['ok', 'warning', 'critical', 'unknown'] as const;
export type Level = (typeof LEVELS)[number];

/** One line of the report: what was looked at, its level, and what was found or what to do. */
export interface Item {
  readonly what: string;
  readonly level: Level;
  readonly detail: string;
  /** The certificate's validity, RFC 3339, where there is one. */
  readonly notAfter?: string;
  /** When the issuer renews it, RFC 3339. */
  readonly renewAfter?: string;
}

export interface ClusterStatus {
  readonly cluster: string;
  /** The kubeconfig context it was read with. */
  readonly context: string | undefined;
  readonly level: Level;
  readonly items: readonly Item[];
}

/** A Flux object's Ready condition and what status field the report shows beside it; undefined: not found. */
export interface FluxObject {
  readonly ready: { readonly status: string; readonly message?: string } | undefined;
  readonly revision?: string;
}

/** What status reads from one cluster. */
export interface Snapshot {
  /** The TLS files in each repository namespace, undefined where the Secret is missing or incomplete. */
  readonly secrets: ReadonlyMap<string, TlsFiles | undefined>;
  readonly secretName: string;
  readonly expected: Omit<Expected, 'caCrt'>;
  /** The issuer's Jobs in the assets namespace, the renewal's among them. */
  readonly jobs: readonly V1Job[];
  readonly helmRepositories: ReadonlyMap<string, FluxObject | undefined>;
  /** The sync Kustomization `flux-system/flux-assets-bootstrap`, when the config has a `flux` section. */
  readonly sync?: { readonly name: string; readonly object: FluxObject | undefined };
}

const worst = (levels: readonly Level[]): Level => LEVELS[Math.max(0, ...levels.map((level) => LEVELS.indexOf(level)))]!;

/** The report on one cluster at `now`. */
export function assess(cluster: string, context: string | undefined, snapshot: Snapshot, now: Date): ClusterStatus {
  const items = [
    ...[...snapshot.secrets].map(([namespace, files]) => certificateItem(`certificate ${namespace}/${snapshot.secretName}`, files, snapshot.expected, now)),
    lastRunItem(snapshot.jobs),
    ...[...snapshot.helmRepositories].map(([name, object]) => fluxItem(`HelmRepository ${name}`, object)),
    ...(snapshot.sync ? [fluxItem(`Kustomization ${snapshot.sync.name}`, snapshot.sync.object)] : []),
  ];
  return { cluster, context, level: worst(items.map((item) => item.level)), items };
}

/** A cluster that could not be read at all. */
export function unreadable(cluster: string, context: string | undefined, why: string): ClusterStatus {
  return { cluster, context, level: 'unknown', items: [{ what: 'cluster', level: 'unknown', detail: why }] };
}

const RERUN = `re-run the issuer: kubectl -n <assets namespace> create job --from=cronjob/${RENEWAL_CRONJOB_NAME} cert-issuer-now`;

/**
 * ok while the issuer would keep the certificate; warning once its renewal deadline has passed and
 * it is still valid (the issuer should have replaced it); critical when it is missing, expired or
 * one the issuer would replace for any other reason.
 */
export function certificateItem(what: string, files: TlsFiles | undefined, expected: Omit<Expected, 'caCrt'>, now: Date): Item {
  if (files === undefined) return { what, level: 'critical', detail: `missing or incomplete; ${RERUN}` };
  const full = { ...expected, caCrt: files.caCrt };
  const verdict = evaluate(files, full, now);
  if (verdict.good) {
    const dates = { notAfter: verdict.facts.notAfter.toISOString(), renewAfter: verdict.renewAfter.toISOString() };
    return { what, level: 'ok', detail: `valid until ${dates.notAfter}, renews after ${dates.renewAfter}`, ...dates };
  }
  let facts;
  try {
    facts = inspectCertificate(files.tlsCrt);
  } catch {
    return { what, level: 'critical', detail: `${verdict.reason}; ${RERUN}` };
  }
  const renewAfter = renewalDeadlineOf(facts);
  const dates = { notAfter: facts.notAfter.toISOString(), renewAfter: renewAfter.toISOString() };
  // Good just before its deadline: the deadline is all that is wrong with it.
  const overdue = now < facts.notAfter && evaluate(files, full, new Date(renewAfter.getTime() - 1)).good;
  return overdue
    ? { what, level: 'warning', detail: `renewal overdue since ${dates.renewAfter}, valid until ${dates.notAfter}; check the renewal CronJob's runs, or ${RERUN}`, ...dates }
    : { what, level: 'critical', detail: `${verdict.reason}; ${RERUN}`, ...dates };
}

/** The newest of the issuer's Jobs: critical when it failed, and when there is none. */
export function lastRunItem(jobs: readonly V1Job[]): Item {
  const newest = [...jobs].sort((a, b) => created(b) - created(a))[0];
  if (newest === undefined) return { what: 'last issuer run', level: 'critical', detail: 'no issuer Job: re-apply the cluster\'s dist/ folder' };
  const what = `last issuer run ${newest.metadata!.name}`;
  const condition = (type: string) => newest.status?.conditions?.find((c) => c.type === type && c.status === 'True');
  const failed = condition('Failed');
  if (failed) return { what, level: 'critical', detail: `failed at ${iso(failed.lastTransitionTime)}: ${failed.message ?? failed.reason ?? 'no reason given'}; see its pods' logs` };
  const complete = condition('Complete');
  if (complete) return { what, level: 'ok', detail: `succeeded at ${iso(complete.lastTransitionTime)}` };
  return { what, level: 'ok', detail: `running since ${iso(newest.metadata!.creationTimestamp)}` };
}

/** A Flux object by its Ready condition: warning while it is not Ready, critical when it is not there. */
export function fluxItem(what: string, object: FluxObject | undefined): Item {
  if (object === undefined) return { what, level: 'critical', detail: 'not found: re-apply the cluster\'s dist/ folder' };
  const revision = object.revision === undefined ? '' : `; applied ${object.revision}`;
  if (object.ready?.status === 'True') return { what, level: 'ok', detail: `Ready${revision}` };
  return { what, level: 'warning', detail: `not Ready (${object.ready?.message ?? 'no Ready condition yet'})${revision}` };
}

const created = (job: V1Job) => new Date(job.metadata?.creationTimestamp ?? 0).getTime();
const iso = (time: Date | string | undefined) => (time === undefined ? 'an unknown time' : new Date(time).toISOString());
