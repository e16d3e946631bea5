/**
 * The access doctor checks with SubjectAccessReviews: what RBAC must grant the reader (Flux's
 * certificate) and the issuer, and what it must not, since a Role grown too wide still works and
 * shows nowhere else.
 */
import type { V1ResourceAttributes } from '@kubernetes/client-node';
import type { ClusterConfig } from '../config/cluster-config.ts';
import { assetsPodName, issuerUser } from '../constructs/names.ts';
import { KUBE_APISERVER_CLIENT_SIGNER } from '../contract/issuer-api.ts';

export interface Access {
  /** Whose access this is, as the check's line names it. */
  readonly who: string;
  readonly user: string;
  readonly attributes: V1ResourceAttributes;
  readonly allowed: boolean;
}

/** The access that must hold, and must not, for the reader and the issuer. */
export function expectedAccess(cluster: ClusterConfig): Access[] {
  const { assets, certificate } = cluster;
  const reader = certificate.commonName;
  const issuer = issuerUser(assets.namespace);
  const namespaces = [...new Set(cluster.repositories.map((repo) => repo.namespace))];
  return [
    { who: 'reader', user: reader, allowed: true, attributes: { verb: 'get', resource: 'pods', subresource: 'proxy', name: assetsPodName(assets.name), namespace: assets.namespace } },
    { who: 'reader', user: reader, allowed: false, attributes: { verb: 'get', resource: 'pods', namespace: assets.namespace } },
    { who: 'reader', user: reader, allowed: false, attributes: { verb: 'get', resource: 'secrets', name: certificate.secretName, namespace: assets.namespace } },
    { who: 'issuer', user: issuer, allowed: true, attributes: { verb: 'create', group: 'certificates.k8s.io', resource: 'certificatesigningrequests' } },
    { who: 'issuer', user: issuer, allowed: true, attributes: { verb: 'update', group: 'certificates.k8s.io', resource: 'certificatesigningrequests', subresource: 'approval' } },
    { who: 'issuer', user: issuer, allowed: true, attributes: { verb: 'approve', group: 'certificates.k8s.io', resource: 'signers', name: KUBE_APISERVER_CLIENT_SIGNER } },
    { who: 'issuer', user: issuer, allowed: true, attributes: { verb: 'create', group: 'events.k8s.io', resource: 'events', namespace: assets.namespace } },
    ...namespaces.flatMap((namespace): Access[] => [
      { who: 'issuer', user: issuer, allowed: true, attributes: { verb: 'update', resource: 'secrets', name: certificate.secretName, namespace } },
      { who: 'issuer', user: issuer, allowed: false, attributes: { verb: 'get', resource: 'secrets', name: 'some-other-secret', namespace } },
      { who: 'issuer', user: issuer, allowed: false, attributes: { verb: 'delete', resource: 'secrets', name: certificate.secretName, namespace } },
    ]),
    ...cluster.repositories.map((repo): Access => (
      { who: 'issuer', user: issuer, allowed: true, attributes: { verb: 'patch', group: 'source.toolkit.fluxcd.io', resource: 'helmrepositories', name: repo.name, namespace: repo.namespace } }
    )),
  ];
}
