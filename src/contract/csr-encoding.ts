/**
 * The one encoding of the issuer's CertificateSigningRequest, and what it lets the API server
 * check. The issuer encodes every request here; the synth derives the admission policy's pattern
 * for `spec.request` here too, so the two cannot drift apart.
 *
 * The API server's CEL has no base64 and no X.509 functions: it sees `spec.request` as the base64
 * text of the PEM bytes. So the encoding is fixed down to the byte: for a given subject and key
 * size, the DER has one length, and everything up to the modulus (the subject, the key algorithm
 * and its size) is known in advance; the PEM has one label and one line layout. What an attacker
 * may still choose is only base64 text at the key's and the signature's positions.
 */
import { createPublicKey, sign } from 'node:crypto';

export interface Subject {
  readonly commonName: string;
  readonly organization: string | undefined;
}

const pemHeader = '-----BEGIN CERTIFICATE REQUEST-----\n';
const pemFooter = '-----END CERTIFICATE REQUEST-----\n';
const pemLineLength = 64;
const base64Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const anyBase64 = [...base64Alphabet].map((c) => c.charCodeAt(0));
/** 1 at the character codes of the base64 alphabet. */
const isBase64 = new Uint8Array(128);
for (const code of anyBase64) isBase64[code] = 1;

const oid = {
  commonName: [0x06, 0x03, 0x55, 0x04, 0x03],
  organizationName: [0x06, 0x03, 0x55, 0x04, 0x0a],
  rsaEncryption: [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
  sha256WithRSAEncryption: [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b],
};
const asn1Null = [0x05, 0x00];
const rsaExponent = Buffer.from([0x01, 0x00, 0x01]); // 65537, node:crypto's default

/** A DER tag-length-value. */
function tlv(tag: number, ...content: (Buffer | number[])[]): Buffer {
  const body = Buffer.concat(content.map((part) => Buffer.from(part)));
  const n = body.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}

const sequence = (...content: (Buffer | number[])[]) => tlv(0x30, ...content);
// UTF8String for every value, so that a CN outside PrintableString (an underscore, an @) is
// encoded correctly, and the encoding never depends on the characters.
const attribute = (type: number[], value: string) => tlv(0x31, sequence(type, tlv(0x0c, Buffer.from(value, 'utf8'))));

/**
 * CertificationRequestInfo (RFC 2986): version 0, the subject (CN, then O when there is one), an
 * RSA key and no attributes. The modulus must be exactly `keyBits` long with the exponent 65537,
 * so that every request of this subject and key size has the same length and the same prefix.
 */
function requestInfo(subject: Subject, modulus: Buffer, keyBits: number): Buffer {
  if (modulus.length !== keyBits / 8 || (modulus[0]! & 0x80) === 0) {
    throw new Error(`the RSA modulus is not exactly ${keyBits} bits long`);
  }
  const name = sequence(
    attribute(oid.commonName, subject.commonName),
    ...(subject.organization === undefined ? [] : [attribute(oid.organizationName, subject.organization)]),
  );
  const rsaPublicKey = sequence(tlv(0x02, [0x00], modulus), tlv(0x02, rsaExponent));
  const spki = sequence(sequence(oid.rsaEncryption, asn1Null), tlv(0x03, [0x00], rsaPublicKey));
  return sequence([0x02, 0x01, 0x00], name, spki, [0xa0, 0x00]);
}

/** CertificationRequest: the info, sha256WithRSAEncryption and the signature over the info. */
function certificationRequest(info: Buffer, signature: Buffer): Buffer {
  return sequence(info, sequence(oid.sha256WithRSAEncryption, asn1Null), tlv(0x03, [0x00], signature));
}

/** The PEM layout: one block, the standard label, 64-character lines, `\n` line ends. */
function toPem(der: Buffer): string {
  const base64 = der.toString('base64');
  const lines = base64.match(new RegExp(`.{1,${pemLineLength}}`, 'g')) ?? [];
  return `${pemHeader}${lines.map((line) => `${line}\n`).join('')}${pemFooter}`;
}

/** The issuer's PKCS#10 request for `subject`, signed with SHA-256 by node:crypto, as PEM. */
export function encodeCsr(subject: Subject, key: { privateKeyPem: string; publicKeyPem: string }, keyBits: number): string {
  const jwk = createPublicKey(key.publicKeyPem).export({ format: 'jwk' });
  if (jwk.kty !== 'RSA' || !Buffer.from(jwk.e!, 'base64url').equals(rsaExponent)) {
    throw new Error('the key is not an RSA key with exponent 65537');
  }
  const info = requestInfo(subject, Buffer.from(jwk.n!, 'base64url'), keyBits);
  return toPem(certificationRequest(info, sign('sha256', info, key.privateKeyPem)));
}

/** What `spec.request` (the base64 text of the PEM) of every issuer request for one subject looks like. */
export interface RequestShape {
  /** The text every such request starts with: the PEM label, the subject, the key algorithm and size. */
  readonly prefix: string;
  /** The exact length of the text. */
  readonly length: number;
  /**
   * An RE2 pattern (anchored, without backslashes) that matches exactly these texts: one PEM
   * block with the fixed prefix and layout, and base64 characters wherever the key and the
   * signature go. Nothing else fits: no other label, whitespace, line break or second block.
   */
  readonly pattern: string;
}

/**
 * The shape of `spec.request` for `subject` and `keyBits`, derived from `encodeCsr`'s own layout:
 * a request is encoded with the extreme modulus and signature values, the DER bytes up to the
 * modulus are fixed and the rest are free.
 */
export function requestShape(subject: Subject, keyBits: number): RequestShape {
  const modulus = Buffer.alloc(keyBits / 8, 0xff);
  const info = requestInfo(subject, modulus, keyBits);
  const der = certificationRequest(info, Buffer.alloc(keyBits / 8));
  const fixedDer = der.subarray(0, der.indexOf(modulus));
  const pem = toPem(der);

  // Each byte of the PEM text is fixed (the label, the layout, base64 of fixed DER), or any
  // base64 character consistent with the fixed DER bits it carries.
  // (The PEM text is ASCII, so characters and bytes are the same here.)
  const allowed: number[][] = [];
  let dataIndex = 0;
  for (let i = 0; i < pem.length; i++) {
    const inData = i >= pemHeader.length && i < pem.length - pemFooter.length && isBase64[pem.charCodeAt(i)] === 1;
    if (!inData) {
      allowed.push([pem.charCodeAt(i)]);
      continue;
    }
    const firstBit = 6 * dataIndex++;
    const fixedBits = Math.max(0, Math.min(6, fixedDer.length * 8 - firstBit));
    const bits = bitsAt(fixedDer, firstBit, fixedBits);
    allowed.push(fixedBits === 0 ? anyBase64 : anyBase64.filter((_, value) => value >> (6 - fixedBits) === bits));
  }

  const fixedBytes = allowed.findIndex((set) => set.length > 1);
  const prefix = Buffer.from(pem.slice(0, fixedBytes - (fixedBytes % 3)), 'latin1').toString('base64');
  return { prefix, length: Buffer.from(pem, 'latin1').toString('base64').length, pattern: `^${base64Pattern(allowed)}$` };
}

/** `count` bits of `bytes` from bit `first` on, most significant first, as a number. */
function bitsAt(bytes: Buffer, first: number, count: number): number {
  let value = 0;
  for (let bit = first; bit < first + count; bit++) value = (value << 1) | ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1);
  return value;
}

