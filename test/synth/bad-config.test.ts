import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfigError, parseClusterConfig } from '../../src/config/cluster-config.ts';
import { loadClusterConfigs } from '../../src/cli/synth.ts';
import { BAD_CONFIGS, BAD_YAML, devText, devWith } from './bad-configs.ts';

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
  test.each([...BAD_CONFIGS, ...BAD_YAML].map((bad) => [bad.what, bad] as const))('WHEN it has %s THEN the error names the file and the field', (_, bad) => {
    const lines = errorFor(bad.text).split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(bad.message);
  });

  test.each(BAD_CONFIGS.filter((bad) => bad.secret !== undefined).map((bad) => [bad.what, bad] as const))('WHEN it has %s THEN the error does not show the credential, nor any part of it', (_, bad) => {
    const message = errorFor(bad.text);
    expect(message).toContain('***@');
    for (const part of bad.secret!.split(/[/:@-]/).filter((p) => p.length >= 4)) expect(message).not.toContain(part);
  });

  test('WHEN the file name is not a DNS-1123 label THEN the error says it names the cluster', () => {
    expect(errorFor(devText, 'clusters/Dev_Cluster.yaml')).toContain(
      'clusters/Dev_Cluster.yaml: the file name "Dev_Cluster" names the cluster and its dist/ folder, so it must be a DNS-1123 label',
    );
  });
});

describe('GIVEN a cluster config with several mistakes', () => {
  test('WHEN fields are wrong in different sections THEN every one is reported at once', () => {
    const message = errorFor(devWith((c) => { c.assets.port = 0; c.certificate.expirationSeconds = 60; }));
    expect(message.split('\n')).toEqual([
      'clusters/dev.yaml: assets.port: must be an integer from 1024 to 65535 (got 0)',
      'clusters/dev.yaml: certificate.expirationSeconds: must be an integer from 600 to 2147483647 (got 60)',
    ]);
  });

  test('WHEN a list item is wrong and another duplicates a name THEN both are reported at once', () => {
    const message = errorFor(devWith((c) => { c.repositories[0].namespace = 'Bad'; c.repositories.push({ name: 'apps', namespace: 'cozy-system' }); }));
    expect(message).toContain('repositories[0].namespace: must be a DNS-1123 label');
    expect(message).toContain('repositories[3].name: duplicates repositories[1].name "apps"');
  });

  test('WHEN the CA file is missing and another field is wrong THEN both are reported at once', () => {
    const message = errorFor(devWith((c) => { c.apiCAFile = 'ca/missing.pem'; c.assets.port = 1; }));
    expect(message).toContain('assets.port: must be an integer');
    expect(message).toContain('apiCAFile: cannot read "ca/missing.pem"');
  });

  test('WHEN a toleration breaks a field rule and a cross-field rule THEN both are reported at once', () => {
    const message = errorFor(devWith((c) => { c.tolerations = [{ key: 'bad key', operator: 'Exists', value: 'v', effect: 'NoSchedule', tolerationSeconds: 5 }]; }));
    expect(message.split('\n')).toEqual([
      expect.stringContaining('tolerations[0].key: must be a qualified name'),
      expect.stringContaining('tolerations[0].value: must be empty when operator is Exists'),
      expect.stringContaining('tolerations[0].effect: must be NoExecute when tolerationSeconds is set'),
    ]);
  });

  test('WHEN node selector keys and values are wrong THEN each is reported at its key', () => {
    const message = errorFor(devWith((c) => { c.nodeSelector = { 'Example.com/pool': 'bootstrap', zone: 'eu 1', 'kubernetes.io/os': 'linux' }; }));
    expect(message.split('\n')).toEqual([
      expect.stringContaining('nodeSelector.Example.com/pool: key must be a qualified name'),
      expect.stringContaining('nodeSelector.zone: must be a label value'),
    ]);
  });
});

describe('GIVEN a clusters folder', () => {
  let folder: string;
  beforeEach(() => { folder = mkdtempSync(join(tmpdir(), 'fab-clusters-')); });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  test('WHEN two files name the same cluster THEN the error names both files', () => {
    writeFileSync(join(folder, 'dev.yaml'), devText);
    writeFileSync(join(folder, 'dev.yml'), devText);
    expect(() => loadClusterConfigs([join(folder, 'dev.yaml'), join(folder, 'dev.yml')])).toThrow(
      `${join(folder, 'dev.yml')}: names the same cluster "dev" as ${join(folder, 'dev.yaml')}: each cluster has exactly one config file`,
    );
  });

  test('WHEN two files are bad THEN the problems of both are reported in one run', () => {
    writeFileSync(join(folder, 'dev.yaml'), devWith((c) => { c.assets.port = 1; }));
    writeFileSync(join(folder, 'prod.yaml'), devWith((c) => { c.certificate.keyBits = 1; }));
    expect(() => loadClusterConfigs([join(folder, 'dev.yaml'), join(folder, 'prod.yaml')])).toThrow(
      `${join(folder, 'dev.yaml')}: assets.port: must be an integer from 1024 to 65535 (got 1)\n${join(folder, 'prod.yaml')}: certificate.keyBits: must be one of 2048, 3072, 4096 (got 1)`,
    );
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
    ['--disable-warning=ExperimentalWarning', '--experimental-transform-types', join(process.cwd(), 'src/cli/main.ts')],
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
