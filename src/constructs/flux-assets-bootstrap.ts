import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { asChecked } from '../contract/settings-schema.ts';
import { AssetsBootstrap } from './assets-bootstrap.ts';
import { AssetsHelmRelease } from './assets-helm-release.ts';
import { BootstrapNamespace, ownedNamespaces } from './bootstrap-namespace.ts';
import type { ClusterConfig, ReleaseSettings } from '../contract/settings.ts';
import { FluxSync } from './flux-sync.ts';

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
 * The bootstrap of one `clusters/<name>.yaml`: what `npm run synth` writes to `dist/<name>/`. The
 * AssetsBootstrap construct, plus what only a whole folder in Git has: the releases installed from
 * its repositories, and the Flux sync objects that apply the folder.
 */
export class FluxAssetsBootstrap extends Chart {
  public constructor(scope: Construct, id: string, props: FluxAssetsBootstrapProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { cluster } = props;
    // The loaded config is checked already, and holds the bootstrap's sections in its own shape.
    const bootstrap = new AssetsBootstrap(this, 'Bootstrap', cluster);

    // A release's namespace exists already when it existed before the bootstrap, or when the
    // bootstrap has it, owned or not.
    const bootstrapNamespaces = [cluster.assets.namespace, ...cluster.repositories.map((repo) => repo.namespace)];
    for (const namespace of ownedNamespaces(cluster.releases.map((release) => release.namespace), [...cluster.existingNamespaces, ...bootstrapNamespaces])) {
      new BootstrapNamespace(this, `Namespace-${namespace}`, { name: namespace });
    }

    const repositories = new Map(bootstrap.helmRepositories.map((repo) => [repo.name, repo]));
    const releases = new Map<string, AssetsHelmRelease>();
    for (const release of dependencyOrder(cluster.releases)) {
      releases.set(release.name, new AssetsHelmRelease(this, `HelmRelease-${release.namespace}-${release.name}`, asChecked({
        ...release,
        repository: repositories.get(release.repository)!,
        dependsOn: release.dependsOn.map((name) => releases.get(name)!),
      })));
    }

    if (cluster.flux) {
      const secretNamespaces = [...new Set(cluster.repositories.map((repo) => repo.namespace))];
      new FluxSync(this, 'FluxSync', asChecked({
        ...cluster.flux,
        timeout: `${cluster.issuer.timeoutSeconds + HEALTH_CHECK_MARGIN_SECONDS}s`,
        // Applied means the issuer wrote the Secret every HelmRepository reads. Only objects no
        // config change prunes: the Kustomization applies itself but health-checks the list of the
        // spec it started with, so a check on an object the same apply pruned (the Job, whose name
        // changes with its content; the assets StatefulSet, when the server moves) would hold it
        // until the timeout. The issuer's Secrets are never Flux's to prune. Not the HelmRepositories
        // or the releases either: a fix committed while one fails must not wait for the timeout;
        // each reports its own Ready, the assets server's state among it.
        healthChecks: secretNamespaces.map((namespace) => ({ apiVersion: 'v1', kind: 'Secret', namespace, name: cluster.certificate.secretName })),
      }));
    }
  }
}

/** The releases with every release after those it depends on (the config has no cycle). */
function dependencyOrder(releases: readonly ReleaseSettings[]): ReleaseSettings[] {
  const ordered: ReleaseSettings[] = [];
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
