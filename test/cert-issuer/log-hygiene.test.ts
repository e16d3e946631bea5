import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLogger } from '../../cert-issuer/src/log.ts';
import { makeCa } from './pki.ts';

const run = promisify(execFile);
const main = new URL('../../cert-issuer/src/main.ts', import.meta.url).pathname;

/** Anything in a log that looks like key material, a certificate body or a bearer token. */
export function secretMaterialIn(log: string, known: string[]): string[] {
  const found = [...log.matchAll(/-----BEGIN [A-Z ]+-----|PRIVATE KEY|eyJ[\w-]{8,}\.[\w-]{8,}\./g)].map((m) => m[0]);
  return [...found, ...known.filter((secret) => log.includes(secret))];
}

describe('log hygiene', () => {
  test('GIVEN fields holding a key, a certificate and a token WHEN logged THEN each is redacted', () => {
    const lines: string[] = [];
    const log = createLogger('json', (line) => lines.push(line), () => new Date(0));
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl';
    log.error('exit', `server said: ${makeCa().certPem}`, { token, key: '-----BEGIN PRIVATE KEY-----\nMII...', ok: 'fine' });
    expect(secretMaterialIn(lines.join('\n'), [token])).toEqual([]);
    expect(JSON.parse(lines[0]!)).toEqual({ time: '1970-01-01T00:00:00.000Z', level: 'error', step: 'exit', msg: '[redacted]', token: '[redacted]', key: '[redacted]', ok: 'fine' });
  });

  test('GIVEN the text format WHEN logged THEN it is one human line per step', () => {
    const lines: string[] = [];
    createLogger('text', (line) => lines.push(line), () => new Date(0)).info('store', 'Secret written', { namespace: 'a', result: 'written' });
    expect(lines).toEqual(['1970-01-01T00:00:00.000Z INFO  store: Secret written namespace=a result=written']);
  });

  test('GIVEN a real run with a mounted token and an unreachable API WHEN it gives up THEN it exits 6 and its logs hold no secret', async () => {
    // A real process with a real key generated and a real token file; only the API is absent
    // (no mock stands in for it), so this proves the failure path's logs, not the flow.
    const sa = mkdtempSync(join(tmpdir(), 'cert-issuer-sa-'));
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjZXJ0LWlzc3VlciJ9.dGhpcy1pcy1hLXRlc3Q';
    writeFileSync(join(sa, 'token'), token);
    writeFileSync(join(sa, 'ca.crt'), makeCa().certPem);
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const result = await run(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', '--experimental-transform-types', main, 'ensure', '--common-name=reader', '--secret-name=assets-tls', '--namespaces=a,b', '--timeout-seconds=30'],
      { env: { PATH: process.env.PATH, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(closedPort), CERT_ISSUER_SERVICEACCOUNT_DIR: sa } },
    ).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(result.code).toBe(6);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n').map((line) => JSON.parse(line) as { step: string; msg: string });
    expect(lines[0]).toMatchObject({ step: 'start' });
    expect(lines.at(-1)).toMatchObject({ step: 'exit', level: 'error', exitCode: 6, msg: expect.stringMatching(/^API unavailable: get secret .* ECONNREFUSED/) });
    expect(secretMaterialIn(result.stderr, [token])).toEqual([]);
  }, 60_000);
});
