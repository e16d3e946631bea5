import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { AssetsHelmRepository } from './assets-helm-repository.ts';
import { AssetsReaderAccess } from './assets-reader-access.ts';
import { AssetsServer } from './assets-server.ts';
import { BootstrapNamespace, PodSecurityLevel } from './bootstrap-namespace.ts';
import { CertIssuer } from './cert-issuer.ts';
import type { ClusterConfig } from './cluster-config.ts';

export interface FluxAssetsBootstrapProps {
  /** The validated config of the cluster to bootstrap. */
  readonly cluster: ClusterConfig;
}

/**
 * Everything one cluster needs so that Flux can install charts from an in-cluster assets server
 * before the cluster has a CNI. The chart sets no namespace of its own: cdk8s would put it on
 * cluster-scoped objects too, so every namespaced object names its namespace.
 */
export class FluxAssetsBootstrap extends Chart {
  public constructor(scope: Construct, id: string, props: FluxAssetsBootstrapProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { cluster } = props;
    const { assets, certificate } = cluster;
    const repositoryNamespaces = [...new Set(cluster.repositories.map((repo) => repo.namespace))];

    // The assets server and the issuer run on the host network, which needs "privileged".
    new BootstrapNamespace(this, `Namespace-${assets.namespace}`, { name: assets.namespace, podSecurity: PodSecurityLevel.PRIVILEGED });
    for (const namespace of repositoryNamespaces.filter((ns) => ns !== assets.namespace)) {
      new BootstrapNamespace(this, `Namespace-${namespace}`, { name: namespace });
    }

    const server = new AssetsServer(this, 'AssetsServer', {
      namespace: assets.namespace,
      name: assets.name,
      image: assets.image,
      port: assets.port,
      extraTolerations: cluster.tolerations,
    });
    new AssetsReaderAccess(this, 'ReaderAccess', { server, commonName: certificate.commonName });
    for (const repo of cluster.repositories) {
      new AssetsHelmRepository(this, `HelmRepository-${repo.namespace}-${repo.name}`, {
        ...repo,
        endpoint: cluster.endpoint,
        server,
        secretName: certificate.secretName,
      });
    }

    new CertIssuer(this, 'CertIssuer', {
      namespace: assets.namespace,
      image: cluster.issuer.image,
      endpoint: cluster.endpoint,
      apiCA: cluster.apiCA,
      commonName: certificate.commonName,
      secretName: certificate.secretName,
      secretNamespaces: repositoryNamespaces,
      helmRepositories: cluster.repositories,
      expirationSeconds: certificate.expirationSeconds,
      keyBits: certificate.keyBits,
      timeoutSeconds: cluster.issuer.timeoutSeconds,
      renewalSchedule: cluster.issuer.renewalSchedule,
      admissionPolicy: cluster.issuer.admissionPolicy,
      extraTolerations: cluster.tolerations,
    });
  }
}
