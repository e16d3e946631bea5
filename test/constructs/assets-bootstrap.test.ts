import { App, Chart, Testing } from 'cdk8s';
import { ApiEndpoint } from '../../src/contract/api-endpoint.ts';
import { AssetsBootstrap, type AssetsBootstrapProps } from '../../src/constructs/assets-bootstrap.ts';
import { loadClusterConfig } from '../../src/config/cluster-config.ts';
import { assetsBootstrapProps, FluxAssetsBootstrap } from '../../src/constructs/flux-assets-bootstrap.ts';
import { ISSUER_IMAGE, SERVER_IMAGE, synth } from './synth.ts';

const props: AssetsBootstrapProps = {
  endpoint: ApiEndpoint.parse('api.example.org:6443'),
  namespace: 'cozy-system',
  serverName: 'assets',
  serverImage: SERVER_IMAGE,
  repositories: [{ name: 'cilium', namespace: 'kube-system' }, { name: 'cozystack', namespace: 'cozy-system' }],
  commonName: 'flux-reader',
  secretName: 'assets-tls',
  issuerImage: ISSUER_IMAGE,
};

describe('AssetsBootstrap', () => {
  describe('GIVEN flat props with repositories in two namespaces', () => {
    let bootstrap: AssetsBootstrap | undefined;
    const manifests = synth((chart) => {
      bootstrap = new AssetsBootstrap(chart, 'Bootstrap', props);
    });

    test('WHEN synthesized THEN only the assets namespace is labelled privileged', () => {
      const labels = Object.fromEntries(manifests.filter((m) => m.kind === 'Namespace')
        .map((m) => [m.metadata.name, m.metadata.labels!['pod-security.kubernetes.io/enforce']]));
      expect(labels).toEqual({ 'cozy-system': 'privileged', 'kube-system': undefined });
    });

    test("WHEN synthesized THEN Flux's certificate CN is the one reader, and each repository has its HelmRepository", () => {
      const reader = manifests.find((m) => m.kind === 'RoleBinding' && m.metadata.name === 'assets-reader');
      expect(reader!.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'flux-reader' }]);
      expect(bootstrap!.helmRepositories.map((repo) => repo.url)).toEqual([
        'https://api.example.org:6443/api/v1/namespaces/cozy-system/pods/assets-0/proxy/repos/cilium',
        'https://api.example.org:6443/api/v1/namespaces/cozy-system/pods/assets-0/proxy/repos/cozystack',
      ]);
    });
  });

  test('GIVEN a cluster config WHEN its props are built THEN the construct synthesizes what the chart does, but the releases and the Flux sync', () => {
    const cluster = loadClusterConfig('clusters/prod.yaml');
    const chart = new FluxAssetsBootstrap(new App(), 'prod', { cluster });
    const onlyTheFolder = new Set(['HelmRelease', 'GitRepository', 'Kustomization']);
    const bootstrapNamespaces = new Set([cluster.assets.namespace, ...cluster.repositories.map((repo) => repo.namespace)]);
    const bootstrapObjects = Testing.synth(chart).filter((obj: any) =>
      !onlyTheFolder.has(obj.kind) && (obj.kind !== 'Namespace' || bootstrapNamespaces.has(obj.metadata.name)));
    expect(synth((own) => new AssetsBootstrap(own, 'Bootstrap', assetsBootstrapProps(cluster)))).toEqual(bootstrapObjects);
  });

  test('GIVEN a chart with a namespace WHEN constructed THEN it refuses, as cdk8s would namespace the cluster-scoped objects', () => {
    const chart = new Chart(Testing.app(), 'apps', { namespace: 'apps' });
    expect(() => new AssetsBootstrap(chart, 'Bootstrap', props)).toThrow('apps/Bootstrap: the chart\'s namespace "apps" would be put on the bootstrap\'s cluster-scoped objects too');
  });

  test('GIVEN two repositories of one name WHEN constructed THEN the error names the duplicate', () => {
    const repositories = [{ name: 'cilium', namespace: 'kube-system' }, { name: 'cilium', namespace: 'cozy-system' }];
    expect(() => synth((chart) => new AssetsBootstrap(chart, 'Bootstrap', { ...props, repositories })))
      .toThrow('test/Bootstrap: invalid props: repositories[1].name duplicates repositories[0].name "cilium": each repository is served at /repos/<name> only once');
  });
});