/**
 * An RE2 pattern over the base64 text of byte strings whose i-th byte is one of `allowed[i]`.
 * Base64 packs 3 bytes into 4 characters, each character taking bits of at most two bytes, so
 * within a group every character only constrains its neighbours; the pattern for a group
 * branches on that shared state. Repeated groups (the PEM lines) become `(?:...){n}`.
 */
function base64Pattern(allowed: number[][]): string {
  const groups: string[] = [];
  for (let i = 0; i < allowed.length; i += 3) {
    const sets = allowed.slice(i, i + 3);
    groups.push(sets.length === 3 ? groupPattern(sets as [number[], number[], number[]]) : partialGroup(sets));
  }
  return compress(groups);
}

/** The last, padded group: its bytes are the PEM footer, so they are fixed. */
function partialGroup(sets: number[][]): string {
  if (sets.some((set) => set.length !== 1)) throw new Error('the PEM text must end in fixed bytes');
  return Buffer.from(sets.map((set) => set[0]!)).toString('base64');
}

// Most groups of a request are alike (three free base64 characters, or one with a line break),
// and synth builds one shape per cluster: each distinct group is worked out once.
const groupPatterns = new Map<string, string>();

/** The 4 characters of 3 bytes drawn from `s1`, `s2`, `s3`. */
function groupPattern(sets: [number[], number[], number[]]): string {
  // Three fixed bytes (the PEM label, the subject: most groups that differ): their base64 text,
  // a '+' in a class as charClass writes one.
  if (sets.every((set) => set.length === 1)) return Buffer.from(sets.map((set) => set[0]!)).toString('base64').replaceAll('+', '[+]');
  // A free character's set is always anyBase64 itself: one short key for it, not its 64 codes.
  const key = sets.map((set) => (set === anyBase64 ? '\u{ffff}' : String.fromCharCode(...set))).join('\0');
  let pattern = groupPatterns.get(key);
  if (pattern === undefined) {
    pattern = buildGroupPattern(sets);
    groupPatterns.set(key, pattern);
  }
  return pattern;
}

