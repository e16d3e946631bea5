import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { connectionFromKubeconfig } from '../../cert-issuer/src/kubeconfig.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('connectionFromKubeconfig', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'fab-kubeconfig-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (user: Record<string, unknown>, cluster: Record<string, unknown> = { server: 'https://127.0.0.1:7445', 'certificate-authority-data': b64('CA PEM') }) => {
    const path = join(dir, 'config');
    writeFileSync(path, stringify({
      'current-context': 'ctx',
      contexts: [{ name: 'other', context: { cluster: 'x', user: 'x' } }, { name: 'ctx', context: { cluster: 'plane', user: 'admin' } }],
      clusters: [{ name: 'plane', cluster }],
      users: [{ name: 'admin', user }],
    }));
    return path;
  };

  test('GIVEN inline client certificate data WHEN loaded THEN the current context\'s server, CA and key pair are used', async () => {
    const connection = await connectionFromKubeconfig(write({ 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') }));
    expect(connection).toMatchObject({ server: 'https://127.0.0.1:7445', ca: 'CA PEM', clientCertificate: 'CERT', clientKey: 'KEY' });
  });

  test('GIVEN files relative to the kubeconfig WHEN loaded THEN they are read from its folder', async () => {
    writeFileSync(join(dir, 'ca.crt'), 'CA FILE');
    writeFileSync(join(dir, 'token'), 'T');
    const connection = await connectionFromKubeconfig(write({ tokenFile: 'token' }, { server: 'https://h:6443', 'certificate-authority': 'ca.crt' }));
    expect(connection).toMatchObject({ ca: 'CA FILE', tokenFile: join(dir, 'token') });
  });

  test('GIVEN an exec plugin WHEN loaded THEN it is refused with a clear message', async () => {
    await expect(connectionFromKubeconfig(write({ exec: { command: 'aws' } }))).rejects.toThrow(/needs an exec or auth-provider plugin, which the issuer does not run/);
  });

  test('GIVEN a cluster without a CA WHEN loaded THEN it is refused, because the issuer always verifies the server', async () => {
    await expect(connectionFromKubeconfig(write({ token: 't' }, { server: 'https://h:6443', 'insecure-skip-tls-verify': true }))).rejects.toThrow(/has no certificate authority/);
  });

  test('GIVEN a missing file WHEN loaded THEN the error names the flag and the path', async () => {
    await expect(connectionFromKubeconfig(join(dir, 'absent'))).rejects.toThrow(/^--kubeconfig: cannot load .*absent/);
  });
});
