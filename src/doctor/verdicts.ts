import { evaluate, type Expected, type TlsFiles } from '../../cert-issuer/src/rotation.ts';
import { RENEWAL_CRONJOB_NAME } from '../constructs/names.ts';

/** The outcome of one check; `detail` says what was found, or what to do when it failed. */
export interface Verdict {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** The identity the doctor's probe asks for: whoever holds it may read every Secret. */
export const FOREIGN_COMMON_NAME = 'system:kube-controller-manager';

/** The verdict on the Secret in one namespace, from its files, the expected identity and the time. */
export function secretVerdict(namespace: string, name: string, files: TlsFiles | undefined, expected: Expected, now: Date): Verdict {
  const check = `Secret ${namespace}/${name}`;
  const rerun = `re-run the issuer: kubectl -n <issuer namespace> create job --from=cronjob/${RENEWAL_CRONJOB_NAME} cert-issuer-now`;
  if (files === undefined) return { check, ok: false, detail: `missing or incomplete (needs tls.crt, tls.key, ca.crt); ${rerun}` };
  const verdict = evaluate(files, expected, now);
  return verdict.good
    ? { check, ok: true, detail: `key matches; CN ${expected.commonName}; notAfter ${verdict.facts.notAfter.toISOString()}; renews after ${verdict.renewAfter.toISOString()}` }
    : { check, ok: false, detail: `${verdict.reason}; ${rerun}` };
}

/** The verdict on the dry-run CSR for a foreign subject: only a refusal by the named policy passes. */
export function probeVerdict(probe: { status: number; message: string }, policyName: string, issuer: string, fix: string): Verdict {
  const check = `CSR admission policy refuses CN=${FOREIGN_COMMON_NAME} from ${issuer} (server-side dry run)`;
  if (probe.status === 422 && probe.message.includes(`ValidatingAdmissionPolicy '${policyName}'`)) return { check, ok: true, detail: probe.message };
  if (probe.status === 201) return { check, ok: false, detail: `admitted: a stolen issuer token can have any identity signed; ${fix}` };
  if (probe.status === 403 && /impersonate/.test(probe.message)) return { check, ok: false, detail: `cannot tell: your user may not impersonate ${issuer} (${probe.message})` };
  return { check, ok: false, detail: `refused by something other than the policy (HTTP ${probe.status}: ${probe.message}); ${fix}` };
}
