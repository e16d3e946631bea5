import { createHash } from 'node:crypto';
import { JsonPatch } from 'cdk8s';
import { k8s, ServiceAccount } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { FINAL_EXIT_CODES, ISSUER_SERVICE_ACCOUNT_NAME } from '../contract/issuer-api.ts';
import { ISSUER_ARGS, issuerEnvName, toIssuerArgs } from '../contract/issuer-flags.ts';
import { DISTROLESS_NODE_IMAGE } from '../contract/issuer-settings.ts';
import { ASSETS_FIELDS, BOOTSTRAP } from '../contract/settings.ts';
import { type Input, object, type Output } from '../contract/settings-schema.ts';
import { bootstrapPodPlacement, containerResources, POD } from './bootstrap-pod.ts';
import { CertIssuerAccess } from './cert-issuer-access.ts';
import { CsrAdmissionPolicy } from './csr-admission-policy.ts';
import { EventAdmissionPolicy } from './event-admission-policy.ts';
import { HelmRepositoryAdmissionPolicy } from './helm-repository-admission-policy.ts';
import { PART_OF, RESTRICTED_CONTAINER_SECURITY, RESTRICTED_POD_SECURITY } from './hardening.ts';
import { issuerProgram } from './issuer-program.ts';
import { ISSUER_APP_NAME, ISSUER_JOB_PREFIX, RENEWAL_CRONJOB_NAME } from './names.ts';
import { settleProps } from './props.ts';
import { SecretAdmissionPolicy } from './secret-admission-policy.ts';

const PROPS = object({
  namespace: ASSETS_FIELDS.namespace,
  endpoint: BOOTSTRAP.fields.endpoint,
  apiCA: BOOTSTRAP.fields.apiCA,
  certificate: BOOTSTRAP.fields.certificate,
  issuer: BOOTSTRAP.fields.issuer,
  namespaces: ISSUER_ARGS.fields.namespaces,
  refreshHelmRepositories: ISSUER_ARGS.fields.refreshHelmRepositories,
  signerName: ISSUER_ARGS.fields.signerName,
  ...POD.fields,
});

/**
 * The config's `certificate` and `issuer` sections and pod settings; the namespace the issuer runs
 * in (the assets namespace, whose pods need Pod Security `privileged`); and the issuer's own
 * settings: the namespaces that get the Secret, the HelmRepositories to refresh, the signer.
 */
export type CertIssuerProps = Input<typeof PROPS>;
type Settings = Output<typeof PROPS>;

/** Where the distroless Node image keeps Node, and the issuer image the bundle (see cert-issuer/Dockerfile). */
const NODE = '/nodejs/bin/node';
const IMAGE_PROGRAM = '/app/cert-issuer.mjs';
/** Without an issuer image: the ConfigMap that holds the program, and where the pod mounts it. */
const PROGRAM_CONFIG_MAP = 'cert-issuer-program';
const PROGRAM_MOUNT_DIR = '/opt/cert-issuer';
const PROGRAM_KEY = 'cert-issuer.mjs';
const CA_MOUNT_DIR = '/etc/cert-issuer/ca';
const CA_CONFIG_MAP = 'cert-issuer-api-ca';
/** Where the issuer reads its token and the cluster CA by default (cert-issuer/src/config.ts). */
const TOKEN_MOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/**
 * The token's lifetime, the shortest the API allows. The default automounted token is extended to
 * a year by the API server; a stolen one would outlive the run by far. The kubelet refreshes a
 * projected token at 80% of its lifetime and the issuer re-reads it for every request, so a run
 * longer than this still works.
 */
const TOKEN_EXPIRATION_SECONDS = 600;

/**
 * Issues Flux's client certificate in-cluster: a ServiceAccount with least-privilege RBAC and a
 * one-shot Job that runs the cert-issuer program, and a CronJob that runs it again to renew.
 *
 * The Job is safe under Flux's re-apply loop twice over: the program is idempotent (a valid
 * certificate makes it a no-op), and the Job's name ends in a hash of its content, so a changed
 * config creates a new Job instead of failing on an immutable field.
 */
