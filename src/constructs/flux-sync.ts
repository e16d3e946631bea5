import { Construct } from 'constructs';
import { GitRepository } from '../../imports/source.toolkit.fluxcd.io.ts';
import { Kustomization, KustomizationSpecSourceRefKind } from '../../imports/kustomize.toolkit.fluxcd.io.ts';
import { FLUX_DURATION } from '../contract/formats.ts';
import { FLUX_FIELDS } from '../contract/settings.ts';
import { type Input, object, optional, required, text } from '../contract/settings-schema.ts';
import { PART_OF } from './hardening.ts';
import { FLUX_NAMESPACE, FLUX_SYNC_NAME } from './names.ts';
import { settleProps } from './props.ts';

/** An object the Kustomization waits for before it reports Ready. */
export interface HealthCheckRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
}

const PROPS = object({
  ...FLUX_FIELDS,
  // The folder is the cluster's: the config derives it from the file name, a library app names it.
  path: required(FLUX_FIELDS.path.schema, FLUX_FIELDS.path.doc),
  timeout: optional(text(FLUX_DURATION), 'How long one apply may wait for `healthChecks`; past it the Kustomization reports not Ready.', '5m'),
});

/**
 * The config's `flux` section (with its folder), and what the Kustomization waits for after each
 * apply: what must be working for Flux to call the bootstrap applied (none by default).
 */
export type FluxSyncProps = Input<typeof PROPS> & { readonly healthChecks?: readonly HealthCheckRef[] };

/**
 * What ties a cluster to its folder in Git: a GitRepository and a Kustomization in `flux-system`
 * that applies the folder with `prune: true`. They are part of the folder they apply, so once
 * applied the folder manages itself, these two objects included, and every later change is a
 * commit.
 */
export class FluxSync extends Construct {
  /** The namespace flux-aio (and `flux install`) runs in; the sync objects live there. */
  public static readonly NAMESPACE = FLUX_NAMESPACE;
  /** Name of the GitRepository and of the Kustomization. */
  public static readonly NAME = FLUX_SYNC_NAME;

  public constructor(scope: Construct, id: string, props: FluxSyncProps) {
    super(scope, id);
    const settings = settleProps(this, PROPS, props);
    const metadata = { name: FluxSync.NAME, namespace: FluxSync.NAMESPACE, labels: { ...PART_OF, 'app.kubernetes.io/component': 'flux-sync' } };
    const { interval } = settings;
    new GitRepository(this, 'GitRepository', {
      metadata,
      spec: {
        url: settings.url,
        interval,
        ref: { branch: settings.branch },
        ...(settings.secretName && { secretRef: { name: settings.secretName } }),
      },
    });
    new Kustomization(this, 'Kustomization', {
      metadata,
      spec: {
        interval,
        path: settings.path,
        // Whatever leaves the folder leaves the cluster: the old Job of a changed issuer, a
        // removed repository's Role. Without it old objects stay behind.
        prune: true,
        sourceRef: { kind: KustomizationSpecSourceRefKind.GIT_REPOSITORY, name: FluxSync.NAME },
        timeout: settings.timeout,
        ...(props.healthChecks?.length && { healthChecks: props.healthChecks.map((ref) => ({ ...ref })) }),
      },
    });
  }
}
