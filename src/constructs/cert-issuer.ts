import { createHash } from 'node:crypto';
import { JsonPatch } from 'cdk8s';
import { k8s, ServiceAccount } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { ApiEndpoint } from '../contract/api-endpoint.ts';
import { BOOTSTRAP_TOLERATIONS } from './bootstrap-tolerations.ts';
import {
  COMMON_NAME, DEFAULTS, DNS_LABEL, FINAL_EXIT_CODES, ISSUER_SERVICE_ACCOUNT_NAME, type HelmRepositoryRef, KEY_BITS, type KeyBits, LIMITS,
  SECRET_NAME, SIGNER_NAME, toIssuerArgs,
} from '../contract/issuer-contract.ts';
import { CertIssuerAccess } from './cert-issuer-access.ts';
import { array, integer, object, oneOf, required, text } from '../contract/schema.ts';
import { CRON_SCHEDULE, cronRangeProblem } from '../contract/cron-schedule.ts';
import { CsrAdmissionPolicy } from './csr-admission-policy.ts';
import { PART_OF, RESTRICTED_CONTAINER_SECURITY, RESTRICTED_POD_SECURITY } from './hardening.ts';
import { RENEWAL_CRONJOB_NAME } from './names.ts';
import { BOOTSTRAP_DEFAULTS, ISSUER_TIMEOUT_SECONDS, PINNED_IMAGE, validateProps } from '../contract/prop-rules.ts';

/** Where the image keeps Node and the bundle (see cert-issuer/Dockerfile). */
const ISSUER_COMMAND = ['/nodejs/bin/node', '/app/cert-issuer.mjs'];
const CA_MOUNT_DIR = '/etc/cert-issuer/ca';
/** Where the issuer reads its token and the cluster CA by default (cert-issuer/src/config.ts). */
const TOKEN_MOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/**
 * The token's lifetime, the shortest the API allows. The default automounted token is extended to
 * a year by the API server; a stolen one would outlive the run by far. The kubelet refreshes a
 * projected token at 80% of its lifetime and the issuer re-reads it for every request, so a run
 * longer than this still works.
 */
const TOKEN_EXPIRATION_SECONDS = 600;
const HELM_REPOSITORY_REF = object({
  namespace: required(text(DNS_LABEL), 'Namespace of the HelmRepository.'),
  name: required(text(DNS_LABEL), 'Name of the HelmRepository.'),
});

export interface CertIssuerProps {
  /** Namespace the ServiceAccount and the Job run in; the Job's pod needs Pod Security `privileged`. */
  readonly namespace: string;
  /** The issuer image built from `cert-issuer/Dockerfile`, pinned by digest or by a tag other than `latest`. */
  readonly image: string;
  /** The API endpoint the Job talks to; the Service ClusterIP does not work without kube-proxy. */
  readonly endpoint: ApiEndpoint;
  /**
   * PEM bundle that verifies `endpoint` and goes into the Secret's `ca.crt`.
   * @default - the cluster CA of the mounted ServiceAccount token
   */
  readonly apiCA?: string;
  /** The certificate's CN: at most 64 characters, not starting with `system:`. */
  readonly commonName: string;
  /** The `kubernetes.io/tls` Secret the issuer writes; at most 63 characters, as it is also a label value. */
  readonly secretName: string;
  /** Every namespace that holds a HelmRepository and therefore needs the Secret. */
  readonly secretNamespaces: readonly string[];
  /**
   * HelmRepositories to annotate after a new certificate is written, so Flux uses it at once.
   * @default - none
   */
  readonly helmRepositories?: readonly HelmRepositoryRef[];
  /**
   * The signer asked to sign.
   * @default kubernetes.io/kube-apiserver-client
   */
  readonly signerName?: string;
  /**
   * Requested certificate lifetime in seconds, at least 600; the signer may shorten it.
   * @default 31536000 (one year)
   */
  readonly expirationSeconds?: number;
  /**
   * RSA key size.
   * @default 2048
   */
  readonly keyBits?: KeyBits;
  /**
   * How long the program waits for the signer before it exits with code 5: 30–3600.
   * @default 300
   */
  readonly timeoutSeconds?: number;
  /**
   * Tolerations added to the built-in ones for a node without a CNI.
   * @default - only the built-in bootstrap tolerations
   */
  readonly extraTolerations?: readonly k8s.Toleration[];
  /**
   * Cron schedule of the renewal CronJob, which runs the same program; it renews only once the
   * certificate passes its jittered renewal deadline (70–90% of its lifetime) and writes nothing
   * before that.
   * @default "17 *\/6 * * *" (four times a day)
   */
  readonly renewalSchedule?: string;
  /**
   * Whether a ValidatingAdmissionPolicy makes the API server refuse every CSR create and approval
   * of the issuer's ServiceAccount except its own requests for `commonName`. Needs Kubernetes
   * 1.30 or later.
   * @default true
   */
  readonly admissionPolicy?: boolean;
}

