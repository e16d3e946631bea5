import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { AssetsHelmRelease, UpgradeRemediation } from './assets-helm-release.ts';
import { AssetsHelmRepository } from './assets-helm-repository.ts';
import { AssetsReaderAccess } from './assets-reader-access.ts';
import { AssetsServer } from './assets-server.ts';
import { BootstrapNamespace, PodSecurityLevel } from './bootstrap-namespace.ts';
import { CertIssuer } from './cert-issuer.ts';
import type { ClusterConfig, ReleaseConfig } from './cluster-config.ts';
import { FluxSync } from './flux-sync.ts';

/** Namespaces a cluster has from the start: a release may use them but the folder must not own them (a prune would delete them). */
const OWN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease', FluxSync.NAMESPACE];

/**
 * How much longer than the issuer's own deadline the Kustomization waits for its health checks:
 * the Job's pod has to be scheduled and started, and the assets pod to become ready.
 */
const HEALTH_CHECK_MARGIN_SECONDS = 120;

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
    const releaseNamespaces = cluster.releases.map((release) => release.namespace).filter((ns) => !OWN_NAMESPACES.includes(ns));
    for (const namespace of new Set([...repositoryNamespaces, ...releaseNamespaces].filter((ns) => ns !== assets.namespace))) {
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
    const repositories = new Map(cluster.repositories.map((repo) => [repo.name, new AssetsHelmRepository(this, `HelmRepository-${repo.namespace}-${repo.name}`, {
      ...repo,
      endpoint: cluster.endpoint,
      server,
      secretName: certificate.secretName,
    })]));

    const releases = new Map<string, AssetsHelmRelease>();
    for (const release of dependencyOrder(cluster.releases)) {
      releases.set(release.name, new AssetsHelmRelease(this, `HelmRelease-${release.namespace}-${release.name}`, {
        ...release,
        repository: repositories.get(release.repository)!,
        dependsOn: release.dependsOn.map((name) => releases.get(name)!),
        installRetries: release.install.retries,
        upgradeRetries: release.upgrade.retries,
        upgradeRemediation: release.upgrade.strategy === 'uninstall' ? UpgradeRemediation.UNINSTALL : UpgradeRemediation.ROLLBACK,
      }));
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

    if (cluster.flux) {
      new FluxSync(this, 'FluxSync', {
        ...cluster.flux,
        timeout: `${cluster.issuer.timeoutSeconds + HEALTH_CHECK_MARGIN_SECONDS}s`,
        // Applied means working: the assets pod serves, and the issuer wrote the Secret every
        // HelmRepository reads. Only objects with stable names: the Kustomization applies itself,
        // and a health check still waiting for the Job it has just pruned (the Job's name changes
        // with its content) would hold every apply until the timeout. Not the HelmRepositories or
        // the releases either: a fix committed while one fails must not wait for the timeout.
        healthChecks: [
          { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: server.namespace, name: server.name },
          ...repositoryNamespaces.map((namespace) => ({ apiVersion: 'v1', kind: 'Secret', namespace, name: certificate.secretName })),
        ],
      });
    }
  }
}

/** The releases with every release after those it depends on (the config has no cycle). */
function dependencyOrder(releases: readonly ReleaseConfig[]): ReleaseConfig[] {
  const ordered: ReleaseConfig[] = [];
  const placed = new Set<string>();
  while (ordered.length < releases.length) {
    const before = ordered.length;
    for (const release of releases) {
      if (!placed.has(release.name) && release.dependsOn.every((name) => placed.has(name))) {
        ordered.push(release);
        placed.add(release.name);
      }
    }
    if (ordered.length === before) throw new Error(`releases with a missing or circular dependsOn: ${releases.filter((r) => !placed.has(r.name)).map((r) => r.name).join(', ')}`);
  }
  return ordered;
}
