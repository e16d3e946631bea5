/**
 * The issuer's interface to everything around it: the exit codes an operator and the Job's pod
 * failure policy read, the labels and annotations it writes, its identity, and the CSR it asks for.
 */

/**
 * Exit codes are the Job's only interface to the operator besides its logs, so each failure class
 * has its own number (documented in the README). Keep them stable.
 */
export const ExitCode = {
  ok: 0,
  internal: 1,
  badConfig: 2,
  permissionDenied: 3,
  csrDenied: 4,
  signerTimeout: 5,
  apiUnavailable: 6,
  refusedToApprove: 7,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Exit codes after which a retry cannot help, so the pod failure policy fails the Job at once: bad
 * config, a CSR Denied by an approver or Failed by the signer (a new CSR meets the same decision),
 * and a CSR refused as unverified.
 */
export const FINAL_EXIT_CODES: readonly ExitCode[] = [ExitCode.badConfig, ExitCode.csrDenied, ExitCode.refusedToApprove];

/** Labels on everything the issuer creates, so an operator can find it with one selector. */
export const MANAGED_LABELS = {
  'app.kubernetes.io/managed-by': 'flux-assets-bootstrap',
  'app.kubernetes.io/component': 'cert-issuer',
} as const;
/** Ties a CSR to the Secret it is for (the value is the Secret's name), so a later run finds what a dead run left. */
export const SECRET_LABEL = 'flux-assets-bootstrap.io/secret';
/** The Secret the issuer writes: the type Flux reads a client certificate from, with exactly these keys. */
export const TLS_SECRET_TYPE = 'kubernetes.io/tls';
export const TLS_SECRET_KEYS: readonly string[] = ['tls.crt', 'tls.key', 'ca.crt'];
/** The Secret's certificate, for people and scripts: its notAfter and renewal deadline (RFC 3339, UTC). */
export const NOT_AFTER_ANNOTATION = 'flux-assets-bootstrap.io/not-after';
export const RENEW_AFTER_ANNOTATION = 'flux-assets-bootstrap.io/renew-after';
/** Where the certificate came from: the run that issued it (its Job's name) and the CSR it was signed as. */
export const ISSUED_BY_ANNOTATION = 'flux-assets-bootstrap.io/issued-by';
export const CSR_ANNOTATION = 'flux-assets-bootstrap.io/csr';
/** Every annotation the issuer writes on its Secret, and the only ones its admission policy lets it change. */
export const SECRET_ANNOTATIONS = [NOT_AFTER_ANNOTATION, RENEW_AFTER_ANNOTATION, ISSUED_BY_ANNOTATION, CSR_ANNOTATION] as const;
/** The `reportingController` of the issuer's Events, which its admission policy requires. */
export const EVENT_REPORTING_CONTROLLER = 'flux-assets-bootstrap.io/cert-issuer';
/** What the API server keeps of an Event's note: the issuer writes no more, and its policy admits no more. */
export const EVENT_NOTE_MAX = 1024;
/** Flux reconciles a source at once when this annotation changes. */
export const RECONCILE_REQUESTED_AT_ANNOTATION = 'reconcile.fluxcd.io/requestedAt';

/** The issuer's ServiceAccount, which synth creates and binds and doctor checks; also its container's name. */
export const ISSUER_SERVICE_ACCOUNT_NAME = 'cert-issuer';

/** The signer that issues client certificates the API server accepts. */
export const KUBE_APISERVER_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';

/**
 * The usages of every CSR the issuer creates: the signer requires `client auth` and allows
 * `digital signature` beside it; the admission policy and the approval check hold CSRs to them.
 */
export const CSR_USAGES: readonly string[] = ['digital signature', 'client auth'];

export const KEY_BITS = [2048, 3072, 4096] as const;
export type KeyBits = (typeof KEY_BITS)[number];
export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
