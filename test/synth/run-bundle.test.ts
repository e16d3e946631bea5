// How the bin runs its bundles (src/cli/bundle.mjs): from V8's code cache of an earlier run, made at
// the end of a run that succeeded. Each case runs a small CommonJS bundle in a fresh process, as the
// bin runs its own.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const runner = pathToFileURL(join(process.cwd(), 'src/cli/bundle.mjs')).href;
const totalOfAll = Array.from({ length: 300 }, (_, i) => join('a', String(2 * i), `b${i}`).length).reduce((sum, length) => sum + length);

/** 300 functions the bundle calls only when CALL_ALL is set, so a run compiles them or not. */
const bundleSource = [
  "const path = require('node:path');",
  ...Array.from({ length: 300 }, (_, i) => `function f${i}(x) { return path.join('a', String(x * ${i}), 'b${i}').length; }`),
  `let total = 0;`,
  `if (process.env.CALL_ALL) for (const f of [${Array.from({ length: 300 }, (_, i) => `f${i}`).join(', ')}]) total += f(2);`,
  `module.exports = { total, file: __filename };`,
  `process.exitCode = Number(process.env.EXIT_CODE ?? 0);`,
].join('\n');

let folder: string;
let bundle: string;
let codeCache: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'fab-run-bundle-'));
  bundle = join(folder, 'bundle.cjs');
  codeCache = `${bundle}.v8cache`;
  writeFileSync(bundle, bundleSource);
});
afterEach(() => {
  chmodSync(folder, 0o755);
  rmSync(folder, { recursive: true, force: true });
});

function run(options: { saveCodeCache: boolean; env?: Record<string, string> }) {
  const script = `import { runBundle } from ${JSON.stringify(runner)};
const { total, file } = runBundle(${JSON.stringify(bundle)}, { saveCodeCache: ${options.saveCodeCache} });
console.log(JSON.stringify({ total, file }));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', ...options.env } });
  expect(result.stderr).toBe('');
  return { status: result.status, exports: JSON.parse(result.stdout) as { total: number; file: string } };
}

describe('GIVEN a CommonJS bundle and no code cache beside it', () => {
  test('WHEN it runs THEN it gets require, module and __filename as under Node, and returns its exports', () => {
    expect(run({ saveCodeCache: true, env: { CALL_ALL: '1' } }).exports).toEqual({ total: totalOfAll, file: bundle });
  });

  test('WHEN a run succeeds THEN the cache holds the functions the run compiled, not only the top level', () => {
    run({ saveCodeCache: true });
    const topLevelOnly = statSync(codeCache).size;
    rmSync(codeCache);

    run({ saveCodeCache: true, env: { CALL_ALL: '1' } });

    expect(statSync(codeCache).size).toBeGreaterThan(topLevelOnly + 300 * 50);
  });

  test('WHEN the run exits non-zero THEN no cache is kept', () => {
    expect(run({ saveCodeCache: true, env: { EXIT_CODE: '1' } }).status).toBe(1);
    expect(existsSync(codeCache)).toBe(false);
  });

  test('WHEN the caller asks for no cache (a --help run) THEN none is kept', () => {
    run({ saveCodeCache: false, env: { CALL_ALL: '1' } });
    expect(existsSync(codeCache)).toBe(false);
  });

  test('WHEN the folder cannot be written THEN the run still succeeds, without a cache and without leftovers', () => {
    chmodSync(folder, 0o555);
    const asNobody = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    const script = `import { runBundle } from ${JSON.stringify(runner)}; runBundle(${JSON.stringify(bundle)}, { saveCodeCache: true });`;
    const [command, ...args] = [...asNobody, process.execPath, '--input-type=module', '-e', script];

    const result = spawnSync(command!, args, { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readdirSync(folder)).toEqual(['bundle.cjs']);
  });
});

describe('GIVEN a code cache beside the bundle', () => {
  test('WHEN V8 accepts it THEN later runs leave it as it is', () => {
    run({ saveCodeCache: true, env: { CALL_ALL: '1' } });
    const made = statSync(codeCache);

    run({ saveCodeCache: true, env: { CALL_ALL: '1' } });

    expect(statSync(codeCache).mtimeMs).toBe(made.mtimeMs);
    expect(statSync(codeCache).ino).toBe(made.ino);
  });

  test('WHEN it is garbage (or from another Node) THEN V8 rejects it, the run is unaffected, and the cache is made again', () => {
    writeFileSync(codeCache, 'not a code cache');

    expect(run({ saveCodeCache: true, env: { CALL_ALL: '1' } }).exports.total).toBe(totalOfAll);

    expect(readFileSync(codeCache).length).toBeGreaterThan(300 * 50);
  });

  // V8 checks only the source's length; the bin's bundles are named by a hash of what they are
  // built from, so a bundle never changes under its cache.
  test('WHEN the bundle changed length under it THEN V8 rejects it and the next successful run replaces it', () => {
    run({ saveCodeCache: true });
    const before = readFileSync(codeCache);
    writeFileSync(bundle, `${bundleSource}\nmodule.exports.extra = (() => 1)();`);

    run({ saveCodeCache: true });

    expect(readFileSync(codeCache).equals(before)).toBe(false);
  });
});
