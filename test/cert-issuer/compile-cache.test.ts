// The image's compile cache, tested as a process (there is no Docker engine here): the cache is made
// by the RUN of cert-issuer/Dockerfile's compile-cache stage, then read by the bundle as the Job runs it,
// from a folder it cannot write. Both as uid 65532, distroless's nonroot user: Node keeps a cache
// per user and ignores the others'.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerfile, stage, stageEnv } from './dockerfile.ts';

const repo = new URL('../..', import.meta.url).pathname;
const env = (name?: string) => stageEnv(name).NODE_COMPILE_CACHE;

/** Every file under `folder` with its size and modification time. */
function listing(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .map((file) => `${file} ${statSync(file).size} ${statSync(file).mtimeMs}`);
}

/** A command as the image's user: uid 65532 when this test may switch to it, else as ourselves. */
const asImageUser = (args: string[]): [string, string[]] =>
  process.getuid?.() === 0 ? ['setpriv', ['--reuid=65532', '--regid=65532', '--clear-groups', process.execPath, ...args]] : [process.execPath, args];

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'fab-compile-cache-'));
  chmodSync(scratch, 0o755);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('GIVEN cert-issuer/Dockerfile', () => {
  test('WHEN its stages are read THEN the runtime stage reads the cache where the compile-cache stage made it', () => {
    const made = env('compile-cache');
    const used = env();
    expect(made).toBeDefined();
    expect(used).toBeDefined();
    expect(stage()).toContain(`COPY --from=compile-cache ${made} ${used}`);
    expect(stage('compile-cache')).toContain('COPY --from=build /src/cert-issuer/build/cert-issuer.mjs /app/cert-issuer.mjs');
    expect(dockerfile).toMatch(/^FROM gcr\.io\/distroless\/nodejs24-debian12:nonroot AS compile-cache$/m);
    expect(stage()).toContain('USER 65532:65532');
    // V8 accepts a code cache only under the flags it was made with.
    expect(stageEnv('compile-cache').NODE_OPTIONS).toBe(stageEnv().NODE_OPTIONS);
    expect(stage()).toContain('COPY --from=build /src/cert-issuer/build/cert-issuer.mjs /src/cert-issuer/build/cert-issuer-yaml.mjs /app/');
  });
});

describe('GIVEN the bundle and the cache made by the compile-cache stage', () => {
  let app: string;
  let cache: string;
  beforeAll(() => {
    app = join(scratch, 'app');
    const tmp = join(scratch, 'tmp');
    cache = join(tmp, 'compile-cache');
    mkdirSync(app);
    mkdirSync(tmp);
    chmodSync(tmp, 0o1777);
    const build = spawnSync(process.execPath, [join(repo, 'cert-issuer/build.mjs'), '--outfile', join(app, 'cert-issuer.mjs')], { encoding: 'utf8' });
    expect(build.status).toBe(0);

    // The stage's RUN with the stage's ENV, its paths mapped onto this machine.
    const run = stage('compile-cache').find((line) => line.startsWith('RUN '))!;
    const [node, ...args] = JSON.parse(run.slice('RUN '.length)) as string[];
    expect(node).toBe('/nodejs/bin/node');
    const [command, commandArgs] = asImageUser(args.map((arg) => arg.replace(/^\/app\//, `${app}/`)));
    const made = spawnSync(command, commandArgs, { env: { ...stageEnv('compile-cache'), NODE_COMPILE_CACHE: cache }, encoding: 'utf8' });
    expect(made.status).toBe(0);
    // Readable by the Job's user, writable by nobody but root (the image's read-only root).
    for (const path of [app, ...readdirSync(app).map((entry) => join(app, entry)), cache, ...readdirSync(cache, { recursive: true }).map((entry) => join(cache, String(entry)))]) {
      chmodSync(path, statSync(path).isDirectory() ? 0o555 : 0o444);
    }
  });

  test('WHEN the bundle runs as uid 65532 with it THEN V8 takes its code from the cache and nothing is written', () => {
    expect(listing(cache).length).toBeGreaterThan(0);
    const before = listing(cache);
    const [command, args] = asImageUser([join(app, 'cert-issuer.mjs'), '--help']);

    const result = spawnSync(command, args, {
      env: { ...stageEnv(), NODE_COMPILE_CACHE: cache, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' },
      encoding: 'utf8',
    });

    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: cert-issuer');
    expect(result.stderr).toMatch(/V8 code cache for ESM file:\/\/\S+\/cert-issuer\.mjs was accepted/);
    expect(listing(cache)).toEqual(before);
  });
});
