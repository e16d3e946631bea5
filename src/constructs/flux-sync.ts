import { Construct } from 'constructs';
import { GitRepository } from '../../imports/source.toolkit.fluxcd.io.ts';
import { Kustomization, KustomizationSpecSourceRefKind } from '../../imports/kustomize.toolkit.fluxcd.io.ts';
import { DNS_SUBDOMAIN } from '../contract/issuer-contract.ts';
import { text } from '../contract/schema.ts';
import { PART_OF } from './hardening.ts';
import { FLUX_DURATION, GIT_BRANCH, GIT_URL, REPOSITORY_PATH, validateProps } from '../contract/prop-rules.ts';

/** An object the Kustomization waits for before it reports Ready. */
export interface HealthCheckRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
}

export interface FluxSyncProps {
  /** Git URL of the repository that holds the synthesized folders (https://, ssh:// or http://). */
  readonly url: string;
  /**
   * Branch to follow.
   * @default main
   */
  readonly branch?: string;
  /**
   * Existing Secret in `flux-system` with the repository's credentials (username/password, a
   * token, or an SSH key); the product never writes it, so nothing secret goes into Git.
   * @default - none: a repository that needs no credentials
   */
  readonly secretName?: string;
  /**
   * How often Flux fetches the branch and re-applies the folder.
   * @default 1m
   */
  readonly interval?: string;
  /** The folder in the repository this cluster applies, e.g. `./dist/dev`. */
  readonly path: string;
  /**
   * How long one apply may wait for `healthChecks`; past it the Kustomization reports not Ready.
   * @default 5m
   */
  readonly timeout?: string;
  /**
   * Objects the Kustomization waits for after each apply: what must be working for Flux to call
   * the bootstrap applied.
   * @default - none
   */
  readonly healthChecks?: readonly HealthCheckRef[];
}

/**
 * What ties a cluster to its folder in Git: a GitRepository and a Kustomization in `flux-system`
 * that applies the folder with `prune: true`. They are part of the folder they apply, so once
 * applied the folder manages itself, these two objects included, and every later change is a
 * commit.
 */
export class FluxSync extends Construct {
  /** The namespace flux-aio (and `flux install`) runs in; the sync objects live there. */
  public static readonly NAMESPACE = 'flux-system';
  /** Name of the GitRepository and of the Kustomization. */
  public static readonly NAME = 'flux-assets-bootstrap';

  public constructor(scope: Construct, id: string, props: FluxSyncProps) {
    super(scope, id);
    validateProps(this, [
      ['url', text(GIT_URL), props.url],
      ['branch', text(GIT_BRANCH), props.branch],
      ['secretName', text(DNS_SUBDOMAIN), props.secretName],
      ['interval', text(FLUX_DURATION), props.interval],
      ['path', text(REPOSITORY_PATH), props.path],
      ['timeout', text(FLUX_DURATION), props.timeout],
    ]);
    const metadata = { name: FluxSync.NAME, namespace: FluxSync.NAMESPACE, labels: { ...PART_OF, 'app.kubernetes.io/component': 'flux-sync' } };
    const interval = props.interval ?? '1m';
    new GitRepository(this, 'GitRepository', {
      metadata,
      spec: {
        url: props.url,
        interval,
        ref: { branch: props.branch ?? 'main' },
        ...(props.secretName && { secretRef: { name: props.secretName } }),
      },
    });
    new Kustomization(this, 'Kustomization', {
      metadata,
      spec: {
        interval,
        path: props.path,
        // Whatever leaves the folder leaves the cluster: the old Job of a changed issuer, a
        // removed repository's Role. Without it old objects stay behind.
        prune: true,
        sourceRef: { kind: KustomizationSpecSourceRefKind.GIT_REPOSITORY, name: FluxSync.NAME },
        timeout: props.timeout ?? '5m',
        ...(props.healthChecks?.length && { healthChecks: props.healthChecks.map((ref) => ({ ...ref })) }),
      },
    });
  }
}
