/**
 * Reads a PKCS#10 certificate request (RFC 2986) for the check before approval: its subject, its
 * public key and whether its signature verifies. A small DER reader plus node:crypto, instead of a
 * general ASN.1 library: the issuer reads one structure, and such a library is heavy for the Job to
 * load (BENCHMARKS.md, Why the code is shaped this way).
 *
 * It is strict: any structure it does not expect is an error, and the caller refuses to approve.
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';

/** One DER tag-length-value: its tag, its content, and all its bytes (for the signed part). */
interface Tlv {
  readonly tag: number;
  readonly content: Buffer;
  readonly whole: Buffer;
}

const SEQUENCE = 0x30;
const SET = 0x31;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OBJECT_IDENTIFIER = 0x06;
const CONTEXT_0 = 0xa0;

/** The TLV at `offset` of `der`; lengths in DER's definite form only, as DER requires. */
function readTlv(der: Buffer, offset: number): Tlv {
  const tag = der[offset];
  let length = der[offset + 1];
  if (tag === undefined || length === undefined) throw new Error('truncated DER');
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 3) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i]!;
    start += bytes;
  }
  const end = start + length;
  if (end > der.length) throw new Error('truncated DER');
  return { tag, content: der.subarray(start, end), whole: der.subarray(offset, end) };
}

/** The TLVs that make up `content`, in order. */
function children(content: Buffer): Tlv[] {
  const items: Tlv[] = [];
  for (let offset = 0; offset < content.length; offset += items.at(-1)!.whole.length) items.push(readTlv(content, offset));
  return items;
}

function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (tlv?.tag !== tag) throw new Error(`${what}: unexpected DER structure`);
  return tlv;
}

/** Dotted form of an OBJECT IDENTIFIER's content. */
function oidOf(content: Buffer): string {
  const parts = [Math.floor(content[0]! / 40), content[0]! % 40];
  let value = 0;
  for (const byte of content.subarray(1)) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/** The text of a directory string, by its string type; other types are refused. */
function textOf(tlv: Tlv): string {
  switch (tlv.tag) {
    case 0x0c: return tlv.content.toString('utf8'); // UTF8String
    case 0x13: case 0x16: return tlv.content.toString('ascii'); // PrintableString, IA5String
    case 0x14: return tlv.content.toString('latin1'); // TeletexString, as browsers read it
    case 0x1e: return Buffer.from(tlv.content).swap16().toString('utf16le'); // BMPString
    default: throw new Error(`unsupported string type 0x${tlv.tag.toString(16)} in the subject`);
  }
}

const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST',
  '2.5.4.5': 'serialNumber', '1.2.840.113549.1.9.1': 'emailAddress',
};

const SIGNATURE_HASHES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.11': 'sha256', '1.2.840.113549.1.1.12': 'sha384', '1.2.840.113549.1.1.13': 'sha512',
};

export interface Pkcs10Request {
  /** Every subject attribute in order, by short name (CN, O, OU…) or dotted OID. */
  readonly subject: readonly { readonly type: string; readonly value: string }[];
  readonly publicKey: KeyObject;
  /** Whether the request is signed by the key it carries, with RSA and SHA-2. */
  readonly signatureValid: boolean;
}

/** Reads a PEM CSR; throws when it is not a well-formed RSA PKCS#10 request. */
export function readPkcs10(pem: string): Pkcs10Request {
  const match = /^-----BEGIN CERTIFICATE REQUEST-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END CERTIFICATE REQUEST-----\r?\n?$/.exec(pem);
  if (!match) throw new Error('not one PEM CERTIFICATE REQUEST block');
  const der = Buffer.from(match[1]!.replace(/\s/g, ''), 'base64');
  const request = expectTag(readTlv(der, 0), SEQUENCE, 'CertificationRequest');
  if (request.whole.length !== der.length) throw new Error('CertificationRequest: trailing bytes');
  const [info, algorithm, signature, ...extra] = children(request.content);
  if (extra.length > 0) throw new Error('CertificationRequest: unexpected DER structure');
  const [version, name, spki, attributes, ...more] = children(expectTag(info, SEQUENCE, 'CertificationRequestInfo').content);
  expectTag(version, INTEGER, 'version');
  if (more.length > 0 || (attributes !== undefined && attributes.tag !== CONTEXT_0)) throw new Error('CertificationRequestInfo: unexpected DER structure');

  const subject = children(expectTag(name, SEQUENCE, 'subject').content).flatMap((rdn) =>
    children(expectTag(rdn, SET, 'subject').content).map((attribute) => {
      const [type, value] = children(expectTag(attribute, SEQUENCE, 'subject').content);
      const oid = oidOf(expectTag(type, OBJECT_IDENTIFIER, 'subject').content);
      return { type: ATTRIBUTE_NAMES[oid] ?? oid, value: textOf(value!) };
    }));

  const publicKey = createPublicKey({ key: expectTag(spki, SEQUENCE, 'subjectPublicKeyInfo').whole, format: 'der', type: 'spki' });
  if (publicKey.asymmetricKeyType !== 'rsa') throw new Error('not an RSA key');
  const [algorithmOid] = children(expectTag(algorithm, SEQUENCE, 'signatureAlgorithm').content);
  const hash = SIGNATURE_HASHES[oidOf(expectTag(algorithmOid, OBJECT_IDENTIFIER, 'signatureAlgorithm').content)];
  const bits = expectTag(signature, BIT_STRING, 'signature').content;
  // The first byte of a BIT STRING counts the unused bits; a signature has none.
  const signatureValid = hash !== undefined && bits[0] === 0 && verify(hash, info!.whole, publicKey, bits.subarray(1));
  return { subject, publicKey, signatureValid };
}
