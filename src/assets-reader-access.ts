import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { AssetsServer } from './assets-server.ts';
import { PART_OF } from './hardening.ts';

export interface AssetsReaderAccessProps {
  /** The server whose single pod the reader may fetch from. */
  readonly server: AssetsServer;
  /** The client certificate's CN: the API server authenticates it as a User of that name. */
  readonly commonName: string;
}

/**
 * What Flux's client certificate may do: `get` on the assets pod's proxy subresource and nothing
 * else, so a leaked certificate reads public charts at worst.
 */
export class AssetsReaderAccess extends Construct {
  public constructor(scope: Construct, id: string, props: AssetsReaderAccessProps) {
    super(scope, id);
    const metadata = { name: `${props.server.name}-reader`, namespace: props.server.namespace, labels: { ...PART_OF } };
    const role = new k8s.KubeRole(this, 'Role', {
      metadata,
      rules: [{ apiGroups: [''], resources: ['pods/proxy'], resourceNames: [props.server.podName], verbs: ['get'] }],
    });
    new k8s.KubeRoleBinding(this, 'Binding', {
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: props.commonName }],
    });
  }
}
