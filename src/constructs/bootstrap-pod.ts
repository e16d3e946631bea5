import { k8s } from 'cdk8s-plus-28';
import { type ASSETS, POD_FIELDS, type TolerationSettings } from '../contract/settings.ts';
import { object, type Output } from '../contract/settings-schema.ts';

/** The pod settings of the cluster config, shared by the assets server and the issuer. */
export const POD = object(POD_FIELDS);
export type PodSettings = Output<typeof POD>;

/**
 * Taints that a node carries while the cluster is still coming up without a CNI. The bootstrap pods
 * must run exactly then, so they tolerate all of them, with every effect.
 */
const BOOTSTRAP_TOLERATIONS: readonly k8s.Toleration[] = [
  'node.kubernetes.io/not-ready',
  'node.kubernetes.io/unreachable',
  'node.kubernetes.io/network-unavailable',
  'node.cloudprovider.kubernetes.io/uninitialized',
  'node-role.kubernetes.io/control-plane',
  'node.cilium.io/agent-not-ready',
].map((key) => ({ key, operator: 'Exists' }));

/** The pod settings among `settings`, to hand on to a bootstrap pod's construct. */
export function podSettingsOf(settings: PodSettings): PodSettings {
  return Object.fromEntries(Object.keys(POD.fields).map((key) => [key, settings[key as keyof PodSettings]])) as PodSettings;
}

/** Where a bootstrap pod may run and how it pulls: the fields of its pod spec that the pod settings decide. */
export function bootstrapPodPlacement(pod: PodSettings): Pick<k8s.PodSpec, 'tolerations' | 'nodeSelector' | 'priorityClassName' | 'imagePullSecrets'> {
  return {
    tolerations: [...BOOTSTRAP_TOLERATIONS, ...pod.tolerations.map(withOperator)],
    priorityClassName: pod.priorityClassName,
    // None is no field: cdk8s would write an empty selector or list as `{}` or `[]`.
    nodeSelector: Object.keys(pod.nodeSelector).length > 0 ? pod.nodeSelector : undefined,
    imagePullSecrets: pod.imagePullSecrets.length > 0 ? pod.imagePullSecrets.map((name) => ({ name })) : undefined,
  };
}

/**
 * The toleration with its operator written out: the API's default is Equal, which with no key is
 * refused and with a key but no value matches only an empty value. The config's default is what
 * a user means by leaving it out: Equal when a value is given, else Exists.
 */
function withOperator(toleration: TolerationSettings): k8s.Toleration {
  return { ...toleration, operator: toleration.operator ?? (toleration.value === undefined ? 'Exists' : 'Equal') };
}

/**
 * A bootstrap pod's `resources` setting (the server's or the issuer's) as its container's
 * requirements; what the setting leaves out is not written.
 */
export function containerResources(resources: Output<typeof ASSETS>['resources']): k8s.ResourceRequirements {
  const quantities = (amounts: Readonly<Record<string, string | undefined>> | undefined) => amounts && Object.fromEntries(Object.entries(amounts)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, amount]) => [name, k8s.Quantity.fromString(amount)]));
  return { requests: quantities(resources.requests), limits: quantities(resources.limits) };
}
