// The GitOps objects a cluster config synthesizes: the Flux sync of its own folder and the
// HelmReleases from the assets repositories.
import { parse } from 'yaml';
import { parseClusterConfig } from '../../src/config/cluster-config.ts';
import { renderCluster } from '../../src/cli/synth.ts';
import { devWith } from './bad-configs.ts';

/** The manifests synthesized from the dev example with `change` applied to its parsed form. */
function synthDev(change: (config: any) => void = () => undefined): any[] {
  const files = renderCluster(parseClusterConfig('clusters/dev.yaml', devWith(change)));
  return files.filter((file) => !file.path.endsWith('/kustomization.yaml')).map((file) => parse(file.content));
}

const byKind = (manifests: any[], kind: string) => manifests.filter((m) => m.kind === kind);

describe('GIVEN the dev example with its flux section', () => {
  const manifests = synthDev();
  const [gitRepository] = byKind(manifests, 'GitRepository');
  const [kustomization] = byKind(manifests, 'Kustomization');

  test('WHEN synthesized THEN a GitRepository follows the branch, without credentials', () => {
    expect(gitRepository.metadata).toMatchObject({ name: 'flux-assets-bootstrap', namespace: 'flux-system' });
    expect(gitRepository.spec).toEqual({ url: 'https://git.example.org/fleet/clusters.git', interval: '1m', ref: { branch: 'main' } });
  });

  test('WHEN synthesized THEN the Kustomization applies ./dist/dev with prune, past the issuer\'s deadline, waiting for every Secret', () => {
    expect(kustomization.spec).toEqual({
      interval: '1m',
      path: './dist/dev',
      prune: true,
      sourceRef: { kind: 'GitRepository', name: 'flux-assets-bootstrap' },
      timeout: '420s', // issuer.timeoutSeconds 300 + 120
      healthChecks: [
        { apiVersion: 'v1', kind: 'Secret', namespace: 'cozy-system', name: 'cozystack-assets-tls' },
        { apiVersion: 'v1', kind: 'Secret', namespace: 'cozy-public', name: 'cozystack-assets-tls' },
      ],
    });
  });

  test('WHEN the issuer\'s image changes THEN the Job gets a new name but the Kustomization stays the same', () => {
    // The Kustomization applies itself: a health check naming the pruned Job would wait for it.
    const changed = synthDev((c) => { c.issuer.image = 'ghcr.io/example/flux-assets-bootstrap/cert-issuer:0.1.1'; });
    expect(byKind(changed, 'Job')[0].metadata.name).not.toBe(byKind(manifests, 'Job')[0].metadata.name);
    expect(byKind(changed, 'Kustomization')).toEqual([kustomization]);
  });

  test('WHEN the assets server moves to another namespace and name THEN the Kustomization stays the same', () => {
    // Its old StatefulSet is pruned by the same apply that would start health-checking the old list.
    const moved = synthDev((c) => { c.assets.namespace = 'cozy-assets'; c.assets.name = 'assets'; });
    expect(byKind(moved, 'StatefulSet')[0].metadata).toMatchObject({ namespace: 'cozy-assets', name: 'assets' });
    expect(byKind(moved, 'Kustomization')).toEqual([kustomization]);
  });
});

describe('GIVEN a flux section with every field', () => {
  const manifests = synthDev((c) => {
    c.flux = { url: 'ssh://git@git.example.org/fleet.git', branch: 'release/1.x', secretName: 'fleet-key', interval: '5m', path: './clusters/dev/dist' };
  });

  test('WHEN synthesized THEN the GitRepository names the auth Secret and the Kustomization the path', () => {
    expect(byKind(manifests, 'GitRepository')[0].spec).toEqual({
      url: 'ssh://git@git.example.org/fleet.git', interval: '5m', ref: { branch: 'release/1.x' }, secretRef: { name: 'fleet-key' },
    });
    expect(byKind(manifests, 'Kustomization')[0].spec).toMatchObject({ interval: '5m', path: './clusters/dev/dist' });
  });
});

