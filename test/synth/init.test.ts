// init's decisions without a terminal or a file system: which value each setting takes.
import { complete, scaffold } from '../../src/cli/init.ts';
import { UsageError } from '../../src/cli/command-line.ts';
import { parseClusterConfig } from '../../src/config/cluster-config.ts';

const flags = { cluster: 'edge-1', endpoint: 'localhost:7445', 'assets-image': 'ghcr.io/acme/assets:1.0.0' };

describe('GIVEN init without a terminal', () => {
  test('WHEN every required flag is given THEN the namespace takes its default', async () => {
    expect(await complete(flags, undefined)).toEqual({ ...flags, namespace: 'flux-assets' });
  });

  test('WHEN flags are missing THEN a usage error names each of them', async () => {
    await expect(complete({ cluster: 'edge-1' }, undefined)).rejects.toThrow(new UsageError('missing --endpoint, --assets-image (in a terminal, init asks for them)'));
  });
});

describe('GIVEN init in a terminal', () => {
  test('WHEN flags are missing THEN it asks for those alone, offering the defaults, and takes the answers', async () => {
    const asked: [string, string | undefined][] = [];
    const answers = await complete({ cluster: 'edge-1' }, async (question, fallback) => {
      asked.push([question, fallback]);
      return question.startsWith('API server') ? 'localhost:7445' : question.startsWith('Namespace') ? (fallback ?? '') : 'ghcr.io/acme/assets:1.0.0';
    });
    expect(asked.map(([question, fallback]) => [question.split(' ')[0], fallback])).toEqual([['API', undefined], ['Namespace', 'flux-assets'], ['Image', undefined]]);
    expect(answers).toEqual({ ...flags, namespace: 'flux-assets' });
  });

  test('WHEN an answer is empty and there is no default THEN it is missing', async () => {
    await expect(complete({ ...flags, endpoint: undefined }, async () => '')).rejects.toThrow('missing --endpoint');
  });
});

describe('GIVEN the values init writes into the config', () => {
  test('WHEN the endpoint is an IPv6 address in brackets THEN the config holds it as the one string it was, and synth reads it', () => {
    const [config] = scaffold({ ...flags, endpoint: '[fd00::1]:6443', namespace: 'flux-assets', issuerImage: undefined, repositories: ['system=cozy-system', 'apps'], gitUrl: undefined });
    const cluster = parseClusterConfig(config!.path, config!.content);
    expect({ host: cluster.endpoint.serviceHost, port: cluster.endpoint.port }).toEqual({ host: 'fd00::1', port: 6443 });
    expect(cluster.repositories.map(({ name, namespace }) => `${name}=${namespace}`)).toEqual(['system=cozy-system', 'apps=flux-assets']);
  });

  test('WHEN an issuer image is given THEN the config names it, and without one it has no issuer section', () => {
    const configOf = (issuerImage: string | undefined) => {
      const [config] = scaffold({ ...flags, namespace: 'flux-assets', issuerImage, repositories: [], gitUrl: undefined });
      return parseClusterConfig(config!.path, config!.content);
    };
    expect(configOf('ghcr.io/acme/cert-issuer:0.1.0').issuer.image).toBe('ghcr.io/acme/cert-issuer:0.1.0');
    expect(scaffold({ ...flags, namespace: 'flux-assets', issuerImage: undefined, repositories: [], gitUrl: undefined })[0]!.content).not.toContain('issuer:');
    expect(configOf(undefined).issuer.image).toBeUndefined();
  });
});
