import { loadClusterConfig } from '../../src/config/cluster-config.ts';
import { expectedAccess } from '../../src/doctor/access.ts';

test('GIVEN the dev cluster WHEN listing the access to check THEN the reader gets exactly one proxy, and the issuer one Secret per namespace, a patch of each HelmRepository and Events in its namespace', () => {
  const access = expectedAccess(loadClusterConfig('clusters/dev.yaml'));
  const allowed = access.filter((a) => a.allowed).map((a) => `${a.user} ${a.attributes.verb} ${a.attributes.resource}/${a.attributes.subresource ?? ''} ${a.attributes.name ?? ''} ${a.attributes.namespace ?? ''}`.trim());
  expect(allowed).toEqual([
    'cozystack-assets-reader get pods/proxy cozystack-assets-0 cozy-system',
    'system:serviceaccount:cozy-system:cert-issuer create certificatesigningrequests/',
    'system:serviceaccount:cozy-system:cert-issuer update certificatesigningrequests/approval',
    'system:serviceaccount:cozy-system:cert-issuer approve signers/ kubernetes.io/kube-apiserver-client',
    'system:serviceaccount:cozy-system:cert-issuer create events/  cozy-system',
    'system:serviceaccount:cozy-system:cert-issuer update secrets/ cozystack-assets-tls cozy-system',
    'system:serviceaccount:cozy-system:cert-issuer update secrets/ cozystack-assets-tls cozy-public',
    'system:serviceaccount:cozy-system:cert-issuer patch helmrepositories/ system cozy-system',
    'system:serviceaccount:cozy-system:cert-issuer patch helmrepositories/ apps cozy-public',
    'system:serviceaccount:cozy-system:cert-issuer patch helmrepositories/ extra cozy-public',
  ]);
  // Per Secret namespace: another Secret's read and the own Secret's delete.
  expect(access.filter((a) => !a.allowed)).toHaveLength(6);
});
