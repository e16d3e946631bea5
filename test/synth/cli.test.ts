import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import packageJson from '../../package.json' with { type: 'json' };
import { devWith } from './bad-configs.ts';

const cli = join(process.cwd(), 'src/cli/cli.mjs');
const runWith = (env: NodeJS.ProcessEnv, ...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', ...env } });
const run = (...args: string[]) => runWith({}, ...args);
const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at /);

describe('GIVEN the command line', () => {
  test.each(['--help', '-h', 'synth --help', 'help', 'help synth', 'doctor --help', 'doctor -h', 'help doctor', 'init --help', 'help init', 'status --help', 'help status'])('WHEN run with "%s" THEN it prints its usage and exits 0', (line) => {
    const args = line.split(' ');
    const result = run(...args);
    expect(result.status).toBe(0);
    const command = ['doctor', 'init', 'status'].find((name) => line.includes(name));
    const usage = command === 'doctor' ? /^Usage: flux-assets-bootstrap doctor --cluster NAME/ : command ? new RegExp(`^Usage: flux-assets-bootstrap ${command} `) : /^Usage: flux-assets-bootstrap \[synth\]/;
    expect(result.stdout).toMatch(usage);
    expect(result.stdout).toContain('Exit codes:');
  });

  test.each(['--version', 'version', 'doctor --version'])('WHEN run with "%s" THEN it prints the version and exits 0', (line) => {
    const result = run(...line.split(' '));
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`flux-assets-bootstrap ${packageJson.version}\n`);
  });

  test.each([
    [['--colour=red'], "synth: unknown option '--colour'; see flux-assets-bootstrap --help\n"],
    [['now'], "flux-assets-bootstrap: unknown command 'now'; the commands are synth, init, doctor, status, version, help; see flux-assets-bootstrap --help\n"],
    [['doctr'], "flux-assets-bootstrap: unknown command 'doctr' (did you mean doctor?); the commands are synth, init, doctor, status, version, help; see flux-assets-bootstrap --help\n"],
    [['snyth'], "flux-assets-bootstrap: unknown command 'snyth' (did you mean synth?); the commands are synth, init, doctor, status, version, help; see flux-assets-bootstrap --help\n"],
    [['version', 'now'], "flux-assets-bootstrap: unexpected argument 'now' after version; see flux-assets-bootstrap --help\n"],
    [['help', 'doctr'], "flux-assets-bootstrap: no help for 'doctr' (did you mean doctor?); the commands are synth, init, doctor, status, version, help; see flux-assets-bootstrap --help\n"],
    [['synth', 'now'], "synth: unexpected argument 'now'; see flux-assets-bootstrap --help\n"],
    [['--clustres', 'clusters'], "synth: unknown option '--clustres' (did you mean --clusters?); see flux-assets-bootstrap --help\n"],
    [['--outt=dist'], "synth: unknown option '--outt' (did you mean --out?); see flux-assets-bootstrap --help\n"],
    [['doctor', '--kubeconfg', 'x'], "doctor: unknown option '--kubeconfg' (did you mean --kubeconfig?); see flux-assets-bootstrap doctor --help\n"],
    [['--out'], "synth: option '--out <value>' argument missing; see flux-assets-bootstrap --help\n"],
    [['--clusters', '/nonexistent'], 'synth: cannot read the clusters folder /nonexistent/ (ENOENT); see flux-assets-bootstrap --help\n'],
    [['doctor'], 'doctor: --cluster NAME is required (a clusters/NAME.yaml); see flux-assets-bootstrap doctor --help\n'],
    [['doctor', '--cluster', 'dev', '--endpoint', 'https://x'], 'doctor: --endpoint must be host:port, without a scheme or path (got "https://x"); see flux-assets-bootstrap doctor --help\n'],
    [['doctor', '--verbose'], "doctor: unknown option '--verbose'; see flux-assets-bootstrap doctor --help\n"],
  ])('WHEN run with %j THEN it says what is wrong in one line, points at --help and exits 2', (args, message) => {
    const result = run(...args);
    expect(result.stderr).toBe(message);
    expect(result.status).toBe(2);
  });

  describe('AND a folder with a bad config', () => {
    let folder: string;
    beforeAll(() => {
      folder = mkdtempSync(join(tmpdir(), 'fab-cli-'));
      writeFileSync(join(folder, 'dev.yaml'), devWith((c) => { c.assets.port = 1; }));
    });
    afterAll(() => rmSync(folder, { recursive: true, force: true }));

    test('WHEN synth runs THEN it exits 1 with the file and field, and no stack trace', () => {
      const result = run('--clusters', folder, '--out', join(folder, 'dist'));
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(`${join(folder, 'dev.yaml')}: assets.port: must be an integer from 1024 to 65535 (got 1)\nsynth: failed; the output folder was left as it was\n`);
    });

    test('WHEN doctor checks it THEN it exits 1 with the file and field before reading any cluster', () => {
      const result = run('doctor', '--cluster', 'dev', '--clusters', folder, '--kubeconfig', '/nonexistent');
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`${join(folder, 'dev.yaml')}: assets.port: must be an integer`);
      noStackTrace(result.stderr);
    });

    test('WHEN doctor gets a kubeconfig that does not exist THEN it says so in one line and exits 1', () => {
      writeFileSync(join(folder, 'ok.yaml'), devWith(() => {}));
      const result = run('doctor', '--cluster', 'ok', '--clusters', folder, '--kubeconfig', '/nonexistent/kubeconfig');
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/^doctor: cannot load the kubeconfig: .*nonexistent/);
      noStackTrace(result.stderr);
    });
  });
});

