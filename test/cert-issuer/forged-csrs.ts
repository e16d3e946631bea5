// CSRs a thief of the issuer's token would send, each one valid for the API server itself (so it
// reaches admission, and is signed where nothing else stops it). The unit tests judge their
// requests with the policy's pattern; the e2e tests send them to the real API server.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCsr, requestShape, type Subject } from '../../src/contract/csr-encoding.ts';
import { CSR_USAGES } from '../../src/contract/issuer-api.ts';

/** The policy rule that must refuse a forgery: a fragment of its denial message. */
export const refusal = {
  subject: 'the request must be for exactly',
  encoding: 'the request must be one PEM block',
  signer: 'signerName must be',
  usages: 'usages must be exactly',
  lifetime: 'expirationSeconds must be set and at most',
} as const;

export interface CsrSpec {
  /** The PEM text; `spec.request` is its base64. */
  readonly pem: string;
  readonly signerName: string;
  readonly usages: readonly string[];
  readonly expirationSeconds?: number;
}

export interface Forgery {
  readonly what: string;
  readonly spec: CsrSpec;
  readonly refusedFor: (typeof refusal)[keyof typeof refusal];
  /** The identity the API server's signer would issue: what the thief gets without the policy. */
  readonly identity: string;
}

export interface IssuerCsr {
  readonly commonName: string;
  readonly keyBits: number;
  readonly signerName: string;
  readonly maxExpirationSeconds: number;
}

/** A fresh RSA key pair as PEM. */
export function rsaKeyPair(bits: number): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** A request exactly as the issuer encodes it, for any subject and key size. */
export function canonicalPem(subject: Subject, keyBits: number): string {
  return encodeCsr(subject, rsaKeyPair(keyBits), keyBits);
}

/** A request as openssl encodes it (PrintableString or UTF8String values, its own layout). */
function opensslPem(subject: string, key: 'rsa:2048' | 'ec'): string {
  const dir = mkdtempSync(join(tmpdir(), 'fab-forged-csr-'));
  try {
    const keyArgs = key === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'] : ['-newkey', key];
    execFileSync('openssl', ['req', '-new', ...keyArgs, '-nodes', '-keyout', join(dir, 'key'), '-subj', subject, '-sha256', '-out', join(dir, 'csr')], { stdio: 'pipe' });
    return readFileSync(join(dir, 'csr'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Every forgery issue 12 lists, for the issuer's CN and key size. The request-level ones each
 * pass the API server's own validation (one decodable CERTIFICATE REQUEST block with a valid
 * signature), so only the policy stands between them and the signer.
 */
export function forgeries(issuer: IssuerCsr): Forgery[] {
  const { commonName, keyBits, signerName, maxExpirationSeconds } = issuer;
  const own = { commonName, organization: undefined };
  const spec = (pem: string): CsrSpec => ({ pem, signerName, usages: [...CSR_USAGES], expirationSeconds: maxExpirationSeconds });
  const canonical = canonicalPem(own, keyBits);
  const canonicalLength = canonical.length;
  const prefixBytes = Buffer.from(requestShape(own, keyBits).prefix, 'base64').toString('latin1');
  const kcm = opensslPem('/CN=system:kube-controller-manager', 'ec');

  // Our fixed prefix, a character that breaks its base64 (Go's pem.Decode then skips that block),
  // and the thief's block, padded with line breaks to exactly the issuer's length.
  const smuggled = `${prefixBytes}!\n${kcm}`;
  if (smuggled.length > canonicalLength) throw new Error('the smuggled block does not fit the issuer request length');
  // One line break moved into a line as a space: Go removes the space and decodes the same DER.
  const lineBreak = canonical.indexOf('\n', prefixBytes.length);
  const respaced = `${canonical.slice(0, lineBreak)} ${canonical.slice(lineBreak + 1)}`;

  const request = (what: string, pem: string, refusedFor: Forgery['refusedFor'], identity: string): Forgery => ({ what, spec: spec(pem), refusedFor, identity });
  return [
    request('CN=system:kube-controller-manager (every Secret in the cluster)', canonicalPem({ commonName: 'system:kube-controller-manager', organization: undefined }, keyBits), refusal.subject, 'system:kube-controller-manager'),
    request('CN=system:node:fab-node, O=system:nodes (a node)', canonicalPem({ commonName: 'system:node:fab-node', organization: 'system:nodes' }, keyBits), refusal.subject, 'system:node:fab-node'),
    request('CN=admin-impostor (any user)', canonicalPem({ commonName: 'admin-impostor', organization: undefined }, keyBits), refusal.subject, 'admin-impostor'),
    request('another PEM label first, then a foreign request', `-----BEGIN NEW CERTIFICATE REQUEST-----\n!\n-----END NEW CERTIFICATE REQUEST-----\n${kcm}`, refusal.subject, 'system:kube-controller-manager'),
    request('CRLF line breaks', canonical.replaceAll('\n', '\r\n'), refusal.subject, commonName),
    request('a trailing line break', `${canonical}\n`, refusal.encoding, commonName),
    request('a line break turned into a space, same length', respaced, refusal.encoding, commonName),
    request('a second PEM block behind the issuer prefix, same length', smuggled.padEnd(canonicalLength, '\n'), refusal.encoding, 'system:kube-controller-manager'),
    request('an added O', canonicalPem({ commonName, organization: 'system:nodes' }, keyBits), refusal.subject, commonName),
    request('an added OU', opensslPem(`/CN=${commonName}/OU=admins`, 'rsa:2048'), refusal.subject, commonName),
    request('a CN with a suffix', canonicalPem({ commonName: `${commonName}-admin`, organization: undefined }, keyBits), refusal.subject, `${commonName}-admin`),
    request('two CNs (the last one counts)', opensslPem(`/CN=${commonName}/CN=admin-impostor`, 'rsa:2048'), refusal.subject, 'admin-impostor'),
    request('another key size', canonicalPem(own, keyBits === 4096 ? 2048 : 4096), refusal.subject, commonName),
    request('another key algorithm (EC P-256)', opensslPem(`/CN=${commonName}`, 'ec'), refusal.subject, commonName),
    { what: 'another signer', spec: { ...spec(canonical), signerName: 'example.com/forged' }, refusedFor: refusal.signer, identity: commonName },
    { what: 'another usage set', spec: { ...spec(canonical), usages: ['digital signature', 'key encipherment', 'client auth'] }, refusedFor: refusal.usages, identity: commonName },
    { what: 'a longer lifetime', spec: { ...spec(canonical), expirationSeconds: maxExpirationSeconds + 1 }, refusedFor: refusal.lifetime, identity: commonName },
    { what: 'no lifetime', spec: { ...spec(canonical), expirationSeconds: undefined }, refusedFor: refusal.lifetime, identity: commonName },
  ];
}
