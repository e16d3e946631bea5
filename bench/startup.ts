// Start-up of the cert-issuer bundle, from spawn to its first API request: the part of every run
// that no API server can speed up. A loopback listener stands in for the API server and notes the
// moment the issuer connects; the issuer is stopped there by PID.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stageEnv } from '../test/cert-issuer/dockerfile.ts';
import { measure, median } from './measure.ts';

/** Runs `body` with a ServiceAccount mount whose token no API server would accept. */
export async function withFakeServiceAccount<T>(body: (serviceAccountDir: string) => Promise<T> | T): Promise<T> {
  const serviceAccountDir = mkdtempSync(join(tmpdir(), 'fab-bench-startup-'));
  try {
    // Any CA will do: the issuer reads it before it connects and never gets to verify it.
    writeFileSync(join(serviceAccountDir, 'ca.crt'), readFileSync(join(process.cwd(), 'clusters/ca/prod-api.pem')));
    writeFileSync(join(serviceAccountDir, 'token'), 'not-a-real-token');
    writeFileSync(join(serviceAccountDir, 'namespace'), 'cozy-system');
    return await body(serviceAccountDir);
  } finally {
    rmSync(serviceAccountDir, { recursive: true, force: true });
  }
}

/** What a stage of cert-issuer/Dockerfile sets for Node (NODE_OPTIONS and the like), but the compile cache's path. */
function imageSettings(stageName?: string): Record<string, string> {
  const { NODE_COMPILE_CACHE: _path, ...settings } = stageEnv(stageName);
  return settings;
}

/** V8's compile cache of `bundle` in `dir`, made as cert-issuer/Dockerfile makes the image's: one `--help` run with that stage's settings. */
export function makeCompileCache(bundle: string, dir: string): void {
  execFileSync(process.execPath, [bundle, '--help'], { env: { ...imageSettings('compile-cache'), NODE_COMPILE_CACHE: dir }, stdio: 'ignore' });
}

/** The environment of the Job's pod, with the API endpoint on loopback: the image's settings and its compile cache. */
export const issuerEnv = (serviceAccountDir: string, port: number, compileCache: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port), CERT_ISSUER_SERVICEACCOUNT_DIR: serviceAccountDir,
  ...imageSettings(), NODE_COMPILE_CACHE: compileCache,
});

/** Milliseconds from spawning `node <args>` until it opens a connection to the API endpoint. */
export function timeToFirstRequest(nodeArgs: readonly string[], compileCache: string): Promise<number> {
  return withFakeServiceAccount(async (serviceAccountDir) => {
    const server = createServer();
    try {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const started = process.hrtime.bigint();
      const child = spawn(process.execPath, nodeArgs, { stdio: ['ignore', 'ignore', 'pipe'], env: issuerEnv(serviceAccountDir, port, compileCache) });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      try {
        return await new Promise<number>((resolve, reject) => {
          server.once('connection', (socket) => {
            resolve(Number(process.hrtime.bigint() - started) / 1e6);
            socket.destroy();
          });
          child.once('exit', (code, signal) => reject(new Error(`the issuer exited (${code ?? signal}) before its first request:\n${stderr}`)));
        });
      } finally {
        child.kill('SIGKILL');
        await exited;
      }
    } finally {
      server.close();
    }
  });
}

/**
 * The bundle with the Job's own arguments against the floor under it: a bare Node process that
 * opens a TLS connection to the same listener with the same CA, alternated.
 */
export async function benchStartup(rounds: number, args: readonly string[], compileCache: string): Promise<{ issuerMs: number; floorMs: number }> {
  const bundle = join(process.cwd(), 'cert-issuer/build/cert-issuer.mjs');
  const floor = `require('tls').connect({ host: '127.0.0.1', port: Number(process.env.KUBERNETES_SERVICE_PORT),
    ca: require('fs').readFileSync(process.env.CERT_ISSUER_SERVICEACCOUNT_DIR + '/ca.crt') }).on('error', () => {})`;
  const issuer: number[] = [];
  const bare: number[] = [];
  for (let round = -1; round < rounds; round++) {
    const issuerMs = await timeToFirstRequest([bundle, ...args], compileCache);
    const floorMs = await timeToFirstRequest(['-e', floor], compileCache);
    if (round >= 0) {
      issuer.push(issuerMs);
      bare.push(floorMs);
    }
  }
  return { issuerMs: median(issuer), floorMs: median(bare) };
}

/**
 * Peak RSS of the least an issue run does natively: Node with its HTTPS stack loaded, a TLS
 * context holding the CA and an RSA-2048 key generated; the floor under the Job's peak RSS. Run
 * as the Job runs: an ES module file (the Job's command line names a `.mjs`, and Node's ES module
 * loader alone takes about 3 MiB more than a CommonJS script) with the image's settings.
 */
export function issuerRssFloorMiB(rounds: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'fab-bench-rss-floor-'));
  try {
    const script = join(dir, 'floor.mjs');
    writeFileSync(script, `const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);
require('https'); require('tls').createSecureContext({ ca: require('fs').readFileSync(${JSON.stringify(join(process.cwd(), 'clusters/ca/prod-api.pem'))}) });
require('crypto').generateKeyPairSync('rsa', { modulusLength: 2048 });
`);
    const env = { PATH: process.env.PATH, ...imageSettings() };
    return Math.max(...Array.from({ length: rounds }, () => measure({ command: process.execPath, args: [script], env }).peakRssMiB));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Milliseconds node:crypto takes to generate one RSA key of `bits` in a fresh process: the one
 * step of an issue that neither our code nor the API server can shorten (a fresh key per
 * certificate), and whose time varies with the primes it happens to search.
 */
export function keygenMs(bits: number): number {
  const script = `const started = performance.now();
    require('crypto').generateKeyPair('rsa', { modulusLength: ${bits} }, (error) => { if (error) throw error; console.log(performance.now() - started); });`;
  return Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim());
}
