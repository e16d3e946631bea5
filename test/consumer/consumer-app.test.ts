/**
 * The published shape, not the source tree: the packed tarball is installed into a copy of
 * examples/consumer-app, which is type-checked and synthesized as its own project.
 *
 * Offline by design: npm installs the tarball itself, and the app's other dependencies are linked
 * to this repository's node_modules (the versions the lockfile pins) instead of coming from the
 * registry, so the test proves the package, not the network.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const LINKED = ['cdk8s', 'cdk8s-plus-28', 'constructs', 'typescript'];

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  [field: string]: any;
}

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('GIVEN the consumer app with the packed package installed', () => {
  const work = mkdtempSync(join(tmpdir(), 'consumer-app-'));
  const app = join(work, 'app');
  let manifests: Manifest[];
  let packedFiles: string[];

  beforeAll(() => {
    const [packed] = JSON.parse(run('npm', ['pack', '--json', '--silent', '--pack-destination', work], repo)) as { filename: string; files: { path: string }[] }[];
    packedFiles = packed!.files.map((file) => file.path);
    cpSync(join(repo, 'examples/consumer-app'), app, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
    manifest.dependencies['flux-assets-bootstrap'] = `file:${join(work, packed!.filename)}`;
    for (const name of LINKED) {
      const group = name in manifest.dependencies ? manifest.dependencies : manifest.devDependencies;
      group[name] = `file:${join(repo, 'node_modules', name)}`;
    }
    writeFileSync(join(app, 'package.json'), JSON.stringify(manifest, null, 2));
    run('npm', ['install', '--offline', '--no-audit', '--no-fund'], app);
  }, 60_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test('WHEN its files are listed THEN the library holds the constructs and the contract, and no code of the Job', () => {
    const code = packedFiles.filter((path) => path.startsWith('lib/'));
    expect(code).toContain('lib/src/index.js');
    expect(code.filter((path) => !/^lib\/(src\/(constructs|contract)\/|src\/index\.|imports\/)/.test(path))).toEqual([]);
  });

  test('WHEN type-checked THEN tsc finds the declarations and reports nothing', () => {
    expect(run(join(app, 'node_modules/.bin/tsc'), ['-p', '.'], app)).toBe('');
  }, 30_000);

  describe('WHEN synthesized', () => {
    beforeAll(() => {
      run(process.execPath, ['main.ts'], app);
      manifests = parseAllDocuments(readFileSync(join(app, 'dist/platform.k8s.yaml'), 'utf8')).map((doc) => doc.toJS());
    }, 30_000);

    const find = (kind: string, name: string): Manifest | undefined => manifests.find((m) => m.kind === kind && m.metadata.name === name);

    test("THEN the app's own ConfigMap and the bootstrap are in one chart", () => {
      expect(find('ConfigMap', 'platform-settings')?.data).toEqual({ cluster: 'edge-1' });
      expect(find('StatefulSet', 'assets')?.metadata.namespace).toBe('platform');
      expect(manifests.filter((m) => m.kind === 'Job')).toHaveLength(1);
    });

    test('THEN each HelmRepository reads through the pod proxy of the endpoint the app gave', () => {
      expect(find('HelmRepository', 'platform-charts')?.spec).toEqual({
        url: 'https://localhost:7445/api/v1/namespaces/platform/pods/assets-0/proxy/repos/platform-charts',
        interval: '10m',
        certSecretRef: { name: 'assets-client-tls' },
      });
      expect(find('HelmRepository', 'cilium')?.metadata.namespace).toBe('kube-system');
    });

    test("THEN the reader binding names Flux's certificate and the app's own grant", () => {
      expect(find('RoleBinding', 'assets-reader')?.subjects).toEqual([
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'flux-assets-reader' },
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'auditor@example.org' },
      ]);
    });
  });
});
