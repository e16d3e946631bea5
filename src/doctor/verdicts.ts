/**
 * What each answer from the cluster means: one verdict per check, with what to do when it fails.
 * Pure, so that every message can be tested without a cluster.
 */
import type { V1ValidatingAdmissionPolicy, V1ValidatingAdmissionPolicyBinding } from '@kubernetes/client-node';
import { evaluate, type Expected, type TlsFiles } from '../../cert-issuer/src/rotation.ts';
import { RENEWAL_CRONJOB_NAME } from '../constructs/names.ts';
import type { ApiEndpoint } from '../contract/api-endpoint.ts';
import type { Access } from './access.ts';
import type { Answer } from './api.ts';

/** The outcome of one check; `detail` says what was found, or what to do when it failed. */
export interface Verdict {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** What a request brought back: an answer, or why none came. */
export type Fetched = Answer | { readonly error: string };

/** The identity the doctor's probe asks for: whoever holds it may read every Secret. */
export const FOREIGN_COMMON_NAME = 'system:kube-controller-manager';

/** The fix for objects of the cluster's folder that are missing or changed. */
export function reapplyHint(clusterName: string): string {
  return `re-apply dist/${clusterName} (kubectl apply --server-side -k dist/${clusterName})`;
}

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

/** The verdict on a Secret's `ca.crt` against the endpoint: any answer at all means the handshake verified. */
export function tlsVerdict(secret: string, endpoint: ApiEndpoint, fetched: Fetched, configFile: string): Verdict {
  const check = `ca.crt of ${secret} verifies ${endpoint}`;
  return 'error' in fetched
    ? { check, ok: false, detail: `${fetched.error}; set apiCAFile in ${configFile} to the CA that signs ${endpoint}'s serving certificate` }
    : { check, ok: true, detail: 'TLS handshake verified' };
}

/** The verdict on one access, from the SubjectAccessReview's answer. */
export function accessVerdict(access: Access, allowed: boolean, fix: string): Verdict {
  const { verb, group, resource, subresource, name, namespace } = access.attributes;
  const what = `${verb} ${[group, resource].filter(Boolean).join('/')}${subresource ? `/${subresource}` : ''}${name ? ` ${name}` : ''}${namespace ? ` in ${namespace}` : ''}`;
  return {
    check: `RBAC: ${access.who} ${access.allowed ? 'may' : 'may not'} ${what}`,
    ok: allowed === access.allowed,
    detail: allowed === access.allowed ? 'as expected' : `${access.user} ${allowed ? 'is allowed' : 'is denied'}; ${fix}`,
  };
}

/** The verdict on one of the issuer's admission policies and its binding, as found (undefined: not found). */
export function policyVerdict(
  name: string,
  policy: V1ValidatingAdmissionPolicy | undefined,
  binding: V1ValidatingAdmissionPolicyBinding | undefined,
  fix: string,
): Verdict {
  const bound = binding?.spec?.policyName === name && binding.spec.validationActions?.includes('Deny') === true;
  return {
    check: `admission policy ${name}`,
    ok: policy !== undefined && bound,
    detail: policy === undefined ? `missing; ${fix}` : !bound ? `its binding is missing or does not deny; ${fix}` : 'policy and binding (Deny) present',
  };
}

/** A write a thief would make with the issuer's token, which one of its policies must refuse. */
export interface Attempt {
  /** What is tried, as the check names it. */
  readonly what: string;
  /** What a thief gets where the policy admits it. */
  readonly admitted: string;
}

/**
 * The verdict on a server-side dry run of `attempt` as the issuer: only a refusal by the named
 * policy passes (undefined probe: there was nothing to try it on, and `nothingToTry` says why).
 */
export function probeVerdict(attempt: Attempt, probe: { status: number; message: string }, policyName: string, issuer: string, fix: string): Verdict {
  const check = `admission policy refuses ${attempt.what} by ${issuer} (server-side dry run)`;
  if (probe.status === 422 && probe.message.includes(`ValidatingAdmissionPolicy '${policyName}'`)) return { check, ok: true, detail: probe.message };
  if (probe.status >= 200 && probe.status < 300) return { check, ok: false, detail: `admitted: ${attempt.admitted}; ${fix}` };
  if (probe.status === 403 && /impersonate/.test(probe.message)) return { check, ok: false, detail: `cannot tell: your user may not impersonate ${issuer} (${probe.message})` };
  return { check, ok: false, detail: `refused by something other than the policy (HTTP ${probe.status}: ${probe.message}); ${fix}` };
}

/**
 * The verdict on one repository index fetched through the pod proxy with a Secret's certificate
 * (undefined: there was no Secret to fetch with).
 */
export function indexVerdict(url: string, secret: string, fetched: Fetched | undefined): Verdict {
  const check = `mTLS GET ${url} with ${secret}`;
  if (fetched === undefined) return { check, ok: false, detail: 'skipped: no Secret to authenticate with (see above)' };
  if ('error' in fetched) return { check, ok: false, detail: `${fetched.error}; is the endpoint reachable from here? (--endpoint overrides it)` };
  const { status, body } = fetched;
  if (status === 200 && /^apiVersion:/m.test(body)) return { check, ok: true, detail: `200, ${body.length} bytes of index` };
  if (status === 401) return { check, ok: false, detail: '401: the API server does not accept the certificate (expired, or not signed by its client CA); re-run the issuer' };
  if (status === 403) return { check, ok: false, detail: `403: the certificate's user may not proxy to the pod; re-apply the reader Role and RoleBinding` };
  return { check, ok: false, detail: `${status}: ${body.slice(0, 200).replaceAll('\n', ' ')}; is the assets pod running and serving this repo?` };
}
