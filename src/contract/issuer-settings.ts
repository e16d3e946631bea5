/**
 * The settings of the sections the issuer reads as flags too: `repositories` (the HelmRepositories
 * it refreshes), `certificate` and `issuer`. They are part of the one model of settings.ts, kept
 * in a file of their own so that the issuer's bundle carries their rules and not the others'
 * (the endpoint's parser, chart version ranges, releases, Flux).
 */
import { CRON_SCHEDULE, cronRangeProblem } from './cron-schedule.ts';
import { COMMON_NAME, FLUX_DURATION, ORGANIZATION, PINNED_IMAGE } from './formats.ts';
import { KEY_BITS } from './issuer-api.ts';
import { DNS_LABEL, SECRET_NAME } from './names.ts';
import { resourcesField } from './resources.ts';
import { boolean, integer, oneOf, optional, required, text } from './settings-schema.ts';

/** The official distroless Node 24 image the issuer program runs on without an image of its own. */
export const DISTROLESS_NODE_IMAGE = 'gcr.io/distroless/nodejs24-debian12:nonroot';

/** How often Flux re-reads a source or checks a release, unless a setting says otherwise. */
export const FLUX_INTERVAL = '5m';

export const REPOSITORY_FIELDS = {
  name: required(text(DNS_LABEL), 'HelmRepository name and folder under `/repos/`; unique.'),
  namespace: required(text(DNS_LABEL), 'Namespace of the HelmRepository; it gets a copy of the TLS Secret.'),
  interval: optional(text(FLUX_DURATION), 'How often Flux re-reads the index.', FLUX_INTERVAL),
};
export const CERTIFICATE_FIELDS = {
  commonName: required(text(COMMON_NAME), "CN of Flux's client certificate, the User the reader RoleBinding names. At most 64 characters; must not start with `system:`."),
  organization: optional(text(ORGANIZATION), "O of Flux's client certificate: a group the API server puts its user in, for RBAC bindings of your own. At most 64 characters; must not start with `system:`.", undefined, 'none'),
  secretName: required(text(SECRET_NAME), 'Name of the `kubernetes.io/tls` Secret in every repository namespace (at most 63 characters: it is also a label value).'),
  // The CSR API refuses less than 600 s; the field is an int32.
  expirationSeconds: optional(integer({ min: 600, max: 2 ** 31 - 1 }), "Requested lifetime (≥ 600); the signer's `--cluster-signing-duration` may shorten it.", 31_536_000),
  keyBits: optional(oneOf(KEY_BITS), 'RSA key size: 2048, 3072 or 4096.', 2048),
};

export const ISSUER_FIELDS = {
  image: optional(text(PINNED_IMAGE), 'The cert-issuer image built from `cert-issuer/Dockerfile`, pinned (see [The cert-issuer Job](#the-cert-issuer-job)).', undefined, 'none: the program ships in the ConfigMap `cert-issuer-program` and runs on `issuer.nodeImage`'),
  // No fallback value: a filled-in `issuer` with an `image` added must not hold both.
  nodeImage: optional(text(PINNED_IMAGE), 'The Node 24 image the program runs on when there is no `issuer.image`: distroless, Node at `/nodejs/bin/node`. Pin it by digest (`…:nonroot@sha256:<digest>`) for a mirror or to freeze it.', undefined, `\`${DISTROLESS_NODE_IMAGE}\` without \`issuer.image\``),
  // Below 30 s a slow controller-manager fails the Job for nothing.
  timeoutSeconds: optional(integer({ min: 30, max: 3600 }), 'Deadline of one issuer run, the wait for the signer and API retries included (30–3600).', 300),
  // Four times a day, off the full hour that other CronJobs crowd.
  renewalSchedule: optional(text(CRON_SCHEDULE, cronRangeProblem), 'Cron schedule (UTC) of the renewal CronJob.', '17 */6 * * *'),
  admissionPolicy: optional(boolean(), "Synthesize the ValidatingAdmissionPolicies that let the issuer's ServiceAccount write nothing but what the issuer writes: its own CSRs for `certificate.commonName`, its TLS Secret, and the reconcile annotation of its HelmRepositories (see [Security model](#security-model)). Needs Kubernetes 1.30 or later; set `false` only on older clusters, which then trust the assets namespace like cluster-admin.", true),
  resources: resourcesField('the issuer', { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } }),
};
