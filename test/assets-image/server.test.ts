// The reference assets server (assets-image/server.mjs) against the assets server's contract, as a
// process on loopback: the same file the e2e suite's node serves the charts with.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = mkdtempSync(join(tmpdir(), 'fab-assets-'));
const root = join(base, 'root');
let server: ChildProcess;
let port: number;

/** A port nothing listens on now: the kernel's pick for a listener closed at once. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: picked } = probe.address() as { port: number };
      probe.close(() => resolve(picked));
    });
  });
}

beforeAll(async () => {
  mkdirSync(join(root, 'repos/system'), { recursive: true });
  writeFileSync(join(root, 'repos/system/index.yaml'), 'apiVersion: v1\nentries: {}\n');
  writeFileSync(join(base, 'outside.txt'), 'beside the root, not in it\n');
  port = await freePort();
  // GIVEN the port in PORT alone, as synth passes it.
  server = spawn(process.execPath, ['assets-image/server.mjs', root], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => server.stdout!.once('data', resolve));
});

afterAll(() => {
  server.kill('SIGTERM');
  rmSync(base, { recursive: true, force: true });
});

const get = (path: string, method = 'GET') => fetch(`http://127.0.0.1:${port}${path}`, { method });
/** A GET of `path` exactly as written: fetch would resolve its dot segments first. */
const rawStatus = (path: string) => new Promise<number>((resolve, reject) => {
  httpGet({ host: '127.0.0.1', port, path }, (res) => resolve(res.resume().statusCode!)).on('error', reject);
});

describe('GIVEN the reference assets server listening on PORT', () => {
  test('WHEN the probes ask for / THEN it answers 200', async () => {
    expect((await get('/')).status).toBe(200);
  });

  test('WHEN Flux asks for a repository index THEN it gets the file as YAML', async () => {
    const res = await get('/repos/system/index.yaml');
    expect({ status: res.status, type: res.headers.get('content-type'), body: await res.text() }).toEqual({ status: 200, type: 'application/x-yaml', body: 'apiVersion: v1\nentries: {}\n' });
  });

  test.each([
    ['a file beside the root, by dot segments and an encoded slash', '/%2e%2e%2foutside.txt'],
    ['a file beside the root, by plain dot segments', '/repos/../../outside.txt'],
    ['a folder', '/repos/system'],
    ['a missing file', '/repos/system/missing.tgz'],
  ])('WHEN asked for %s (%s) THEN it answers 404', async (_, path) => {
    expect(await rawStatus(path)).toBe(404);
  });

  test('WHEN a request would write THEN it answers 405', async () => {
    expect((await get('/repos/system/index.yaml', 'POST')).status).toBe(405);
  });
});
