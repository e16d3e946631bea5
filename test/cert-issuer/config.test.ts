import { parseCommand } from '../../cert-issuer/src/config.ts';
import { ConfigError, ExitCode } from '../../cert-issuer/src/errors.ts';

const inCluster = { KUBERNETES_SERVICE_HOST: 'localhost', KUBERNETES_SERVICE_PORT: '7445' };
const minimal = ['ensure', '--common-name=reader', '--secret-name=assets-tls', '--namespaces=a,b'];

function configOf(argv: string[], env: Record<string, string> = inCluster) {
  const parsed = parseCommand(argv, env);
  if (parsed.command !== 'ensure') throw new Error('expected ensure');
  return parsed.config;
}

function errorOf(argv: string[], env: Record<string, string> = inCluster): ConfigError {
  try {
    parseCommand(argv, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  test('GIVEN only the required flags WHEN parsed THEN the contract defaults apply', () => {
    const config = configOf(minimal);
    expect(config).toMatchObject({
      commonName: 'reader',
      organization: undefined,
      secretName: 'assets-tls',
      namespaces: ['a', 'b'],
      signerName: 'kubernetes.io/kube-apiserver-client',
      expirationSeconds: 31536000,
      keyBits: 2048,
      timeoutSeconds: 300,
      refreshHelmRepositories: [],
      logFormat: 'json',
      caFile: undefined,
      serviceAccountDir: '/var/run/secrets/kubernetes.io/serviceaccount',
      cluster: { kind: 'in-cluster', server: 'https://localhost:7445' },
    });
  });

  test('GIVEN every flag as env and one as a flag WHEN parsed THEN the flag wins over its env', () => {
    const config = configOf(['--key-bits', '4096'], {
      ...inCluster,
      CERT_ISSUER_COMMON_NAME: 'reader',
      CERT_ISSUER_SECRET_NAME: 'assets-tls',
      CERT_ISSUER_NAMESPACES: 'cozy-system, cozy-public,cozy-system',
      CERT_ISSUER_KEY_BITS: '3072',
      CERT_ISSUER_REFRESH_HELM_REPOSITORIES: 'cozy-system/system,cozy-public/apps',
      CERT_ISSUER_LOG_FORMAT: 'text',
      CERT_ISSUER_SERVICEACCOUNT_DIR: '/tmp/sa',
    });
    expect(config.keyBits).toBe(4096);
    expect(config.namespaces).toEqual(['cozy-system', 'cozy-public']);
    expect(config.refreshHelmRepositories).toEqual([
      { namespace: 'cozy-system', name: 'system' },
      { namespace: 'cozy-public', name: 'apps' },
    ]);
    expect(config.logFormat).toBe('text');
    expect(config.cluster).toEqual({ kind: 'in-cluster', server: 'https://localhost:7445', serviceAccountDir: '/tmp/sa' });
  });

  test('GIVEN several bad flags WHEN parsed THEN one error names every one of them', () => {
    const error = errorOf(['--common-name=system:x', '--secret-name=S', '--namespaces=a', '--key-bits=1', '--colour=red'], inCluster);
    expect(error.message.split('; ').map((problem) => problem.split(':')[0])).toEqual([
      'unknown flag --colour (see --help)', '--common-name', '--secret-name', '--key-bits',
    ]);
  });

  test('GIVEN a dotted secret name, as Secrets allow WHEN parsed THEN it is accepted', () => {
    expect(configOf([...minimal, '--secret-name=flux.tls']).secretName).toBe('flux.tls');
  });

  test('GIVEN --help anywhere WHEN parsed THEN it is the help command', () => {
    expect(parseCommand(['ensure', '--help'], {})).toEqual({ command: 'help' });
  });

  test('GIVEN no in-cluster env WHEN a kubeconfig is given THEN it is used, the flag before KUBECONFIG', () => {
    expect(configOf(minimal, { KUBECONFIG: '/k' }).cluster).toEqual({ kind: 'kubeconfig', path: '/k' });
    expect(configOf([...minimal, '--kubeconfig=/f'], { ...inCluster, KUBECONFIG: '/k' }).cluster).toEqual({
      kind: 'kubeconfig',
      path: '/f',
    });
  });

  test('GIVEN an IPv6 service host WHEN parsed THEN the server URL brackets it', () => {
    const config = configOf(minimal, { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' });
    expect(config.cluster).toMatchObject({ server: 'https://[fd00::1]:443' });
  });

  test.each([
    ['no cluster env at all', minimal, {}, /no cluster to talk to/],
    ['a missing CN', ['--secret-name=s', '--namespaces=a'], inCluster, /--common-name is required \(or env CERT_ISSUER_COMMON_NAME\)/],
    ['a missing secret name', ['--common-name=c', '--namespaces=a'], inCluster, /--secret-name is required/],
    ['no namespaces', ['--common-name=c', '--secret-name=s', '--namespaces=,'], inCluster, /--namespaces/],
    ['a bad namespace', [...minimal, '--namespaces=Bad_NS'], inCluster, /--namespaces: "Bad_NS"/],
    ['a bad secret name', [...minimal, '--secret-name=Not/A/Name'], inCluster, /--secret-name/],
    ['a too short lifetime', [...minimal, '--expiration-seconds=599'], inCluster, /--expiration-seconds: must be an integer from 600 to 2147483647 \(got 599\)/],
    ['a non-numeric lifetime', [...minimal, '--expiration-seconds=1y'], inCluster, /--expiration-seconds: must be a whole number .*\(got "1y"\)/],
    ['a secret name too long for a label value', [...minimal, `--secret-name=${'s'.repeat(64)}`], inCluster, /--secret-name: must be a DNS-1123 subdomain of at most 63 characters/],
    ['an odd key size', [...minimal, '--key-bits=1024'], inCluster, /--key-bits/],
    ['a zero timeout', [...minimal, '--timeout-seconds=0'], inCluster, /--timeout-seconds/],
    ['a bad log format', [...minimal, '--log-format=xml'], inCluster, /--log-format/],
    ['a bad HelmRepository ref', [...minimal, '--refresh-helm-repositories=system'], inCluster, /--refresh-helm-repositories: "system"/],
    ['a bad signer', [...minimal, '--signer-name=client'], inCluster, /--signer-name/],
    ['system:masters', [...minimal, '--organization=system:masters'], inCluster, /--organization/],
    ['an unknown flag', [...minimal, '--colour=red'], inCluster, /unknown flag --colour/],
    ['a stray argument', [...minimal, 'now'], inCluster, /unexpected argument "now"/],
    ['a flag without value', [...minimal, '--organization'], inCluster, /--organization: missing value/],
    ['a bad port', minimal, { KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: 'https' }, /KUBERNETES_SERVICE_PORT/],
  ])('GIVEN %s WHEN parsed THEN a config error (exit 2) names it', (_case, argv, env, message) => {
    const error = errorOf(argv, env as Record<string, string>);
    expect(error.exitCode).toBe(ExitCode.badConfig);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
  });
});
