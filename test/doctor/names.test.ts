// doctor finds the live objects from the config alone, through src/constructs/names.ts; the
// constructs get there from their props. Both roads must end at the same objects.
import { Testing } from 'cdk8s';
import { loadClusterConfig } from '../../src/config/cluster-config.ts';
import { FluxAssetsBootstrap } from '../../src/constructs/flux-assets-bootstrap.ts';
import { assetsPodName, ISSUER_POLICY_RESOURCES, issuerPolicyName, issuerUser, podProxyPath, RENEWAL_CRONJOB_NAME } from '../../src/constructs/names.ts';
import { ISSUER_SERVICE_ACCOUNT_NAME } from '../../src/contract/issuer-api.ts';
import type { Manifest } from '../constructs/synth.ts';

describe('GIVEN the dev cluster synthesized', () => {
  const cluster = loadClusterConfig('clusters/dev.yaml');
  const manifests: Manifest[] = Testing.synth(new FluxAssetsBootstrap(Testing.app(), 'dev', { cluster }));
  const { namespace } = cluster.assets;
  const find = (kind: string, name: string, inNamespace?: string) =>
    manifests.filter((m) => m.kind === kind && m.metadata.name === name && m.metadata.namespace === inNamespace);

  test("WHEN doctor names the assets pod THEN it is the one pod of the StatefulSet, and the one the reader's Role allows", () => {
    const pod = assetsPodName(cluster.assets.name);
    expect(find('StatefulSet', cluster.assets.name, namespace).map((m) => m.spec.replicas)).toEqual([1]);
    const readerRole = manifests.find((m) => m.kind === 'Role' && m.rules?.[0]?.resources?.includes('pods/proxy'));
    expect(readerRole!.rules).toEqual([expect.objectContaining({ resourceNames: [pod], verbs: ['get'] })]);
  });

  test('WHEN doctor builds the proxy URL of each repository THEN it is the URL of its HelmRepository', () => {
    const pod = assetsPodName(cluster.assets.name);
    for (const repo of cluster.repositories) {
      expect(find('HelmRepository', repo.name, repo.namespace).map((m) => m.spec.url)).toEqual([cluster.endpoint.url(podProxyPath(namespace, pod, repo.name))]);
    }
  });

  test('WHEN doctor tells how to re-run the issuer THEN the CronJob it names exists in the assets namespace', () => {
    expect(find('CronJob', RENEWAL_CRONJOB_NAME, namespace)).toHaveLength(1);
  });

  test.each(ISSUER_POLICY_RESOURCES)("WHEN doctor names the issuer's user and its %s policy THEN the policy and its binding carry those names", (resource) => {
    const name = issuerPolicyName(namespace, ISSUER_SERVICE_ACCOUNT_NAME, resource);
    expect(find('ServiceAccount', ISSUER_SERVICE_ACCOUNT_NAME, namespace)).toHaveLength(1);
    const [policy] = find('ValidatingAdmissionPolicy', name);
    expect(policy!.spec.matchConditions).toEqual([{ name: 'issuer', expression: `request.userInfo.username == ${JSON.stringify(issuerUser(namespace))}` }]);
    expect(find('ValidatingAdmissionPolicyBinding', name).map((m) => m.spec.policyName)).toEqual([name]);
  });
});
