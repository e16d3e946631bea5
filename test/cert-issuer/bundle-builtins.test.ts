// The cert-issuer bundle loads Node's built-in modules it imports and nothing more: cert-issuer/build.mjs
// reads only the imported names from them, so none of their lazy properties (fs.Dir, fs.promises,
// and the like) loads a module of its own. Every module loaded costs the Job start-up time, and
// enough of them have V8 compile Node's module loader with Maglev, 2 MiB of the Job's RSS. Nor
// does it load the yaml package, which cert-issuer/build.mjs puts in a file of its own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = new URL('../..', import.meta.url).pathname;

/** Node's modules loaded by `node <script> <args>`, listed when it exits. */
function modulesLoaded(script: string, args: string[] = []): string[] {
  // A file, not -e: the bundle reads its arguments from process.argv[2] on.
  const wrapper = join(scratch, 'list-modules.mjs');
  writeFileSync(wrapper, `process.on('exit', () => process.stderr.write('\\nMODULES ' + JSON.stringify(process.moduleLoadList)));
await import(${JSON.stringify(script)});`);
  const result = spawnSync(process.execPath, [wrapper, ...args], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  expect(result.status).toBe(0);
  return (JSON.parse(result.stderr.split('\nMODULES ').at(-1)!) as string[]).filter((name) => name.startsWith('NativeModule ')).sort();
}

/** The built-ins a bundle takes, each once. */
const builtinsOf = (file: string) => [...new Set([...readFileSync(file, 'utf8').matchAll(/getBuiltinModule\("(node:[a-z_/]+)"\)/g)].map(([, name]) => name!))].sort();

let scratch: string;
let bundle: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'fab-bundle-builtins-'));
  bundle = join(scratch, 'cert-issuer.mjs');
  const build = spawnSync(process.execPath, [join(repo, 'cert-issuer/build.mjs'), '--outfile', bundle], { encoding: 'utf8' });
  expect(build.status).toBe(0);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('GIVEN the cert-issuer bundle', () => {
  test('WHEN it is read THEN it takes every built-in with process.getBuiltinModule, and node:module not at all', () => {
    const source = readFileSync(bundle, 'utf8');

    expect(builtinsOf(bundle)).toEqual(['node:crypto', 'node:fs', 'node:https', 'node:net', 'node:path']);
    expect(source).not.toMatch(/^import\b|[;}]import\s*[{*"']|createRequire/m);
  });

  test('WHEN it prints its usage THEN Node has loaded no module beyond what loading those built-ins alone loads', () => {
    // The same built-ins, taken alone, then the same write to stdout as the usage.
    const alone = join(scratch, 'builtins-alone.mjs');
    writeFileSync(alone, `for (const name of ${JSON.stringify(builtinsOf(bundle))}) process.getBuiltinModule(name);\nprocess.stdout.write('usage\\n');\n`);

    const byBuiltinsAlone = modulesLoaded(alone);
    const extra = modulesLoaded(bundle, ['--help']).filter((name) => !byBuiltinsAlone.includes(name));

    expect(extra).toEqual([]);
  });
});

describe('GIVEN the cert-issuer bundle and the yaml file beside it', () => {
  test('WHEN it is read THEN the issuer holds none of yaml, and imports its file only where a kubeconfig is read', () => {
    const source = readFileSync(bundle, 'utf8');

    expect([...source.matchAll(/import\("([^"]+)"\)/g)].map(([, file]) => file)).toEqual(['./cert-issuer-yaml.mjs']);
    expect(source).not.toContain('parseAllDocuments');
    expect(readFileSync(join(scratch, 'cert-issuer-yaml.mjs'), 'utf8')).toContain('parseAllDocuments');
  });

  test('WHEN it runs with a kubeconfig that is not YAML THEN yaml, from its file, names the problem in one line (exit 2)', () => {
    const kubeconfig = join(scratch, 'kubeconfig');
    writeFileSync(kubeconfig, 'clusters: [\n  - {name: x\n');

    const result = spawnSync(process.execPath, [bundle, '--common-name=reader', '--secret-name=assets-tls', '--namespaces=cozy-system', `--kubeconfig=${kubeconfig}`], {
      encoding: 'utf8', env: { PATH: process.env.PATH },
    });

    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining(`--kubeconfig: cannot load ${kubeconfig}: Flow map in block collection must be sufficiently indented`)]);
  });
});
