import { Construct } from 'constructs';
import { HelmRelease, HelmReleaseSpecChartSpecSourceRefKind, HelmReleaseSpecUpgradeRemediationStrategy } from '../../imports/helm.toolkit.fluxcd.io.ts';
import { RELEASE_FIELDS } from '../contract/settings.ts';
import { type Input, object } from '../contract/settings-schema.ts';
import type { AssetsHelmRepository } from './assets-helm-repository.ts';
import { PART_OF } from './hardening.ts';
import { settleProps } from './props.ts';

// A library app names the repository and the releases it depends on by their constructs.
const { repository: _repositoryName, dependsOn: _releaseNames, ...RELEASE_SETTINGS } = RELEASE_FIELDS;
const PROPS = object(RELEASE_SETTINGS);

const UPGRADE_STRATEGIES = {
  rollback: HelmReleaseSpecUpgradeRemediationStrategy.ROLLBACK,
  uninstall: HelmReleaseSpecUpgradeRemediationStrategy.UNINSTALL,
} as const;

/** One of the config's `releases`, with its repository and the releases it depends on as constructs. */
export type AssetsHelmReleaseProps = Input<typeof PROPS> & {
  /** The assets repository the chart comes from. */
  readonly repository: AssetsHelmRepository;
  /** Releases that must be Ready before this one is installed or upgraded (none by default). */
  readonly dependsOn?: readonly AssetsHelmRelease[];
};

/**
 * A Flux HelmRelease that installs a chart from an assets repository: the first charts of a
 * cluster without a CNI (the CNI among them) come from the in-cluster assets server, through the
 * repository's pod proxy URL and client certificate.
 */
export class AssetsHelmRelease extends Construct {
  public readonly name: string;
  public readonly namespace: string;

  public constructor(scope: Construct, id: string, props: AssetsHelmReleaseProps) {
    super(scope, id);
    const settings = settleProps(this, PROPS, props);
    this.name = settings.name;
    this.namespace = settings.namespace;
    const { repository } = props;
    new HelmRelease(this, 'Resource', {
      metadata: { name: settings.name, namespace: settings.namespace, labels: { ...PART_OF, 'app.kubernetes.io/component': 'helm-release' } },
      spec: {
        interval: settings.interval,
        chart: {
          spec: {
            chart: settings.chart,
            version: settings.version,
            sourceRef: { kind: HelmReleaseSpecChartSpecSourceRefKind.HELM_REPOSITORY, name: repository.name, namespace: repository.namespace },
          },
        },
        install: { remediation: { retries: settings.install.retries } },
        upgrade: {
          remediation: {
            retries: settings.upgrade.retries,
            strategy: UPGRADE_STRATEGIES[settings.upgrade.strategy],
            // Also remediate the last failed attempt, so a release never stays half upgraded.
            remediateLastFailure: true,
          },
        },
        ...(settings.values && { values: settings.values }),
        ...(props.dependsOn?.length && { dependsOn: props.dependsOn.map((release) => ({ name: release.name, namespace: release.namespace })) }),
      },
    });
  }
}
