import { BootstrapNamespace, PodSecurityLevel } from '../../src/constructs/bootstrap-namespace.ts';
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
