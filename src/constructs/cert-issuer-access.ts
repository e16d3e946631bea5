import { type IServiceAccount, k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { HelmRepositoryRef } from '../contract/issuer-flags.ts';
import { PART_OF } from './hardening.ts';
import { bindingSubject, roleRef } from './rbac.ts';

export interface CertIssuerAccessProps {
  /** The issuer's ServiceAccount, which every binding names. */
  readonly serviceAccount: IServiceAccount;
  /** The only signer the issuer may approve for. */
  readonly signerName: string;
  /** The TLS Secret's name; the issuer may touch no other Secret. */
  readonly secretName: string;
  /** Every namespace that gets a copy of the Secret. */
  readonly secretNamespaces: readonly string[];
  /**
   * HelmRepositories the issuer may annotate after a renewal.
   * @default - none
   */
  readonly helmRepositories?: readonly HelmRepositoryRef[];
}

/**
 * The issuer's least privilege in RBAC: exactly the verbs the program uses. Cluster-wide it may
 * only handle CSRs and approve for one signer; per namespace, read and replace its one Secret,
 * create Secrets, and patch its HelmRepositories; in its own namespace, create Events. RBAC cannot
 * narrow `create` by name or content, approval and delete to the CSR's requester, or a patch to a
 * field; the issuer's admission policies (CsrAdmissionPolicy, SecretAdmissionPolicy,
 * HelmRepositoryAdmissionPolicy, EventAdmissionPolicy) do.
 */
export class CertIssuerAccess extends Construct {
  public constructor(scope: Construct, id: string, props: CertIssuerAccessProps) {
    super(scope, id);
    const subject = bindingSubject(props.serviceAccount);
    // Cluster-scoped names are shared by every issuer in the cluster, so they carry the namespace.
    const clusterName = `flux-assets-bootstrap:${subject.namespace}:${subject.name}`;
    const labels = { ...PART_OF };

    const clusterRole = new k8s.KubeClusterRole(this, 'ClusterRole', {
      metadata: { name: clusterName, labels },
      rules: [
        { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
        { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/approval'], verbs: ['update'] },
        { apiGroups: ['certificates.k8s.io'], resources: ['signers'], resourceNames: [props.signerName], verbs: ['approve'] },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
      metadata: { name: clusterName, labels },
      roleRef: roleRef(clusterRole),
      subjects: [subject],
    });

    // Its Events go to its own namespace, which need not hold a copy of the Secret.
    const ownNamespace = subject.namespace!;
    for (const namespace of new Set([...props.secretNamespaces, ownNamespace])) {
      const repositories = (props.helmRepositories ?? []).filter((repo) => repo.namespace === namespace).map((repo) => repo.name);
      const metadata = { name: subject.name, namespace, labels };
      const role = new k8s.KubeRole(this, `Role-${namespace}`, {
        metadata,
        rules: [
          ...(props.secretNamespaces.includes(namespace)
            ? [
              { apiGroups: [''], resources: ['secrets'], resourceNames: [props.secretName], verbs: ['get', 'update'] },
              { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
            ]
            : []),
          ...(repositories.length > 0
            ? [{ apiGroups: ['source.toolkit.fluxcd.io'], resources: ['helmrepositories'], resourceNames: repositories, verbs: ['patch'] }]
            : []),
          ...(namespace === ownNamespace ? [{ apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] }] : []),
        ],
      });
      new k8s.KubeRoleBinding(this, `RoleBinding-${namespace}`, {
        metadata,
        roleRef: roleRef(role),
        subjects: [subject],
      });
    }
  }
}
