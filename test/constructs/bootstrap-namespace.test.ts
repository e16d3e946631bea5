import { BootstrapNamespace, ownedNamespaces, PodSecurityLevel, PREEXISTING_NAMESPACES } from '../../src/constructs/bootstrap-namespace.ts';
import { only, synth } from './synth.ts';

describe('BootstrapNamespace', () => {
  test('GIVEN no podSecurity WHEN synthesized THEN the namespace carries only the part-of label, and Flux may not prune it', () => {
    const namespace = only(synth((chart) => new BootstrapNamespace(chart, 'Ns', { name: 'apps' })), 'Namespace');
    expect(namespace.metadata).toEqual({
      name: 'apps',
      labels: { 'app.kubernetes.io/part-of': 'flux-assets-bootstrap' },
      annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' },
    });
  });

  test('GIVEN a Pod Security level WHEN synthesized THEN it is enforced at the latest version', () => {
    const namespace = only(synth((chart) => new BootstrapNamespace(chart, 'Ns', { name: 'apps', podSecurity: PodSecurityLevel.BASELINE })), 'Namespace');
    expect(namespace.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'baseline',
      'pod-security.kubernetes.io/enforce-version': 'latest',
    });
  });

  test('GIVEN a name that is not a DNS label WHEN constructed THEN the error names the prop and the value', () => {
    expect(() => synth((chart) => new BootstrapNamespace(chart, 'Ns', { name: 'Flux_System' })))
      .toThrow(/\[test\/Ns\] name must be a DNS-1123 label .*\(got "Flux_System"\)/);
  });
});

describe('ownedNamespaces', () => {
  test('GIVEN candidates with repeats WHEN asked THEN each is owned once, in the order given', () => {
    expect(ownedNamespaces(['cozy-system', 'cozy-public', 'cozy-system', 'apps'])).toEqual(['cozy-system', 'cozy-public', 'apps']);
  });

  test("GIVEN Kubernetes' own namespaces and flux-system WHEN asked THEN none is owned: they exist before the bootstrap, and a prune must never reach them", () => {
    expect(PREEXISTING_NAMESPACES).toEqual(['default', 'kube-system', 'kube-public', 'kube-node-lease', 'flux-system']);
    expect(ownedNamespaces(['apps', ...PREEXISTING_NAMESPACES])).toEqual(['apps']);
  });

  test('GIVEN namespaces that exist already WHEN asked THEN they are not owned, and one never asked about changes nothing', () => {
    expect(ownedNamespaces(['cozy-system', 'cozy-public'], ['cozy-system', 'unused'])).toEqual(['cozy-public']);
  });
});
