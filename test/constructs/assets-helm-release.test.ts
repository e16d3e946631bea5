import { ApiEndpoint } from '../../src/contract/api-endpoint.ts';
import { AssetsHelmRelease } from '../../src/constructs/assets-helm-release.ts';
import { AssetsHelmRepository } from '../../src/constructs/assets-helm-repository.ts';
import { AssetsServer } from '../../src/constructs/assets-server.ts';
import type { Chart } from 'cdk8s';
import { SERVER_IMAGE, synth } from './synth.ts';

function repository(chart: Chart): AssetsHelmRepository {
  const server = new AssetsServer(chart, 'Server', { namespace: 'cozy-system', name: 'assets', image: SERVER_IMAGE });
  return new AssetsHelmRepository(chart, 'Repo', { name: 'system', namespace: 'cozy-system', endpoint: ApiEndpoint.parse('localhost:7445'), server, secretName: 'assets-tls' });
}

describe('AssetsHelmRelease', () => {
  test('GIVEN a release that depends on another WHEN synthesized THEN it installs from the repository object, after the other, with the default range and remediation', () => {
    const manifests = synth((chart) => {
      const repo = repository(chart);
      const cni = new AssetsHelmRelease(chart, 'Cni', { name: 'cilium', namespace: 'kube-system', repository: repo, chart: 'cilium' });
      new AssetsHelmRelease(chart, 'Addon', { name: 'addon', namespace: 'cozy-addons', repository: repo, chart: 'addon', dependsOn: [cni], upgrade: { strategy: 'uninstall' } });
    });
    const addon = manifests.find((m) => m.kind === 'HelmRelease' && m.metadata.name === 'addon')!;
    expect(addon.spec).toEqual({
      interval: '5m',
      chart: { spec: { chart: 'addon', version: '*', sourceRef: { kind: 'HelmRepository', name: 'system', namespace: 'cozy-system' } } },
      install: { remediation: { retries: 3 } },
      upgrade: { remediation: { retries: 3, strategy: 'uninstall', remediateLastFailure: true } },
      dependsOn: [{ name: 'cilium', namespace: 'kube-system' }],
    });
  });

  test('GIVEN a range source-controller cannot parse and a release name past Helm\'s 53 characters WHEN the app is synthesized THEN the error names both with their values', () => {
    const longName = 'a'.repeat(54);
    expect(() => synth((chart) => new AssetsHelmRelease(chart, 'Rel', { name: longName, namespace: 'apps', repository: repository(chart), chart: 'app', version: '1.2.3-01' })))
      .toThrow(new RegExp(`\\[test/Rel\\] name must be .*\\(got "${longName}"\\)\n  \\[test/Rel\\] version must be a semver range .*: constraint parser error \\(got "1.2.3-01"\\)$`));
  });
});