describe('GIVEN a repository and a release in flux-system, which flux-aio owns', () => {
  const manifests = synthDev((c) => {
    c.repositories.push({ name: 'flux-charts', namespace: 'flux-system' });
    c.releases.push({ name: 'flux-extra', namespace: 'flux-system', repository: 'flux-charts', chart: 'demo-extra' });
  });

  test('WHEN synthesized THEN the folder holds no Namespace flux-system, which removing them again would prune, but the HelmRepository, its Secret\'s Role and the release are there', () => {
    expect(byKind(manifests, 'Namespace').map((n) => n.metadata.name)).not.toContain('flux-system');
    expect(manifests.filter((m) => m.metadata.namespace === 'flux-system').map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual([
      'GitRepository/flux-assets-bootstrap', 'HelmRelease/flux-extra', 'HelmRepository/flux-charts', 'Kustomization/flux-assets-bootstrap',
      'Role/cert-issuer', 'RoleBinding/cert-issuer',
    ]);
  });
});

describe('GIVEN a release in a namespace among existingNamespaces', () => {
  test('WHEN synthesized THEN the folder holds no Namespace of that name, but the release is there', () => {
    const manifests = synthDev((c) => { c.existingNamespaces = ['cozy-demo']; });
    expect(byKind(manifests, 'Namespace').map((n) => n.metadata.name)).toEqual(['cozy-public', 'cozy-system']);
    expect(byKind(manifests, 'HelmRelease').map((r) => `${r.metadata.namespace}/${r.metadata.name}`)).toEqual(['cozy-demo/demo']);
  });
});

describe('GIVEN a config without a flux section', () => {
  test('WHEN synthesized THEN there are no sync objects', () => {
    const manifests = synthDev((c) => { delete c.flux; });
    expect(manifests.filter((m) => ['GitRepository', 'Kustomization'].includes(m.kind))).toEqual([]);
  });
});

describe('GIVEN releases', () => {
  const manifests = synthDev((c) => {
    c.releases = [
      // Listed before the release it depends on: the order of the config does not matter.
      { name: 'api', namespace: 'cozy-system', repository: 'apps', chart: 'cozystack-api', dependsOn: ['cni'], values: { replicas: 2, nested: { on: true } } },
      { name: 'cni', namespace: 'kube-system', repository: 'system', chart: 'cilium', version: '>=1.16.0-0', install: { retries: 0 }, upgrade: { retries: 1, strategy: 'uninstall' } },
      { name: 'extra', namespace: 'cozy-extra', repository: 'extra', chart: 'demo-extra' },
    ];
  });
  const release = (name: string) => byKind(manifests, 'HelmRelease').find((m) => m.metadata.name === name);

  test('WHEN synthesized THEN each HelmRelease installs from its repository\'s HelmRepository, across namespaces', () => {
    expect(release('api').metadata.namespace).toBe('cozy-system');
    expect(release('api').spec.chart.spec).toEqual({ chart: 'cozystack-api', version: '*', sourceRef: { kind: 'HelmRepository', name: 'apps', namespace: 'cozy-public' } });
    expect(release('cni').spec.chart.spec.sourceRef).toEqual({ kind: 'HelmRepository', name: 'system', namespace: 'cozy-system' });
    const repositories = byKind(manifests, 'HelmRepository').map((r) => `${r.metadata.namespace}/${r.metadata.name}`);
    for (const hr of byKind(manifests, 'HelmRelease')) {
      const { name, namespace } = hr.spec.chart.spec.sourceRef;
      expect(repositories).toContain(`${namespace}/${name}`);
    }
  });

  test('WHEN synthesized THEN values, dependsOn and the remediation come through, with defaults where unset', () => {
    expect(release('api').spec.values).toEqual({ replicas: 2, nested: { on: true } });
    expect(release('api').spec.dependsOn).toEqual([{ name: 'cni', namespace: 'kube-system' }]);
    expect(release('api').spec.install).toEqual({ remediation: { retries: 3 } });
    expect(release('api').spec.upgrade).toEqual({ remediation: { retries: 3, strategy: 'rollback', remediateLastFailure: true } });
    expect(release('cni').spec.chart.spec.version).toBe('>=1.16.0-0');
    expect(release('cni').spec.install).toEqual({ remediation: { retries: 0 } });
    expect(release('cni').spec.upgrade).toEqual({ remediation: { retries: 1, strategy: 'uninstall', remediateLastFailure: true } });
    expect(release('cni').spec.dependsOn).toBeUndefined();
    expect(release('extra').spec.values).toBeUndefined();
  });

  test('WHEN synthesized THEN a new release namespace gets a Namespace and kube-system does not (a prune would delete it)', () => {
    const namespaces = byKind(manifests, 'Namespace').map((n) => n.metadata.name);
    expect(namespaces).toContain('cozy-extra');
    expect(namespaces).not.toContain('kube-system');
    expect(namespaces.filter((n) => n === 'cozy-system')).toHaveLength(1);
  });

  test('WHEN synthesized THEN every GitOps object carries its component label, which a kubectl selector can leave out', () => {
    for (const m of manifests) {
      const expected = { HelmRelease: 'helm-release', GitRepository: 'flux-sync', Kustomization: 'flux-sync' }[m.kind as string];
      if (expected) expect(m.metadata.labels).toMatchObject({ 'app.kubernetes.io/component': expected, 'app.kubernetes.io/part-of': 'flux-assets-bootstrap' });
      else expect(['helm-release', 'flux-sync']).not.toContain(m.metadata.labels?.['app.kubernetes.io/component']);
    }
  });
});