export class CertIssuer extends Construct {
  public readonly jobName: string;
  /**
   * The identity the issuer runs as. Its rights are bound to it here; bind more only knowing
   * that ValidatingAdmissionPolicies judge every CSR, Secret and HelmRepository it writes.
   */
  public readonly serviceAccount: ServiceAccount;

  public constructor(scope: Construct, id: string, props: CertIssuerProps) {
    super(scope, id);
    const settings = settleProps(this, PROPS, props);
    const labels = { 'app.kubernetes.io/name': ISSUER_APP_NAME, ...PART_OF };

    // No token for any pod by default: the Job mounts its own short-lived one.
    this.serviceAccount = new ServiceAccount(this, 'ServiceAccount', {
      metadata: { name: ISSUER_SERVICE_ACCOUNT_NAME, namespace: settings.namespace, labels },
      automountToken: false,
    });
    this.grantIssuerRights(settings);
    if (settings.apiCA !== undefined) {
      new k8s.KubeConfigMap(this, 'ApiCA', {
        metadata: { name: CA_CONFIG_MAP, namespace: settings.namespace, labels },
        data: { 'ca.crt': settings.apiCA },
      });
    }

    const program = settings.issuer.image === undefined ? issuerProgram() : undefined;
    if (program !== undefined) {
      new k8s.KubeConfigMap(this, 'Program', {
        metadata: { name: PROGRAM_CONFIG_MAP, namespace: settings.namespace, labels },
        data: { [PROGRAM_KEY]: program },
      });
    }

    const jobSpec = issuerJobSpec({ metadata: { labels }, spec: this.podSpec(settings) });
    // No ttlSecondsAfterFinished: Flux would re-create a deleted Job and run it again. The hash
    // covers what the pod reads from ConfigMaps too, so new code or a new CA runs as a new Job.
    this.jobName = `${ISSUER_JOB_PREFIX}${contentHash({ jobSpec, apiCA: settings.apiCA, program })}`;
    const job = new k8s.KubeJob(this, 'Job', {
      metadata: { name: this.jobName, namespace: settings.namespace, labels },
      spec: jobSpec,
    });
    job.addJsonPatch(JsonPatch.remove('/spec/podFailurePolicy/rules/0/onPodConditions'));

    const renewal = new k8s.KubeCronJob(this, 'Renewal', {
      metadata: { name: RENEWAL_CRONJOB_NAME, namespace: settings.namespace, labels },
      spec: {
        schedule: settings.issuer.renewalSchedule,
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

  /**
   * RBAC for what the program does, and the API server's own check of everything it writes, which
   * RBAC cannot narrow enough: what a CSR asks for, what goes into a Secret, which field of a
   * HelmRepository changes.
   */
  private grantIssuerRights(settings: Settings): void {
    new CertIssuerAccess(this, 'Access', {
      serviceAccount: this.serviceAccount,
      signerName: settings.signerName,
      secretName: settings.certificate.secretName,
      secretNamespaces: settings.namespaces,
      helmRepositories: settings.refreshHelmRepositories,
    });
    if (!settings.issuer.admissionPolicy) return;
    const scope = { namespace: settings.namespace, serviceAccountName: this.serviceAccount.name };
    new CsrAdmissionPolicy(this, 'AdmissionPolicy', {
      ...scope,
      signerName: settings.signerName,
      commonName: settings.certificate.commonName,
      organization: settings.certificate.organization,
      keyBits: settings.certificate.keyBits,
      maxExpirationSeconds: settings.certificate.expirationSeconds,
    });
    new SecretAdmissionPolicy(this, 'SecretPolicy', { ...scope, secretName: settings.certificate.secretName });
    new EventAdmissionPolicy(this, 'EventPolicy', scope);
    if (settings.refreshHelmRepositories.length > 0) new HelmRepositoryAdmissionPolicy(this, 'HelmRepositoryPolicy', scope);
  }

  /**
   * The issuer's pod: on the host network, with its short-lived token, the CA when the endpoint
   * needs one, and the program from its ConfigMap when no image brings it.
   */
  private podSpec(settings: Settings): k8s.PodSpec {
    const withCA = settings.apiCA !== undefined;
    const { image, nodeImage } = settings.issuer;
    const args = toIssuerArgs({
      commonName: settings.certificate.commonName,
      organization: settings.certificate.organization,
      secretName: settings.certificate.secretName,
      namespaces: settings.namespaces,
      signerName: settings.signerName,
      expirationSeconds: settings.certificate.expirationSeconds,
      keyBits: settings.certificate.keyBits,
      timeoutSeconds: settings.issuer.timeoutSeconds,
      refreshHelmRepositories: settings.refreshHelmRepositories,
      caFile: withCA ? `${CA_MOUNT_DIR}/ca.crt` : undefined,
      logFormat: 'json',
    });
    return {
      serviceAccountName: this.serviceAccount.name,
      automountServiceAccountToken: false,
      restartPolicy: 'Never',
      hostNetwork: true,
      dnsPolicy: 'Default',
      enableServiceLinks: false,
      securityContext: RESTRICTED_POD_SECURITY,
      ...bootstrapPodPlacement(settings),
      containers: [{
        name: ISSUER_SERVICE_ACCOUNT_NAME,
        image: image ?? nodeImage ?? DISTROLESS_NODE_IMAGE,
        imagePullPolicy: 'IfNotPresent',
        command: [NODE, image === undefined ? `${PROGRAM_MOUNT_DIR}/${PROGRAM_KEY}` : IMAGE_PROGRAM],
        args,
        env: [
          { name: 'KUBERNETES_SERVICE_HOST', value: settings.endpoint.serviceHost },
          { name: 'KUBERNETES_SERVICE_PORT', value: String(settings.endpoint.port) },
          // The Job controller labels each pod with its Job's name: the one-shot Job's, or a renewal's.
          { name: issuerEnvName('runName'), valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } },
        ],
        resources: containerResources(settings.issuer.resources),
        securityContext: RESTRICTED_CONTAINER_SECURITY,
        volumeMounts: [
          { name: 'api-access', mountPath: TOKEN_MOUNT_DIR, readOnly: true },
          ...(withCA ? [{ name: 'api-ca', mountPath: CA_MOUNT_DIR, readOnly: true }] : []),
          ...(image === undefined ? [{ name: 'program', mountPath: PROGRAM_MOUNT_DIR, readOnly: true }] : []),
        ],
      }],
      volumes: [
        {
          name: 'api-access',
          projected: {
            sources: [
              { serviceAccountToken: { path: 'token', expirationSeconds: TOKEN_EXPIRATION_SECONDS } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              // As in the ServiceAccount mount the issuer replaces: the namespace of its Events.
              { downwardApi: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
            ],
          },
        },
        ...(withCA ? [{ name: 'api-ca', configMap: { name: CA_CONFIG_MAP } }] : []),
        ...(image === undefined ? [{ name: 'program', configMap: { name: PROGRAM_CONFIG_MAP } }] : []),
      ],
    };
  }
}

/** The Job's spec, for the one-shot Job and the renewal CronJob alike: final exit codes fail it at once. */
function issuerJobSpec(template: k8s.PodTemplateSpec): k8s.JobSpec {
  return {
    backoffLimit: 3,
    podFailurePolicy: {
      rules: [{
        action: 'FailJob',
        onExitCodes: { containerName: ISSUER_SERVICE_ACCOUNT_NAME, operator: 'In', values: [...FINAL_EXIT_CODES] },
        onPodConditions: [], // required by cdk8s-plus-28's 1.28 types, optional since 1.29; removed by a patch
      }],
    },
    template,
  };
}

/** A short, stable digest of a JSON-serializable value; Quantity and IntOrString serialize by value. */
function contentHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 8);
}
