import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import packageJson from '../../package.json' with { type: 'json' };
import { devWith } from './bad-configs.ts';

const cli = join(process.cwd(), 'src/cli/cli.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at /);

describe('GIVEN the command line', () => {
  test.each(['--help', '-h', 'synth --help', 'doctor --help', 'doctor -h'])('WHEN run with "%s" THEN it prints its usage and exits 0', (line) => {
    const args = line.split(' ');
    const result = run(...args);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(args[0] === 'doctor' ? /^Usage: flux-assets-bootstrap doctor --cluster NAME/ : /^Usage: flux-assets-bootstrap \[synth\]/);
    expect(result.stdout).toContain('Exit codes:');
  });

  test.each(['--version', 'doctor --version'])('WHEN run with "%s" THEN it prints the version and exits 0', (line) => {
    const result = run(...line.split(' '));
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`flux-assets-bootstrap ${packageJson.version}\n`);
  });

  test.each([
    [['--colour=red'], "synth: unknown option '--colour'; see flux-assets-bootstrap --help\n"],
    [['now'], "synth: unexpected argument 'now'; see flux-assets-bootstrap --help\n"],
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
