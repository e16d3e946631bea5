import type { k8s } from 'cdk8s-plus-28';

/**
 * Taints that a node carries while the cluster is still coming up without a CNI. The bootstrap pods
 * must run exactly then, so they tolerate all of them, with every effect.
 */
export const BOOTSTRAP_TOLERATIONS: readonly k8s.Toleration[] = [
  'node.kubernetes.io/not-ready',
  'node.kubernetes.io/unreachable',
  'node.kubernetes.io/network-unavailable',
  'node.cloudprovider.kubernetes.io/uninitialized',
  'node-role.kubernetes.io/control-plane',
  'node.cilium.io/agent-not-ready',
].map((key) => ({ key, operator: 'Exists' }));