function buildGroupPattern([s1, s2, s3]: [number[], number[], number[]]): string {
  // Character 1 is byte 1's top 6 bits; the state it leaves is the set of byte 1's low 2 bits.
  // Character 2 holds those 2 bits and byte 2's top 4; it leaves the set of byte 2's low 4 bits.
  // Character 3 holds those 4 bits and byte 3's top 2; character 4 is byte 3's low 6 bits.
  const byTop = (set: number[], shift: number) => {
    const states = new Map<number, number[]>();
    for (const b of set) {
      const lows = states.get(b >> shift);
      if (lows === undefined) states.set(b >> shift, [b & ((1 << shift) - 1)]);
      else lows.push(b & ((1 << shift) - 1));
    }
    return states;
  };
  const after1 = byTop(s1, 2);
  const after2 = byTop(s2, 4);
  const after3 = byTop(s3, 6);
  // Branch on the state after character 2 (byte 2's low bits); the characters before it are an
  // alternation over byte 1's states, those after it over byte 3's.
  const tails = groupBy([...after2], ([, low2]) => low2.join()).map((entries) => entries.map(([top2]) => top2));
  const headStates = groupBy([...after1], ([, low1]) => low1.join());
  const restStates = groupBy([...after3], ([, low3]) => low3.join());
  const branches = tails.map((tops2) => {
    const low2 = after2.get(tops2[0]!)!;
    const heads = headStates.map((entries) => {
      const firsts = entries.map(([top1]) => top1);
      const seconds = entries[0]![1].flatMap((low1) => tops2.map((top2) => (low1 << 4) | top2));
      return charClass(firsts) + charClass(seconds);
    });
    const rests = restStates.map((entries) => {
      const thirds = low2.flatMap((l2) => entries.map(([top3]) => (l2 << 2) | top3));
      return charClass(thirds) + charClass(entries[0]![1]);
    });
    return `${alternation(heads)}${alternation(rests)}`;
  });
  return alternation(branches);
}

function groupBy<T>(items: T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const name = key(item);
    const group = groups.get(name);
    if (group === undefined) groups.set(name, [item]);
    else group.push(item);
  }
  return [...groups.values()];
}

function alternation(options: string[]): string {
  const unique = [...new Set(options)];
  return unique.length === 1 ? unique[0]! : `(?:${unique.join('|')})`;
}

/** A class of base64 characters by their 6-bit values, with ranges; `+` goes in a class, no escapes needed. */
function charClass(values: number[]): string {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  if (sorted.length === 64) return '[A-Za-z0-9+/]';
  if (sorted.length === 1 && sorted[0] !== 62) return base64Alphabet[sorted[0]!]!;
  let out = '';
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    // Ranges only inside one of A-Z, a-z, 0-9, whose values are consecutive.
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1 && segment(sorted[j + 1]!) === segment(sorted[i]!)) j++;
    const from = base64Alphabet[sorted[i]!]!;
    const to = base64Alphabet[sorted[j]!]!;
    out += j === i ? from : j === i + 1 ? from + to : `${from}-${to}`;
    i = j + 1;
  }
  return `[${out}]`;
}

function segment(value: number): number {
  return value < 26 ? 0 : value < 52 ? 1 : value < 62 ? 2 : value;
}

/**
 * Joins group patterns, folding consecutive repeats into `(?:...){n}`: first of single groups,
 * then of runs of 2, 3, ... groups, so that a repeated PEM line made of repeated groups folds twice.
 */
function compress(tokens: string[], maxRun = 70): string {
  let folded = tokens;
  for (let run = 1; run <= maxRun; run++) {
    const next: string[] = [];
    for (let i = 0; i < folded.length; ) {
      let times = 1;
      while (i + (times + 1) * run <= folded.length && sameRun(folded, i, i + times * run, run)) times++;
      if (times > 1) {
        next.push(`(?:${folded.slice(i, i + run).join('')}){${times}}`);
        i += run * times;
      } else {
        next.push(folded[i]!);
        i++;
      }
    }
    folded = next;
  }
  return folded.join('');
}

function sameRun(tokens: string[], a: number, b: number, run: number): boolean {
  for (let k = 0; k < run; k++) if (tokens[a + k] !== tokens[b + k]) return false;
  return true;
}
