import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { DNS_LABEL } from '../contract/names.ts';
import { object, required, text } from '../contract/settings-schema.ts';
import { FluxSync } from './flux-sync.ts';
import { PART_OF } from './hardening.ts';
import { settleProps } from './props.ts';

const PROPS = object({ name: required(text(DNS_LABEL), 'Namespace name.') });

/**
 * Flux's documented opt-out of garbage collection (kustomize-controller's Kustomization spec,
 * "Prune"): kustomize-controller deletes no object that carries it, in the cluster, as a label or
 * an annotation, when it leaves the folder or when the Kustomization itself is deleted.
 */
const FLUX_PRUNE_DISABLED = { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' } as const;

/**
 * Namespaces every cluster has before the bootstrap: Kubernetes' own, and Flux's, which flux-aio
 * (or `flux install`) creates. The bootstrap puts objects in them but never owns them.
 */
export const PREEXISTING_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease', FluxSync.NAMESPACE];

/**
 * The namespaces of `candidates` that the bootstrap owns and so writes as Namespace objects: each
 * once, in order, but none that exists before it (`existing`, and PREEXISTING_NAMESPACES always).
 * The one place that decides it, for the assets and repository namespaces as for the releases'.
 */
export function ownedNamespaces(candidates: Iterable<string>, existing: Iterable<string> = []): string[] {
  const notOwned = new Set([...PREEXISTING_NAMESPACES, ...existing]);
  return [...new Set(candidates)].filter((namespace) => !notOwned.has(namespace));
}

/** A Pod Security Standards level, enforced on a namespace by label. */
export class PodSecurityLevel {
  /** Needed where a `hostNetwork` pod runs: "baseline" and "restricted" forbid host networking. */
  public static readonly PRIVILEGED = new PodSecurityLevel('privileged');
  public static readonly BASELINE = new PodSecurityLevel('baseline');
  public static readonly RESTRICTED = new PodSecurityLevel('restricted');

  private constructor(
    /** The level as the `pod-security.kubernetes.io/enforce` label's value. */
    public readonly name: string,
  ) {}
}

export interface BootstrapNamespaceProps {
  /** Namespace name. */
  readonly name: string;
  /**
   * Pod Security level to enforce.
   * @default - no label: the cluster's default level applies
   */
  readonly podSecurity?: PodSecurityLevel;
}

/**
 * A namespace the bootstrap owns: it creates it and sets its labels. Which namespaces those are,
 * `ownedNamespaces` decides.
 */
export class BootstrapNamespace extends Construct {
  public constructor(scope: Construct, id: string, props: BootstrapNamespaceProps) {
    super(scope, id);
    const { name } = settleProps(this, PROPS, props);
    const podSecurity: Record<string, string> = props.podSecurity
      ? { 'pod-security.kubernetes.io/enforce': props.podSecurity.name, 'pod-security.kubernetes.io/enforce-version': 'latest' }
      : {};
    new k8s.KubeNamespace(this, 'Resource', {
      // The folder applies itself with `prune: true`, but removing a namespace from the config
      // must never delete it: deleting a Namespace deletes everything in it, the bootstrap's and
      // whatever else was put there since.
      metadata: { name, labels: { ...PART_OF, ...podSecurity }, annotations: { ...FLUX_PRUNE_DISABLED } },
    });
  }
}
