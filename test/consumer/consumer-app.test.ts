/**
 * The published shape, not the source tree: the packed tarball, installed as a user installs it.
 * - into a copy of examples/consumer-app, which is type-checked and synthesized as its own project
 *   (the library);
 * - into an empty folder outside this repository, where the bin scaffolds a fleet repository and
 *   synthesizes it (the command line).
 *
 * Offline by design: npm installs the tarball itself, and the app's other dependencies are linked
 * to this repository's node_modules (the versions the lockfile pins) instead of coming from the
 * registry, so the test proves the package, not the network. The command line needs none of
 * them: its bundles hold what they run, and the library's peers are optional.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import packageJson from '../../package.json' with { type: 'json' };

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

const work = mkdtempSync(join(tmpdir(), 'consumer-'));
let tarball: string;
let packedFiles: string[];

beforeAll(() => {
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--silent', '--pack-destination', work], repo)) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, packed!.filename);
  packedFiles = packed!.files.map((file) => file.path);
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('GIVEN the packed package', () => {
  test("WHEN its files are listed THEN it holds the library (the constructs and the contract), the bundled command line, the schema, the Job's program as one bundle, the reference assets image and the LICENSE", () => {
    const code = packedFiles.filter((path) => path.startsWith('lib/'));
    expect(code).toContain('lib/src/index.js');
    expect(code.filter((path) => !/^lib\/(src\/(constructs|contract)\/|src\/index\.|imports\/)/.test(path))).toEqual(['lib/cli/doctor.cjs', 'lib/cli/main.cjs']);
    expect(packedFiles.filter((path) => !path.startsWith('lib/')).sort()).toEqual([
      'LICENSE', 'README.md', 'assets-image/Dockerfile', 'assets-image/build-repos.sh', 'assets-image/server.mjs', 'cert-issuer/build/cert-issuer.mjs', 'package.json', 'schema/cluster-config.schema.json', 'src/cli/bundle.mjs', 'src/cli/cli.mjs',
    ]);
    expect(packageJson.bin).toEqual({ 'flux-assets-bootstrap': 'src/cli/cli.mjs' });
  });
});

describe('GIVEN the consumer app with the packed package installed', () => {
  const app = join(work, 'app');
  let manifests: Manifest[];

  beforeAll(() => {
    cpSync(join(repo, 'examples/consumer-app'), app, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
    manifest.dependencies[packageJson.name] = `file:${tarball}`;
    for (const name of LINKED) {
      const group = name in manifest.dependencies ? manifest.dependencies : manifest.devDependencies;
      group[name] = `file:${join(repo, 'node_modules', name)}`;
    }
    writeFileSync(join(app, 'package.json'), JSON.stringify(manifest, null, 2));
    run('npm', ['install', '--offline', '--no-audit', '--no-fund'], app);
  }, 60_000);

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

    test('THEN without an issuer image the Job runs the program the package ships, from a ConfigMap', () => {
      expect(find('ConfigMap', 'cert-issuer-program')?.data).toEqual({ 'cert-issuer.mjs': readFileSync(join(repo, 'cert-issuer/build/cert-issuer.mjs'), 'utf8') });
      expect(manifests.find((m) => m.kind === 'Job')?.spec.template.spec.containers[0].image).toBe('gcr.io/distroless/nodejs24-debian12:nonroot');
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

describe('GIVEN an empty folder outside the repository with only the tarball installed', () => {
  const fleet = join(work, 'fleet');
  const bin = (...args: string[]) => spawnSync(join(fleet, 'node_modules/.bin/flux-assets-bootstrap'), args, { cwd: fleet, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  const initFlags = ['--cluster', 'edge-1', '--endpoint', 'localhost:7445', '--assets-image', 'ghcr.io/acme/assets:1.0.0', '--repository', 'system=cozy-system', '--repository', 'apps'];
  const distFiles = () => readdirSync(join(fleet, 'dist/edge-1')).sort();

  beforeAll(() => {
    mkdirSync(fleet);
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], fleet);
  }, 60_000);

  test('WHEN installed THEN only the package is: the command line needs nothing else', () => {
    expect(readdirSync(join(fleet, 'node_modules')).filter((name) => !name.startsWith('.'))).toEqual(['@flux-assets-bootstrap']);
  });

  describe('WHEN init scaffolds it', () => {
    let init: ReturnType<typeof bin>;
    beforeAll(() => {
      init = bin('init', ...initFlags);
    });

    test('THEN it writes the config, the CI check in both forms, .gitignore and the scripts, and exits 0', () => {
      expect({ status: init.status, stderr: init.stderr }).toEqual({ status: 0, stderr: '' });
      const config = readFileSync(join(fleet, 'clusters/edge-1.yaml'), 'utf8');
      expect(parse(config)).toMatchObject({ endpoint: 'localhost:7445', assets: { namespace: 'flux-assets' }, repositories: [{ name: 'system', namespace: 'cozy-system' }, { name: 'apps', namespace: 'flux-assets' }] });
      expect(readFileSync(join(fleet, '.gitignore'), 'utf8')).toBe('node_modules/\n');
      expect(JSON.parse(readFileSync(join(fleet, 'package.json'), 'utf8')).scripts).toEqual({ synth: 'flux-assets-bootstrap synth', doctor: 'flux-assets-bootstrap doctor' });
      expect(statSync(join(fleet, 'ci/check-dist.sh')).mode & 0o111).not.toBe(0);
    });

    test("THEN the config's schema reference resolves to the schema in the installed package", () => {
      const reference = /\$schema=(\S+)/.exec(readFileSync(join(fleet, 'clusters/edge-1.yaml'), 'utf8'))![1]!;
      expect(existsSync(join(fleet, 'clusters', reference))).toBe(true);
    });

    test('THEN the workflow runs the shell check, with every action pinned by commit', () => {
      const workflow = parse(readFileSync(join(fleet, '.github/workflows/flux-assets-bootstrap.yml'), 'utf8'));
      const steps = workflow.jobs.dist.steps as { uses?: string; run?: string }[];
      expect(steps.filter((step) => step.uses).map((step) => step.uses)).toEqual([expect.stringMatching(/^actions\/checkout@[0-9a-f]{40}$/), expect.stringMatching(/^actions\/setup-node@[0-9a-f]{40}$/)]);
      expect(steps.at(-1)).toEqual({ run: 'sh ci/check-dist.sh' });
      expect(spawnSync('sh', ['-n', join(fleet, 'ci/check-dist.sh')]).status).toBe(0);
    });

    test('THEN a second init refuses, names what exists, and writes nothing', () => {
      const before = readFileSync(join(fleet, 'clusters/edge-1.yaml'), 'utf8');
      const again = bin('init', ...initFlags.map((flag) => (flag === 'localhost:7445' ? '10.0.0.1:6443' : flag)));
      expect(again.status).toBe(2);
      expect(again.stderr).toMatch(/^init: .*clusters\/edge-1\.yaml, .* exist already, and init never overwrites \(nothing was written\)/);
      expect(readFileSync(join(fleet, 'clusters/edge-1.yaml'), 'utf8')).toBe(before);
    });

    describe('AND npm run synth runs', () => {
      beforeAll(() => {
        run('npm', ['run', '--silent', 'synth'], fleet);
      }, 30_000);

      test('THEN dist/edge-1 holds the bootstrap and its kustomization, with the issuer program the package ships', () => {
        expect(distFiles()).toContain('kustomization.yaml');
        expect(distFiles().filter((file) => file.includes('statefulset'))).toEqual(['10-statefulset-flux-assets-assets.yaml']);
        const program = parse(readFileSync(join(fleet, 'dist/edge-1/08-configmap-flux-assets-cert-issuer-program.yaml'), 'utf8'));
        expect(program.data).toEqual({ 'cert-issuer.mjs': readFileSync(join(repo, 'cert-issuer/build/cert-issuer.mjs'), 'utf8') });
      });

      test('THEN a changed field, synthesized again, moves the assets server and nothing of the old one stays', () => {
        const file = join(fleet, 'clusters/edge-1.yaml');
        writeFileSync(file, readFileSync(file, 'utf8').replace('namespace: flux-assets', 'namespace: platform'));
        expect(bin('synth').stdout).toMatch(/^synth: wrote \d+ files for 1 cluster\(s\) to dist\/$/m);
        expect(distFiles().filter((file) => file.includes('statefulset'))).toEqual(['10-statefulset-platform-assets.yaml']);
        // The repository apps stays in flux-assets; the server, its issuer and their identities move.
        expect(distFiles().filter((file) => /^\d+-(statefulset|service|serviceaccount|job|cronjob)-flux-assets-/.test(file))).toEqual([]);
        expect(distFiles()).toContain('00-namespace-platform.yaml');
      });

      test('THEN doctor --help and version answer from the installed bin', () => {
        expect(bin('doctor', '--help').stdout).toMatch(/^Usage: flux-assets-bootstrap doctor --cluster NAME/);
        expect(bin('version').stdout).toBe(`flux-assets-bootstrap ${packageJson.version}\n`);
      });
    });
  });
});
