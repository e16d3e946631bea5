import { Construct } from 'constructs';
import { HelmRelease, HelmReleaseSpecChartSpecSourceRefKind, HelmReleaseSpecUpgradeRemediationStrategy } from '../../imports/helm.toolkit.fluxcd.io.ts';
import type { AssetsHelmRepository } from './assets-helm-repository.ts';
import { DNS_LABEL } from '../contract/issuer-contract.ts';
import { integer, text } from '../contract/schema.ts';
import { PART_OF } from './hardening.ts';
import { CHART_NAME, CHART_VERSION_RANGE, FLUX_DURATION, RELEASE_NAME, REMEDIATION_RETRIES, validateProps } from '../contract/prop-rules.ts';

/** What helm-controller does with a release whose upgrade failed past its retries. */
export class UpgradeRemediation {
  /** Roll back to the last release that worked. */
  public static readonly ROLLBACK = new UpgradeRemediation(HelmReleaseSpecUpgradeRemediationStrategy.ROLLBACK);
  /** Uninstall the release, so the next attempt installs afresh. */
  public static readonly UNINSTALL = new UpgradeRemediation(HelmReleaseSpecUpgradeRemediationStrategy.UNINSTALL);

  private constructor(public readonly strategy: HelmReleaseSpecUpgradeRemediationStrategy) {}
}

export interface AssetsHelmReleaseProps {
  /** Release name, also the HelmRelease's name. */
  readonly name: string;
  /** Namespace of the HelmRelease and of the release it installs. */
  readonly namespace: string;
  /** The assets repository the chart comes from. */
  readonly repository: AssetsHelmRepository;
  /** Chart name in the repository's index. */
  readonly chart: string;
  /**
   * Semver range of the chart version. Flux's `*` skips pre-releases; write a range with a
   * pre-release part, such as `>=0.0.0-0`, to take them too.
   * @default * - the newest version that is not a pre-release
   */
  readonly version?: string;
  /**
   * How often helm-controller checks the release and the chart.
   * @default 5m
   */
  readonly interval?: string;
  /**
   * Values passed to the chart.
   * @default - the chart's own defaults
   */
  readonly values?: Readonly<Record<string, unknown>>;
  /**
   * Releases that must be Ready before this one is installed or upgraded.
   * @default - none
   */
  readonly dependsOn?: readonly AssetsHelmRelease[];
  /**
   * Install retries after a failed install; each failed attempt is uninstalled first.
   * @default 3
   */
  readonly installRetries?: number;
  /**
   * Upgrade retries after a failed upgrade.
   * @default 3
   */
  readonly upgradeRetries?: number;
  /**
   * What to do once the upgrade retries are spent.
   * @default UpgradeRemediation.ROLLBACK
   */
  readonly upgradeRemediation?: UpgradeRemediation;
}

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
    validateProps(this, [
      ['name', text(RELEASE_NAME), props.name],
      ['namespace', text(DNS_LABEL), props.namespace],
      ['chart', text(CHART_NAME), props.chart],
      ['version', CHART_VERSION_RANGE, props.version],
      ['interval', text(FLUX_DURATION), props.interval],
      ['installRetries', integer(REMEDIATION_RETRIES), props.installRetries],
      ['upgradeRetries', integer(REMEDIATION_RETRIES), props.upgradeRetries],
    ]);
    this.name = props.name;
    this.namespace = props.namespace;
    const { repository } = props;
    new HelmRelease(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: { ...PART_OF, 'app.kubernetes.io/component': 'helm-release' } },
      spec: {
        interval: props.interval ?? '5m',
        chart: {
          spec: {
            chart: props.chart,
            version: props.version ?? '*',
            sourceRef: { kind: HelmReleaseSpecChartSpecSourceRefKind.HELM_REPOSITORY, name: repository.name, namespace: repository.namespace },
          },
        },
        install: { remediation: { retries: props.installRetries ?? 3 } },
        upgrade: {
          remediation: {
            retries: props.upgradeRetries ?? 3,
            strategy: (props.upgradeRemediation ?? UpgradeRemediation.ROLLBACK).strategy,
            // Also remediate the last failed attempt, so a release never stays half upgraded.
            remediateLastFailure: true,
          },
        },
        ...(props.values && { values: props.values }),
        ...(props.dependsOn?.length && { dependsOn: props.dependsOn.map((release) => ({ name: release.name, namespace: release.namespace })) }),
      },
    });
  }
}
