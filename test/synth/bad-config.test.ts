import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ClusterConfigError, parseClusterConfig } from '../../src/cluster-config.ts';

const devText = readFileSync('clusters/dev.yaml', 'utf8');

/** The dev config with `change` applied to its parsed form. */
function devWith(change: (config: any) => void): string {
  const config = parse(devText);
  change(config);
  return stringify(config);
}

function errorFor(text: string, file = 'clusters/dev.yaml'): string {
  try {
    parseClusterConfig(file, text);
  } catch (error) {
    expect(error).toBeInstanceOf(ClusterConfigError);
    return (error as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('GIVEN a cluster config with one mistake', () => {
  test.each<[string, string, string]>([
    ['an invalid DNS-1123 namespace', devWith((c) => { c.assets.namespace = 'Cozy_System'; }),
      'clusters/dev.yaml: assets.namespace: must be a DNS-1123 label'],
    ['an invalid repository name', devWith((c) => { c.repositories[1].name = 'apps.v2'; }),
      'clusters/dev.yaml: repositories[1].name: must be a DNS-1123 label'],
    ['a StatefulSet name too long for its pod name', devWith((c) => { c.assets.name = 'a'.repeat(62); }),
      'clusters/dev.yaml: assets.name: must be a DNS-1123 label'],
    ['an assets name starting with a digit', devWith((c) => { c.assets.name = '1assets'; }),
      'clusters/dev.yaml: assets.name: must start with a letter, because it also names a Service'],
    ['an invalid Secret name', devWith((c) => { c.certificate.secretName = 'TLS'; }),
      'clusters/dev.yaml: certificate.secretName: must be a DNS-1123 subdomain'],
    ['an endpoint without a port', devWith((c) => { c.endpoint = 'api.example.org'; }),
      'clusters/dev.yaml: endpoint: must be host:port, without a scheme or path (got "api.example.org")'],
    ['an endpoint with a scheme', devWith((c) => { c.endpoint = 'https://api.example.org:6443'; }),
      'clusters/dev.yaml: endpoint: must be host:port, without a scheme or path'],
    ['an endpoint port out of range', devWith((c) => { c.endpoint = 'localhost:70000'; }),
      'clusters/dev.yaml: endpoint: port must be from 1 to 65535 (got 70000)'],
    ['an assets port out of range', devWith((c) => { c.assets.port = 70000; }),
      'clusters/dev.yaml: assets.port: must be an integer from 1024 to 65535 (got 70000)'],
    ['a privileged assets port the non-root server cannot bind', devWith((c) => { c.assets.port = 80; }),
      'clusters/dev.yaml: assets.port: must be an integer from 1024 to 65535 (got 80)'],
    ['an unpinned assets image', devWith((c) => { c.assets.image = 'ghcr.io/cozystack/assets'; }),
      'clusters/dev.yaml: assets.image: must be pinned by digest (@sha256:...) or tag'],
    ['an issuer image on the latest tag', devWith((c) => { c.issuer.image = 'ghcr.io/example/cert-issuer:latest'; }),
      'clusters/dev.yaml: issuer.image: must be pinned by digest or by a tag other than "latest"'],
    ['a duplicate repository', devWith((c) => { c.repositories.push({ name: 'apps', namespace: 'cozy-system' }); }),
      'clusters/dev.yaml: repositories[3].name: duplicates repositories[1]'],
    ['no repositories', devWith((c) => { c.repositories = []; }),
      'clusters/dev.yaml: repositories: must list at least 1 item(s)'],
    ['a lifetime under 600 s', devWith((c) => { c.certificate.expirationSeconds = 599; }),
      'clusters/dev.yaml: certificate.expirationSeconds: must be an integer from 600 to 2147483647 (got 599)'],
    ['an unsupported key size', devWith((c) => { c.certificate.keyBits = 1024; }),
      'clusters/dev.yaml: certificate.keyBits: must be one of 2048, 3072, 4096 (got 1024)'],
    ['a CN reserved for Kubernetes identities', devWith((c) => { c.certificate.commonName = 'system:kube-controller-manager'; }),
      'clusters/dev.yaml: certificate.commonName: must not start with "system:"'],
    ['an admission policy switch that is a string', devWith((c) => { c.issuer.admissionPolicy = 'false'; }),
      'clusters/dev.yaml: issuer.admissionPolicy: must be true or false (got "false")'],
    ['an unknown top-level field', devWith((c) => { c.endpoints = 'localhost:7445'; }),
      'clusters/dev.yaml: endpoints: unknown field (allowed: endpoint, apiCAFile, assets, repositories, certificate, issuer, tolerations)'],
    ['an unknown nested field', devWith((c) => { c.certificate.lifetime = 600; }),
      'clusters/dev.yaml: certificate.lifetime: unknown field'],
    ['a missing required field', devWith((c) => { delete c.certificate.commonName; }),
      'clusters/dev.yaml: certificate.commonName: is required'],
    ['a field of the wrong type', devWith((c) => { c.assets = 'cozy-system'; }),
      'clusters/dev.yaml: assets: must be a mapping (got "cozy-system")'],
    ['an interval that is not a Go duration', devWith((c) => { c.repositories[0].interval = '5 minutes'; }),
      'clusters/dev.yaml: repositories[0].interval: must be a Go duration such as 5m or 1h30m'],
    ['a toleration with an invalid effect', devWith((c) => { c.tolerations = [{ key: 'x', effect: 'Never' }]; }),
      'clusters/dev.yaml: tolerations[0].effect: must be one of NoSchedule, PreferNoSchedule, NoExecute (got "Never")'],
    ['a CA file that does not exist', devWith((c) => { c.apiCAFile = 'ca/missing.pem'; }),
      'clusters/dev.yaml: apiCAFile: cannot read "ca/missing.pem" (relative to the config file)'],
    ['a CA file that holds no certificate', devWith((c) => { c.apiCAFile = 'dev.yaml'; }),
      'clusters/dev.yaml: apiCAFile: "dev.yaml" holds no PEM certificate'],
    ['a renewal schedule that is not cron', devWith((c) => { c.issuer.renewalSchedule = 'every 6 hours'; }),
      'clusters/dev.yaml: issuer.renewalSchedule: must be a cron schedule with 5 fields'],
    ['malformed YAML', 'endpoint: localhost:7445\nassets: [unclosed\n',
      'clusters/dev.yaml: line 3, column 1: invalid YAML'],
    ['a duplicated key', `${devText}\nendpoint: localhost:6443\n`,
      'clusters/dev.yaml: line 21, column 1: invalid YAML: Map keys must be unique'],
    ['an empty file', '', 'clusters/dev.yaml: (top level): must be a mapping (got null)'],
  ])('WHEN it has %s THEN the error names the file and the field', (_, text, message) => {
    expect(errorFor(text)).toContain(message);
  });

  test('WHEN the file name is not a DNS-1123 label THEN the error says it names the cluster', () => {
    expect(errorFor(devText, 'clusters/Dev_Cluster.yaml')).toContain(
      'clusters/Dev_Cluster.yaml: the file name "Dev_Cluster" must be a DNS-1123 label',
    );
  });

  test('WHEN it has several mistakes THEN every one is reported at once', () => {
    const message = errorFor(devWith((c) => { c.assets.port = 0; c.certificate.expirationSeconds = 60; }));
    expect(message.split('\n')).toEqual([
      'clusters/dev.yaml: assets.port: must be an integer from 1024 to 65535 (got 0)',
      'clusters/dev.yaml: certificate.expirationSeconds: must be an integer from 600 to 2147483647 (got 60)',
    ]);
  });
});

describe('GIVEN a project whose dist/ holds an earlier synth', () => {
  let project: string;

  beforeEach(() => {
    project = mkdtempSync(join(tmpdir(), 'fab-synth-'));
    cpSync('clusters', join(project, 'clusters'), { recursive: true });
    cpSync('dist', join(project, 'dist'), { recursive: true });
  });
  afterEach(() => rmSync(project, { recursive: true, force: true }));

  const synth = () => spawnSync(process.execPath,
    ['--disable-warning=ExperimentalWarning', '--experimental-transform-types', join(process.cwd(), 'src/main.ts')],
    { cwd: project, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  const snapshotOfDist = () => execFileSync('find', ['dist', '-type', 'f', '-exec', 'sha256sum', '{}', '+'], { cwd: project, encoding: 'utf8' });

  test('WHEN one config is invalid THEN synth exits 1, names the file and field, and dist/ is untouched', () => {
    const before = snapshotOfDist();
    writeFileSync(join(project, 'clusters/prod.yaml'), devWith((c) => { c.assets.port = 70000; }));

    const result = synth();

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('clusters/prod.yaml: assets.port: must be an integer from 1024 to 65535 (got 70000)');
    expect(result.stderr).toContain('synth: failed; the output folder was left as it was');
    expect(snapshotOfDist()).toBe(before);
  });

  test('WHEN every config is valid THEN synth reproduces the committed dist/ byte for byte', () => {
    const before = snapshotOfDist();
    const result = synth();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(snapshotOfDist()).toBe(before);
  });
});