/**
 * Issues Flux's client certificate in-cluster: a ServiceAccount with least-privilege RBAC and a
 * one-shot Job that runs the cert-issuer program.
 *
 * The Job is safe under Flux's re-apply loop twice over: the program is idempotent (a valid
 * certificate makes it a no-op), and the Job's name ends in a hash of its content, so a changed
 * config creates a new Job instead of failing on an immutable field.
 */
export class CertIssuer extends Construct {
  public readonly jobName: string;
  /**
   * The identity the issuer runs as. Its rights are bound to it here; bind more only knowing
   * that a ValidatingAdmissionPolicy judges every CSR it creates or approves.
   */
  public readonly serviceAccount: ServiceAccount;

  public constructor(scope: Construct, id: string, props: CertIssuerProps) {
    super(scope, id);
    validateProps(this, [
      ['namespace', text(DNS_LABEL), props.namespace],
      ['image', text(PINNED_IMAGE), props.image],
      ['commonName', text(COMMON_NAME), props.commonName],
      ['secretName', text(SECRET_NAME), props.secretName],
      ['secretNamespaces', array(text(DNS_LABEL), { minItems: 1 }), props.secretNamespaces],
      // Only the fields the issuer uses are checked: a typed caller may pass richer objects.
      ['helmRepositories', array(HELM_REPOSITORY_REF), props.helmRepositories?.map(({ namespace, name }) => ({ namespace, name }))],
      ['signerName', text(SIGNER_NAME), props.signerName],
      ['expirationSeconds', integer(LIMITS.expirationSeconds), props.expirationSeconds],
      ['keyBits', oneOf(KEY_BITS), props.keyBits],
      ['timeoutSeconds', integer(ISSUER_TIMEOUT_SECONDS), props.timeoutSeconds],
      ['renewalSchedule', text(CRON_SCHEDULE, cronRangeProblem), props.renewalSchedule],
    ]);
    const signerName = props.signerName ?? DEFAULTS.signerName;
    const labels = { 'app.kubernetes.io/name': 'cert-issuer', ...PART_OF };

    // No token for any pod by default: the Job mounts its own short-lived one.
    this.serviceAccount = new ServiceAccount(this, 'ServiceAccount', {
      metadata: { name: ISSUER_SERVICE_ACCOUNT_NAME, namespace: props.namespace, labels },
      automountToken: false,
    });
    new CertIssuerAccess(this, 'Access', {
      serviceAccount: this.serviceAccount,
      signerName,
      secretName: props.secretName,
      secretNamespaces: props.secretNamespaces,
      helmRepositories: props.helmRepositories,
    });

    const expirationSeconds = props.expirationSeconds ?? DEFAULTS.expirationSeconds;
    const keyBits = props.keyBits ?? DEFAULTS.keyBits;
    if (props.admissionPolicy ?? true) {
      new CsrAdmissionPolicy(this, 'AdmissionPolicy', {
        namespace: props.namespace,
        serviceAccountName: this.serviceAccount.name,
        signerName,
        commonName: props.commonName,
        keyBits,
        maxExpirationSeconds: expirationSeconds,
      });
    }

    let caConfigMap: string | undefined;
    if (props.apiCA !== undefined) {
      caConfigMap = 'cert-issuer-api-ca';
      new k8s.KubeConfigMap(this, 'ApiCA', {
        metadata: { name: caConfigMap, namespace: props.namespace, labels },
        data: { 'ca.crt': props.apiCA },
      });
    }

    const args = toIssuerArgs({
      commonName: props.commonName,
      secretName: props.secretName,
      namespaces: props.secretNamespaces,
      signerName,
      expirationSeconds,
      keyBits,
      timeoutSeconds: props.timeoutSeconds ?? DEFAULTS.timeoutSeconds,
      refreshHelmRepositories: props.helmRepositories ?? [],
      caFile: caConfigMap ? `${CA_MOUNT_DIR}/ca.crt` : undefined,
      logFormat: 'json',
    });

    const template: k8s.PodTemplateSpec = {
      metadata: { labels },
      spec: {
        serviceAccountName: this.serviceAccount.name,
        automountServiceAccountToken: false,
        restartPolicy: 'Never',
        hostNetwork: true,
        dnsPolicy: 'Default',
        enableServiceLinks: false,
        securityContext: RESTRICTED_POD_SECURITY,
        tolerations: [...BOOTSTRAP_TOLERATIONS, ...(props.extraTolerations ?? [])],
        containers: [{
          name: ISSUER_SERVICE_ACCOUNT_NAME,
          image: props.image,
          imagePullPolicy: 'IfNotPresent',
          command: ISSUER_COMMAND,
          args,
          env: [
            { name: 'KUBERNETES_SERVICE_HOST', value: props.endpoint.serviceHost },
            { name: 'KUBERNETES_SERVICE_PORT', value: String(props.endpoint.port) },
          ],
          resources: {
            requests: { cpu: k8s.Quantity.fromString('50m'), memory: k8s.Quantity.fromString('64Mi') },
            limits: { memory: k8s.Quantity.fromString('128Mi') },
          },
          securityContext: RESTRICTED_CONTAINER_SECURITY,
          volumeMounts: [
            { name: 'api-access', mountPath: TOKEN_MOUNT_DIR, readOnly: true },
            ...(caConfigMap ? [{ name: 'api-ca', mountPath: CA_MOUNT_DIR, readOnly: true }] : []),
          ],
        }],
        volumes: [
          {
            name: 'api-access',
            projected: {
              sources: [
                { serviceAccountToken: { path: 'token', expirationSeconds: TOKEN_EXPIRATION_SECONDS } },
                { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              ],
            },
          },
          ...(caConfigMap ? [{ name: 'api-ca', configMap: { name: caConfigMap } }] : []),
        ],
      },
    };

    const jobSpec: k8s.JobSpec = {
      backoffLimit: 3,
      podFailurePolicy: {
        rules: [{
          action: 'FailJob',
          onExitCodes: { containerName: ISSUER_SERVICE_ACCOUNT_NAME, operator: 'In', values: [...FINAL_EXIT_CODES] },
          onPodConditions: [], // required by cdk8s-plus-28's 1.28 types, optional since 1.29; removed below
        }],
      },
      template,
    };
    // No ttlSecondsAfterFinished: Flux would re-create a deleted Job and run it again.
    this.jobName = `cert-issuer-${contentHash({ jobSpec, apiCA: props.apiCA })}`;
    const job = new k8s.KubeJob(this, 'Job', {
      metadata: { name: this.jobName, namespace: props.namespace, labels },
      spec: jobSpec,
    });
    job.addJsonPatch(JsonPatch.remove('/spec/podFailurePolicy/rules/0/onPodConditions'));

    const renewal = new k8s.KubeCronJob(this, 'Renewal', {
      metadata: { name: RENEWAL_CRONJOB_NAME, namespace: props.namespace, labels },
      spec: {
        schedule: props.renewalSchedule ?? BOOTSTRAP_DEFAULTS.renewalSchedule,
        timeZone: 'Etc/UTC',
        // Two issuers at once would both create CSRs; the program survives it, but it is waste.
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 3600,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate: { metadata: { labels }, spec: jobSpec },
      },
    });
    renewal.addJsonPatch(JsonPatch.remove('/spec/jobTemplate/spec/podFailurePolicy/rules/0/onPodConditions'));
  }
}

/** A short, stable digest of a JSON-serializable value; Quantity and IntOrString serialize by value. */
function contentHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 8);
}
