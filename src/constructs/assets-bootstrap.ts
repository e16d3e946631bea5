import { Chart } from 'cdk8s';
import { type k8s, User } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { KeyBits } from '../contract/issuer-contract.ts';
import type { ApiEndpoint } from '../contract/api-endpoint.ts';
import { AssetsHelmRepository } from './assets-helm-repository.ts';
import { AssetsServer } from './assets-server.ts';
import { BootstrapNamespace, PodSecurityLevel } from './bootstrap-namespace.ts';
import { CertIssuer } from './cert-issuer.ts';
import { REPOSITORIES, validateProps } from '../contract/prop-rules.ts';

/** One Helm repository that the assets server serves under `/repos/<name>`. */
export interface AssetsRepository {
  /** The HelmRepository's name and the folder under the server's `/repos/`; unique. */
  readonly name: string;
  /** Namespace of the HelmRepository; it gets a copy of the TLS Secret. */
  readonly namespace: string;
  /**
   * How often Flux re-reads the index.
   * @default 5m
   */
  readonly interval?: string;
}

export interface AssetsBootstrapProps {
  /** The API endpoint Flux and the issuer use, e.g. `ApiEndpoint.parse('localhost:7445')`. */
  readonly endpoint: ApiEndpoint;
  /**
   * PEM bundle that verifies `endpoint`, for an endpoint whose serving certificate is not signed by
   * the cluster CA; it also becomes the Secret's `ca.crt`.
   * @default - the cluster CA
   */
  readonly apiCA?: string;
  /** Namespace of the assets server, the reader Role and the issuer; labelled Pod Security `privileged`. */
  readonly namespace: string;
  /** Name of the assets StatefulSet and its headless Service (at most 52 characters). */
  readonly serverName: string;
  /** Static HTTP server image that serves `/repos/<repo>/index.yaml`, pinned. */
  readonly serverImage: string;
  /**
   * Container and host port of the server, 1024–65535.
   * @default 8123
   */
  readonly serverPort?: number;
  /** The Helm repositories the server serves, one HelmRepository each; at least one. */
  readonly repositories: readonly AssetsRepository[];
  /** CN of Flux's client certificate: the User that may read through the pod proxy. */
  readonly commonName: string;
  /** Name of the `kubernetes.io/tls` Secret in every repository namespace. */
  readonly secretName: string;
  /**
   * Requested certificate lifetime in seconds; the signer may shorten it.
   * @default 31536000 (one year)
   */
  readonly expirationSeconds?: number;
  /**
   * RSA key size.
   * @default 2048
   */
  readonly keyBits?: KeyBits;
  /** The cert-issuer image built from `cert-issuer/Dockerfile`, pinned. */
  readonly issuerImage: string;
  /**
   * How long the issuer waits for the signer, 30–3600 seconds.
   * @default 300
   */
  readonly timeoutSeconds?: number;
  /**
   * Cron schedule (UTC) of the renewal CronJob.
   * @default "17 *\/6 * * *"
   */
  readonly renewalSchedule?: string;
  /**
   * Whether a ValidatingAdmissionPolicy confines the issuer's ServiceAccount to its own CSRs for
   * `commonName`. Needs Kubernetes 1.30 or later.
   * @default true
   */
  readonly admissionPolicy?: boolean;
  /**
   * Tolerations for both pods, added to the built-in ones for a node without a CNI.
   * @default - only the built-in bootstrap tolerations
   */
  readonly extraTolerations?: readonly k8s.Toleration[];
}

/**
 * Everything one cluster needs so that Flux can install charts from an in-cluster assets server
 * before the cluster has a CNI: the namespaces, the server and its reader, one HelmRepository per
 * repository, and the issuer of Flux's client certificate.
 *
 * Every object names its own namespace. Add it to a chart without a `namespace`: cdk8s would put
 * the chart's on cluster-scoped objects too.
 */
export class AssetsBootstrap extends Construct {
  public readonly server: AssetsServer;
  /** The RoleBinding that lets Flux's certificate read through the pod proxy. */
  public readonly readerBinding: k8s.KubeRoleBinding;
  public readonly helmRepositories: readonly AssetsHelmRepository[];
  public readonly issuer: CertIssuer;

  public constructor(scope: Construct, id: string, props: AssetsBootstrapProps) {
    super(scope, id);
    // Only the fields used are checked: a typed caller may pass richer objects.
    const repositories = props.repositories.map(({ name, namespace, interval }) => ({ name, namespace, interval }));
    validateProps(this, [['repositories', REPOSITORIES, repositories]]);
    const chartNamespace = Chart.of(this).namespace;
    if (chartNamespace !== undefined) {
      throw new Error(`${this.node.path}: the chart's namespace ${JSON.stringify(chartNamespace)} would be put on the bootstrap's cluster-scoped objects too; add it to a chart without a namespace`);
    }
    const repositoryNamespaces = [...new Set(props.repositories.map((repo) => repo.namespace))];

    // The assets server and the issuer run on the host network, which needs "privileged".
    new BootstrapNamespace(this, `Namespace-${props.namespace}`, { name: props.namespace, podSecurity: PodSecurityLevel.PRIVILEGED });
    for (const namespace of repositoryNamespaces.filter((ns) => ns !== props.namespace)) {
      new BootstrapNamespace(this, `Namespace-${namespace}`, { name: namespace });
    }

    this.server = new AssetsServer(this, 'AssetsServer', {
      namespace: props.namespace,
      name: props.serverName,
      image: props.serverImage,
      port: props.serverPort,
      extraTolerations: props.extraTolerations,
    });
    // The API server authenticates a client certificate as the User its CN names.
    this.readerBinding = this.server.grantProxyRead(User.fromName(this, 'Reader', props.commonName));
    this.helmRepositories = props.repositories.map((repo) => new AssetsHelmRepository(this, `HelmRepository-${repo.namespace}-${repo.name}`, {
      ...repo,
      endpoint: props.endpoint,
      server: this.server,
      secretName: props.secretName,
    }));

    this.issuer = new CertIssuer(this, 'CertIssuer', {
      namespace: props.namespace,
      image: props.issuerImage,
      endpoint: props.endpoint,
      apiCA: props.apiCA,
      commonName: props.commonName,
      secretName: props.secretName,
      secretNamespaces: repositoryNamespaces,
      helmRepositories: props.repositories,
      expirationSeconds: props.expirationSeconds,
      keyBits: props.keyBits,
      timeoutSeconds: props.timeoutSeconds,
      renewalSchedule: props.renewalSchedule,
      admissionPolicy: props.admissionPolicy,
      extraTolerations: props.extraTolerations,
    });
  }
}
