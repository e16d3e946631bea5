/**
 * The GitHub Actions workflows nothing here can run: the project's release workflow and the one
 * `init` writes into a fleet repository, linted by actionlint (pinned in ./actionlint/go.mod,
 * built with Go), and held to the pinning the README promises.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scaffold } from '../../src/cli/init.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'fab-workflows-'));
const actionlint = join(scratch, 'actionlint');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// Built once, so that what go says while fetching modules on a fresh machine is not taken for a finding.
beforeAll(() => {
  execFileSync('go', ['build', '-o', actionlint, 'github.com/rhysd/actionlint/cmd/actionlint'], { cwd: join(repo, 'test/workflows/actionlint'), stdio: 'ignore' });
}, 180_000);

const initWorkflow = join(scratch, 'init-workflow.yml');
writeFileSync(initWorkflow, scaffold({
  cluster: 'edge-1', endpoint: 'localhost:7445', namespace: 'flux-assets', 'assets-image': 'ghcr.io/acme/assets:1.0.0', issuerImage: undefined, repositories: [], gitUrl: undefined,
}).find((file) => file.path.startsWith('.github/workflows/'))!.content);
const workflows = [
  ...readdirSync(join(repo, '.github/workflows')).map((name) => join(repo, '.github/workflows', name)),
  initWorkflow,
];

describe.each(workflows.map((file) => [file.replace(repo, '').replace(scratch, 'init:'), file]))('GIVEN the workflow %s', (_, file) => {
  test('WHEN actionlint checks it THEN it reports nothing', () => {
    const lint = spawnSync(actionlint, ['-no-color', file], { encoding: 'utf8' });
    expect({ status: lint.status, out: lint.stdout + lint.stderr }).toEqual({ status: 0, out: '' });
  });

  test('WHEN its actions are listed THEN each is pinned by commit with its release in a comment, and permissions are set at the top', () => {
    const text = readFileSync(file, 'utf8');
    const uses = [...text.matchAll(/uses: (\S+)(.*)$/gm)].map(([, action, rest]) => `${action}${rest}`);
    expect(uses.length).toBeGreaterThan(0);
    expect(uses.filter((use) => !/^[\w-]+\/[\w-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/.test(use))).toEqual([]);
    expect(text).toMatch(/^permissions:/m);
  });
});

test('GIVEN the pinned actionlint WHEN asked THEN it is the version go.mod names', () => {
  const version = execFileSync(actionlint, ['-version'], { encoding: 'utf8' });
  expect(version.split('\n')[0]).toBe(/github\.com\/rhysd\/actionlint (v\S+)/.exec(readFileSync(join(repo, 'test/workflows/actionlint/go.mod'), 'utf8'))![1]);
});
