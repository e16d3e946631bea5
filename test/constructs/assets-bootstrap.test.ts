import { readdirSync } from 'node:fs';
import { App, Chart, Testing } from 'cdk8s';
import { ApiEndpoint } from '../../src/contract/api-endpoint.ts';
import { AssetsBootstrap, type AssetsBootstrapProps } from '../../src/constructs/assets-bootstrap.ts';
import { loadClusterConfig } from '../../src/config/cluster-config.ts';
import { FluxAssetsBootstrap } from '../../src/constructs/flux-assets-bootstrap.ts';
import { FluxSync } from '../../src/constructs/flux-sync.ts';
import { PREEXISTING_NAMESPACES } from '../../src/constructs/bootstrap-namespace.ts';
import { ISSUER_IMAGE, SERVER_IMAGE, synth } from './synth.ts';

const props: AssetsBootstrapProps = {
  endpoint: ApiEndpoint.parse('api.example.org:6443'),
  assets: { namespace: 'cozy-system', name: 'assets', image: SERVER_IMAGE },
  repositories: [{ name: 'cilium', namespace: 'kube-system' }, { name: 'cozystack', namespace: 'cozy-system' }],
  certificate: { commonName: 'flux-reader', secretName: 'assets-tls' },
  issuer: { image: ISSUER_IMAGE },
};

describe('AssetsBootstrap', () => {
  describe('GIVEN props in the shape of the config with repositories in two namespaces', () => {
    let bootstrap: AssetsBootstrap | undefined;
    const manifests = synth((chart) => {
      bootstrap = new AssetsBootstrap(chart, 'Bootstrap', props);
    });

    test('WHEN synthesized THEN the assets namespace is written, labelled privileged, and kube-system, which every cluster has, is not', () => {
      const labels = Object.fromEntries(manifests.filter((m) => m.kind === 'Namespace')
        .map((m) => [m.metadata.name, m.metadata.labels!['pod-security.kubernetes.io/enforce']]));
      expect(labels).toEqual({ 'cozy-system': 'privileged' });
      expect(manifests.find((m) => m.kind === 'HelmRepository' && m.metadata.namespace === 'kube-system')).toBeDefined();
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

  test.each(PREEXISTING_NAMESPACES)('GIVEN a repository in %s, which the cluster has before the bootstrap WHEN synthesized THEN no Namespace of that name is written, but its HelmRepository and the issuer\'s Role are', (namespace) => {
    const manifests = synth((chart) => new AssetsBootstrap(chart, 'Bootstrap', { ...props, repositories: [{ name: 'charts', namespace }] }));
    expect(manifests.filter((m) => m.kind === 'Namespace').map((m) => m.metadata.name)).toEqual(['cozy-system']);
    expect(manifests.filter((m) => m.metadata.namespace === namespace).map((m) => m.kind).sort()).toEqual(['HelmRepository', 'Role', 'RoleBinding']);
  });

  describe('GIVEN the assets namespace and a repository namespace among existingNamespaces', () => {
    const manifests = synth((chart) => new AssetsBootstrap(chart, 'Bootstrap', {
      ...props,
      repositories: [...props.repositories, { name: 'apps', namespace: 'cozy-public' }, { name: 'extra', namespace: 'cozy-extra' }],
      existingNamespaces: ['cozy-system', 'cozy-public', 'never-used'],
    }));

    test('WHEN synthesized THEN only the namespace it owns is written: none the cluster had, so no label is set on them and no prune can reach them', () => {
      expect(manifests.filter((m) => m.kind === 'Namespace').map((m) => m.metadata)).toEqual([{
        name: 'cozy-extra',
        labels: { 'app.kubernetes.io/part-of': 'flux-assets-bootstrap' },
        annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' },
      }]);
    });

    test('WHEN synthesized THEN the server, its reader and the issuer are still in the assets namespace', () => {
      const inAssets = new Set(manifests.filter((m) => m.metadata.namespace === 'cozy-system').map((m) => m.kind));
      expect([...inAssets].sort()).toEqual(['CronJob', 'HelmRepository', 'Job', 'Role', 'RoleBinding', 'Service', 'ServiceAccount', 'StatefulSet']);
      expect(manifests.filter((m) => m.metadata.namespace === 'cozy-public').map((m) => m.kind).sort()).toEqual(['HelmRepository', 'Role', 'RoleBinding']);
    });
  });

  test('GIVEN a cluster config WHEN it is the props THEN the construct synthesizes what the chart does, but the releases and the Flux sync', () => {
    const cluster = loadClusterConfig('clusters/prod.yaml');
    const chart = new FluxAssetsBootstrap(new App(), 'prod', { cluster });
    const onlyTheFolder = new Set(['HelmRelease', 'GitRepository', 'Kustomization']);
    const bootstrapNamespaces = new Set([cluster.assets.namespace, ...cluster.repositories.map((repo) => repo.namespace)]);
    const bootstrapObjects = Testing.synth(chart).filter((obj: any) =>
      !onlyTheFolder.has(obj.kind) && (obj.kind !== 'Namespace' || bootstrapNamespaces.has(obj.metadata.name)));
    expect(synth((own) => new AssetsBootstrap(own, 'Bootstrap', cluster))).toEqual(bootstrapObjects);
  });

  test('GIVEN a chart with a namespace WHEN the app is synthesized THEN it refuses, as cdk8s would namespace the cluster-scoped objects', () => {
    const app = Testing.app();
    new AssetsBootstrap(new Chart(app, 'apps', { namespace: 'apps' }), 'Bootstrap', props);
    expect(() => app.synth()).toThrow('[apps/Bootstrap] the chart\'s namespace "apps" would be put on the bootstrap\'s cluster-scoped objects too');
  });

  test('GIVEN two repositories of one name WHEN the app is synthesized THEN the error names the duplicate', () => {
    const repositories = [{ name: 'cilium', namespace: 'kube-system' }, { name: 'cilium', namespace: 'cozy-system' }];
    expect(() => synth((chart) => new AssetsBootstrap(chart, 'Bootstrap', { ...props, repositories })))
      .toThrow('[test/Bootstrap] repositories[1].name duplicates repositories[0].name "cilium": each repository is served at /repos/<name> only once');
  });

  test('GIVEN bad props in several constructs of one app WHEN it is synthesized THEN one error lists each, naming its construct, prop and value, and nothing is written', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'apps');
    new AssetsBootstrap(chart, 'Bootstrap', { ...props, assets: { ...props.assets, port: 80 } });
    new AssetsBootstrap(chart, 'Other', { ...props, certificate: { ...props.certificate, secretName: 'TLS' } });
    new FluxSync(chart, 'Sync', { url: 'git.example.org/fleet.git', path: './dist/apps' });
    expect(() => app.synth()).toThrow(new RegExp([
      'Validation failed with the following errors:',
      '  \\[apps/Bootstrap\\] assets\\.port must be an integer from 1024 to 65535 \\(got 80\\)',
      '  \\[apps/Other\\] certificate\\.secretName must be a DNS-1123 subdomain .*\\(got "TLS"\\)',
      '  \\[apps/Sync\\] url must be an http://.*\\(got "git.example.org/fleet.git"\\)$',
    ].join('\n')));
    expect(readdirSync(app.outdir)).toEqual([]);
  });
});
