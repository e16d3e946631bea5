import { ApiEndpoint } from '../../src/contract/api-endpoint.ts';
import { AssetsHelmRepository } from '../../src/constructs/assets-helm-repository.ts';
import { AssetsServer } from '../../src/constructs/assets-server.ts';
import { only, SERVER_IMAGE, synth } from './synth.ts';

const endpoint = ApiEndpoint.parse('[fd00::1]:6443');

describe('AssetsHelmRepository', () => {
  test('GIVEN no interval and an IPv6 endpoint WHEN synthesized THEN Flux re-reads every 5m through the bracketed pod proxy URL', () => {
    let url = '';
    const manifests = synth((chart) => {
      const server = new AssetsServer(chart, 'Server', { namespace: 'cozy-system', name: 'assets', image: SERVER_IMAGE });
      url = new AssetsHelmRepository(chart, 'Repo', { name: 'cilium', namespace: 'kube-system', endpoint, server, secretName: 'assets-tls' }).url;
    });
    expect(only(manifests, 'HelmRepository')).toMatchObject({
      metadata: { name: 'cilium', namespace: 'kube-system' },
      spec: { url, interval: '5m', certSecretRef: { name: 'assets-tls' } },
    });
    expect(url).toBe('https://[fd00::1]:6443/api/v1/namespaces/cozy-system/pods/assets-0/proxy/repos/cilium');
  });

  test('GIVEN an interval the CRD refuses and a bad Secret name WHEN constructed THEN the error names both', () => {
    expect(() => synth((chart) => {
      const server = new AssetsServer(chart, 'Server', { namespace: 'cozy-system', name: 'assets', image: SERVER_IMAGE });
      new AssetsHelmRepository(chart, 'Repo', { name: 'cilium', namespace: 'kube-system', endpoint, server, secretName: 'TLS', interval: '5 minutes' });
    })).toThrow(/\[test\/Repo\] interval must be a duration .*\(got "5 minutes"\)\n {2}\[test\/Repo\] secretName must be .*\(got "TLS"\)$/);
  });
});
