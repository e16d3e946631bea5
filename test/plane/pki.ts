// The plane's PKI, made with the openssl CLI: one cluster CA (client CA of the apiserver and the
// kube-apiserver-client signer of kube-controller-manager), the serving certificate, client
// certificates for the plane's own identities, and the ServiceAccount token keys.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { execFileP } from './proc.ts';

// Like kubeadm's: a long-lived CA and year-long leaves. The signer caps every certificate at the
// CA's notAfter, so a short-lived CA would silently shorten what the issuer gets.
const caDays = '3650';
const leafDays = '365';

export async function makeCa(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'ca.crt');
  const key = join(dir, 'ca.key');
  await execFileP('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', caDays,
    '-subj', '/CN=fab-e2e-cluster-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]);
  return { cert, key };
}

/**
 * A serial of its own for every certificate: 16 random bytes, positive (RFC 5280 4.1.2.2). With
 * `-CAcreateserial`, openssl reads and rewrites one ca.srl per CA, and leaves signed in parallel
 * fail with "Unable to load number from ca.srl".
 */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01; // positive and never all zero
  return `0x${bytes.toString('hex')}`;
}

/** Issues name.crt/name.key signed by the CA. Subject like "/CN=x/O=y". Safe to run in parallel. */
export async function issue(
  dir: string,
  ca: { cert: string; key: string },
  name: string,
  subject: string,
  usage: 'serverAuth' | 'clientAuth',
  sans: string[] = [],
): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(
    ext,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${usage}`,
      ...(sans.length ? [`subjectAltName=${sans.join(',')}`] : []),
    ].join('\n') + '\n',
  );
  await execFileP('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', subject]);
  await execFileP('openssl', [
    'x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', randomSerial(),
    '-out', cert, '-days', leafDays, '-sha256', '-extfile', ext,
  ]);
  return { cert, key };
}

export async function serviceAccountKeys(dir: string): Promise<{ key: string; pub: string }> {
  const key = join(dir, 'sa.key');
  const pub = join(dir, 'sa.pub');
  await execFileP('openssl', ['genrsa', '-out', key, '2048']);
  await execFileP('openssl', ['rsa', '-in', key, '-pubout', '-out', pub]);
  return { key, pub };
}

/** A self-contained kubeconfig (embedded data), so it can be copied or read from anywhere. */
export function writeKubeconfig(path: string, server: string, caCert: string, client: { cert: string; key: string }, user: string): void {
  const b64 = (p: string) => readFileSync(p).toString('base64');
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fab-e2e', cluster: { server, 'certificate-authority-data': b64(caCert) } }],
      users: [{ name: user, user: { 'client-certificate-data': b64(client.cert), 'client-key-data': b64(client.key) } }],
      contexts: [{ name: 'fab-e2e', context: { cluster: 'fab-e2e', user } }],
      'current-context': 'fab-e2e',
    }),
    { mode: 0o600 },
  );
}