describe('GIVEN a folder of configs', () => {
  let folder: string;
  const clusters = () => join(folder, 'clusters');
  const dist = () => join(folder, 'dist');
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'fab-cli-'));
    mkdirSync(clusters());
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  test('WHEN the configs are named .YAML and .yml THEN synth reads each, and its cluster is the name without the extension', () => {
    writeFileSync(join(clusters(), 'prod-eu.YAML'), devWith(() => {}));
    writeFileSync(join(clusters(), 'dev.yml'), devWith(() => {}));
    writeFileSync(join(clusters(), 'notes.md'), 'not a config\n');

    const result = run('--clusters', clusters(), '--out', dist());

    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(readdirSync(dist())).toEqual(['dev', 'prod-eu']);
    expect(readFileSync(join(dist(), 'prod-eu/kustomization.yaml'), 'utf8')).toMatch(/^# Generated by flux-assets-bootstrap from prod-eu\.YAML\./);
  });

  test('WHEN two files differ only in the case of the extension THEN synth refuses both with their names, and writes nothing', () => {
    writeFileSync(join(clusters(), 'dev.yaml'), devWith(() => {}));
    writeFileSync(join(clusters(), 'dev.YAML'), devWith(() => {}));

    const result = run('--clusters', clusters(), '--out', dist());

    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${join(clusters(), 'dev.yaml')}: names the same cluster "dev" as ${join(clusters(), 'dev.YAML')}`);
    expect(existsSync(dist())).toBe(false);
  });

  describe('AND a synthesized dist/', () => {
    beforeEach(() => {
      writeFileSync(join(clusters(), 'dev.yaml'), devWith(() => {}));
      writeFileSync(join(clusters(), 'old.yaml'), devWith(() => {}));
      expect(run('--clusters', clusters(), '--out', dist()).status).toBe(0);
    });

    test('WHEN a file was added there by hand THEN synth refuses, names it, and leaves dist/ as it was', () => {
      writeFileSync(join(dist(), 'dev', 'extra-configmap.yaml'), 'apiVersion: v1\nkind: ConfigMap\n');
      rmSync(join(clusters(), 'old.yaml'));
      const before = readdirSync(dist(), { recursive: true }).sort();

      const result = run('--clusters', clusters(), '--out', dist());

      expect({ status: result.status, stderr: result.stderr }).toEqual({
        status: 2,
        stderr: `synth: ${join(dist(), 'dev', 'extra-configmap.yaml')} was not written by synth (no "# Generated by flux-assets-bootstrap" line), and synth replaces ${dist()}/ as a whole: move it out of ${dist()}/ (nothing was written); see flux-assets-bootstrap --help\n`,
      });
      expect(readdirSync(dist(), { recursive: true }).sort()).toEqual(before);
    });

    test('WHEN a cluster\'s config is removed THEN synth removes the folder it wrote for it', () => {
      rmSync(join(clusters(), 'old.yaml'));

      expect(run('--clusters', clusters(), '--out', dist()).status).toBe(0);

      expect(readdirSync(dist())).toEqual(['dev']);
    });
  });

  describe('AND doctor', () => {
    const kubeconfig = (server: string) => {
      const file = join(folder, 'kubeconfig');
      writeFileSync(file, [
        'apiVersion: v1', 'kind: Config', 'current-context: fleet-dev',
        'clusters: [{name: dev, cluster: {server: "' + server + '", insecure-skip-tls-verify: true}}]',
        'users: [{name: admin, user: {token: not-a-real-token}}]',
        'contexts: [{name: fleet-dev, context: {cluster: dev, user: admin}}, {name: fleet-prod, context: {cluster: dev, user: admin}}]',
      ].join('\n'));
      return file;
    };
    beforeEach(() => writeFileSync(join(clusters(), 'dev.yml'), devWith(() => {})));

    test('WHEN --cluster names no config THEN it says which clusters there are, and the nearest, and exits 2', () => {
      const result = run('doctor', '--cluster', 'dve', '--clusters', clusters());
      expect({ status: result.status, stderr: result.stderr }).toEqual({
        status: 2,
        stderr: `doctor: no config for cluster "dve" in ${clusters()}/ (did you mean dev?); its clusters: dev; see flux-assets-bootstrap doctor --help\n`,
      });
    });

    test('WHEN there is no kubeconfig at all THEN it says where one is looked for, in one line, and exits 1', () => {
      const home = join(folder, 'home');
      const result = runWith({ HOME: home, KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' }, 'doctor', '--cluster', 'dev', '--clusters', clusters());
      expect({ status: result.status, stderr: result.stderr }).toEqual({
        status: 1,
        stderr: `doctor: no kubeconfig: pass --kubeconfig PATH, set KUBECONFIG, or write ${join(home, '.kube', 'config')}\n`,
      });
    });

    test('WHEN --context names no context of the kubeconfig THEN it lists them, with the nearest, and exits 1', () => {
      const result = run('doctor', '--cluster', 'dev', '--clusters', clusters(), '--kubeconfig', kubeconfig('https://127.0.0.1:1'), '--context', 'fleet-dve');
      expect({ status: result.status, stderr: result.stderr }).toEqual({
        status: 1,
        stderr: 'doctor: the kubeconfig has no context "fleet-dve" (did you mean fleet-dev?); its contexts: fleet-dev, fleet-prod\n',
      });
    });

    test('WHEN the API server cannot be reached THEN it says where and why in one line, and exits 1', () => {
      // Port 1 on loopback: nothing listens there, so every connection is refused at once.
      const result = run('doctor', '--cluster', 'dev', '--clusters', clusters(), '--kubeconfig', kubeconfig('https://127.0.0.1:1'), '--context', 'fleet-prod');
      expect({ status: result.status, stderr: result.stderr }).toEqual({
        status: 1,
        stderr: 'doctor: cannot reach the API server at https://127.0.0.1:1 (connect ECONNREFUSED 127.0.0.1:1); check --kubeconfig and --context, and that the cluster is up\n',
      });
      expect(result.stdout).toBe('');
    });
  });
});

describe('GIVEN init in a folder with a package.json of its own', () => {
  let folder: string;
  const flags = ['--cluster', 'edge-1', '--endpoint', 'localhost:7445', '--assets-image', 'ghcr.io/acme/assets:1.0.0', '--issuer-image', 'ghcr.io/acme/cert-issuer:0.1.0'];
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'fab-init-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  test('WHEN it is not JSON THEN init says so, exits 2 and writes nothing', () => {
    writeFileSync(join(folder, 'package.json'), '{not json');
    const result = run('init', '--dir', folder, ...flags);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^init: .*package\.json is not JSON \(.*\); nothing was written; see flux-assets-bootstrap init --help\n$/);
    expect(readdirSync(folder)).toEqual(['package.json']);
  });

  test('WHEN it has a synth script of its own THEN init keeps it, says so, and adds the rest', () => {
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'fleet', scripts: { synth: 'make synth' } }));
    const result = run('init', '--dir', folder, ...flags);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('init: package.json: kept its own script synth; flux-assets-bootstrap\'s is "flux-assets-bootstrap synth"');
    const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
    expect(manifest.scripts).toEqual({ synth: 'make synth', doctor: 'flux-assets-bootstrap doctor' });
    expect(Object.keys(manifest.devDependencies)).toEqual([packageJson.name]);
  });
});

describe('GIVEN status without a cluster to read', () => {
  const noKubeconfig = { KUBECONFIG: '', HOME: mkdtempSync(join(tmpdir(), 'fab-status-home-')), KUBERNETES_SERVICE_HOST: '' };

  test('WHEN there is no kubeconfig THEN every cluster is unknown, in one line each, and it exits 3 as a monitoring check does', () => {
    const result = runWith(noKubeconfig, 'status');
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 3, stderr: '' });
    expect(result.stdout.split('\n')).toEqual([
      'LEVEL    CLUSTER  WHAT     DETAIL',
      `UNKNOWN  dev      cluster  no kubeconfig: pass --kubeconfig PATH, set KUBECONFIG, or write ${noKubeconfig.HOME}/.kube/config`,
      `UNKNOWN  prod     cluster  no kubeconfig: pass --kubeconfig PATH, set KUBECONFIG, or write ${noKubeconfig.HOME}/.kube/config`,
      '',
    ]);
  });

  test('WHEN asked for JSON THEN it prints the same as JSON', () => {
    const result = runWith(noKubeconfig, 'status', '--cluster', 'dev', '-o', 'json');
    expect(result.status).toBe(3);
    expect(JSON.parse(result.stdout)).toEqual([{ cluster: 'dev', level: 'unknown', items: [{ what: 'cluster', level: 'unknown', detail: expect.stringMatching(/^no kubeconfig/) }] }]);
  });

  test.each([
    [['--output', 'yaml'], 'status: --output must be table or json (got "yaml"); see flux-assets-bootstrap status --help\n'],
    [['--context', 'a'], 'status: --context names the context of one cluster: pass one --cluster with it; see flux-assets-bootstrap status --help\n'],
    [['--cluster', 'dve'], 'status: no config for cluster "dve" in clusters/ (did you mean dev?); its clusters: dev, prod; see flux-assets-bootstrap status --help\n'],
    [['--clustr', 'dev'], "status: unknown option '--clustr' (did you mean --cluster?); see flux-assets-bootstrap status --help\n"],
  ])('WHEN run with %j THEN it says what is wrong in one line and exits 3, unknown', (args, message) => {
    const result = runWith(noKubeconfig, 'status', ...args);
    expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({ status: 3, stdout: '', stderr: message });
  });
});
