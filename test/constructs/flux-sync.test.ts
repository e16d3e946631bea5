import { FluxSync } from '../../src/constructs/flux-sync.ts';
import { only, synth } from './synth.ts';

describe('FluxSync', () => {
  test('GIVEN only a URL and a path WHEN synthesized THEN the GitRepository follows main every minute and the Kustomization prunes, with a 5m timeout and no health checks', () => {
    const manifests = synth((chart) => new FluxSync(chart, 'Sync', { url: 'https://git.example.org/fleet.git', path: './dist/dev' }));
    expect(only(manifests, 'GitRepository')).toMatchObject({
      metadata: { name: 'flux-assets-bootstrap', namespace: 'flux-system' },
      spec: { url: 'https://git.example.org/fleet.git', interval: '1m', ref: { branch: 'main' } },
    });
    expect(only(manifests, 'GitRepository').spec.secretRef).toBeUndefined();
    expect(only(manifests, 'Kustomization').spec).toEqual({
      interval: '1m', path: './dist/dev', prune: true, timeout: '5m',
      sourceRef: { kind: 'GitRepository', name: 'flux-assets-bootstrap' },
    });
  });

  test('GIVEN a URL without a scheme, a branch with a space and a path with ".." WHEN constructed THEN the error names all three with their values', () => {
    expect(() => synth((chart) => new FluxSync(chart, 'Sync', { url: 'git.example.org/fleet.git', branch: 'my branch', path: '../dist/dev' })))
      .toThrow(/\[test\/Sync\] url must be an http:\/\/.*\(got "git.example.org\/fleet.git"\)\n {2}\[test\/Sync\] branch must be a branch name .*\(got "my branch"\)\n {2}\[test\/Sync\] path must be a folder .*\(got "..\/dist\/dev"\)$/);
  });

  test('GIVEN a URL with a token WHEN constructed THEN the error names the prop and says where the credential belongs, without showing it', () => {
    let message = '';
    try {
      synth((chart) => new FluxSync(chart, 'Sync', { url: 'https://x-access-token:ghs_s3cr3tT0ken@github.com/example/fleet.git', path: './dist/dev' }));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/\[test\/Sync\] url must be an http:\/\/.* belongs in the Secret named by flux\.secretName, created by hand in flux-system \(got "https:\/\/\*\*\*@github\.com\/example\/fleet\.git"\)$/);
    expect(message).not.toContain('s3cr3t');
  });

  test('GIVEN an ssh URL with a user but no password WHEN synthesized THEN it is taken as it is', () => {
    const manifests = synth((chart) => new FluxSync(chart, 'Sync', { url: 'ssh://git@git.example.org:2222/fleet.git', path: './dist/dev', secretName: 'deploy-key' }));
    expect(only(manifests, 'GitRepository').spec).toMatchObject({ url: 'ssh://git@git.example.org:2222/fleet.git', secretRef: { name: 'deploy-key' } });
  });
});
