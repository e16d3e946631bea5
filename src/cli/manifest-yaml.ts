import { Document, stringify } from 'yaml';

/**
 * `stringify(value, { lineWidth: 0 })` from the yaml package, byte for byte, and faster for the
 * objects cdk8s synthesizes: the yaml package builds a node tree and runs a dozen regular
 * expressions per scalar, the largest cost of a large synth
 * (BENCHMARKS.md, Why the code is shaped this way).
 *
 * The fast path writes block maps and sequences itself and decides each string's style with the
 * yaml package's own rules, memoized. A document with anything it does not know how to write the
 * same way (multi-line or non-ASCII strings, floats, nested sequences, long keys) goes to the
 * yaml package whole, so the output never depends on which path wrote it.
 */
export function manifestYaml(value: unknown): string {
  const lines: string[] = [];
  return isPlainObject(value) && Object.keys(value).length > 0 && writeMap(value, '', lines)
    ? lines.join('')
    : stringify(value, { lineWidth: 0 });
}

/** Appends `map` at `indent`; false when some part of it needs the yaml package. */
function writeMap(map: Record<string, unknown>, indent: string, lines: string[]): boolean {
  for (const key of Object.keys(map)) {
    const value = map[key];
    const keyText = scalarText(key, keys);
    if (keyText === undefined || keyText.length > 1024) return false; // long keys become explicit `? key`
    if (isPlainObject(value)) {
      if (Object.keys(value).length === 0) lines.push(`${indent}${keyText}: {}\n`);
      else {
        lines.push(`${indent}${keyText}:\n`);
        if (!writeMap(value, `${indent}  `, lines)) return false;
      }
    } else if (Array.isArray(value)) {
      if (value.length === 0) lines.push(`${indent}${keyText}: []\n`);
      else {
        lines.push(`${indent}${keyText}:\n`);
        if (!writeSeq(value, `${indent}  `, lines)) return false;
      }
    } else {
      const text = scalarText(value, values);
      if (text === undefined) return false;
      lines.push(`${indent}${keyText}: ${text}\n`);
    }
  }
  return true;
}

function writeSeq(seq: readonly unknown[], indent: string, lines: string[]): boolean {
  for (const item of seq) {
    if (isPlainObject(item)) {
      if (Object.keys(item).length === 0) {
        lines.push(`${indent}- {}\n`);
        continue;
      }
      // A map item starts on the dash's line: its first line loses the indent the dash takes.
      const first = lines.length;
      if (!writeMap(item, `${indent}  `, lines)) return false;
      lines[first] = `${indent}- ${lines[first]!.slice(indent.length + 2)}`;
    } else if (Array.isArray(item)) {
      return false;
    } else {
      const text = scalarText(item, values);
      if (text === undefined) return false;
      lines.push(`${indent}- ${text}\n`);
    }
  }
  return true;
}

/** Rendered strings by value, one memo for keys and one for values: their quoting rules differ. */
const keys = new Map<string, string>();
const values = new Map<string, string>();

/**
 * The core schema's non-string scalars (null, booleans, integers, floats): a plain string that
 * one of them would read back as something else has to be quoted.
 */
const otherTypes = new Document().schema.tags.filter((tag) => tag.default && tag.tag !== 'tag:yaml.org,2002:str' && tag.test !== undefined);

function scalarText(value: unknown, memo: Map<string, string>): string | undefined {
  switch (typeof value) {
    case 'string':
      return stringText(value, memo);
    case 'number':
      return Number.isSafeInteger(value) && !Object.is(value, -0) ? String(value) : undefined;
    case 'boolean':
      return String(value);
    default:
      return value === null ? 'null' : undefined;
  }
}

function stringText(value: string, memo: Map<string, string>): string | undefined {
  const known = memo.get(value);
  if (known !== undefined) return known;
  // Printable ASCII on one line: its style then depends neither on the indentation nor on where
  // the line would fold (lineWidth 0 never folds). A document marker at its start is the one
  // exception, handled by the indentation, so it goes to the yaml package too.
  if (!/^[\x20-\x7e]*$/.test(value) || /^(---|\.\.\.)/.test(value)) return undefined;
  const text = isPlain(value) ? value : quoted(value, memo === keys);
  memo.set(value, text);
  return text;
}

/** The yaml package's test for a plain scalar, narrowed to one line of printable ASCII. */
function isPlain(value: string): boolean {
  return value !== ''
    && !/^[ ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-] |: | #| $|:$/.test(value)
    && !otherTypes.some((tag) => tag.test!.test(value));
}

/** A string that cannot be plain, quoted exactly as the yaml package quotes it. */
function quoted(value: string, asKey: boolean): string {
  const line = stringify(asKey ? { [value]: 0 } : { k: value }, { lineWidth: 0 });
  return asKey ? line.slice(0, -': 0\n'.length) : line.slice('k: '.length, -1);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}
