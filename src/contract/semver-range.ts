/**
 * The chart version ranges Flux accepts. source-controller resolves a HelmChart's `version` with
 * github.com/Masterminds/semver/v3 `NewConstraint` (internal/helm/repository/chart_repository.go),
 * at v3.5.0 in the Flux release `test/controlplane/versions.env` pins, and a range it refuses
 * leaves the HelmRelease failing in the cluster. No CRD pattern catches it before.
 *
 * This is that parser's validation, regex for regex (constraints.go and version.go, with
 * `CoerceNewVersion` on, its default), quirks included: `v`, `x` and `|` inside a version, `-`
 * ranges rewritten first, and the length limits. The e2e suite compares it with the Go library
 * itself on generated ranges (test/e2e/semver-range.e2e.test.ts).
 */
import type { TextRule } from './names.ts';

/** Go's `\s`, which is ASCII only; JavaScript's would also take Unicode spaces. */
const SPACE = '[\\t\\n\\f\\r ]';
const OPERATORS = '=||!=|>|<|>=|=>|<=|=<|~|~>|\\^';
/** cvRegex: `|`, `x`, `X` and `*` may stand anywhere in a number; `parseConstraint` sorts them out. */
const CONSTRAINT_VERSION = 'v?([0-9|xX*]+)(\\.[0-9|xX*]+)?(\\.[0-9|xX*]+)?(-([0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*))?(\\+([0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*))?';

const constraintRegex = new RegExp(`^${SPACE}*(${OPERATORS})${SPACE}*(${CONSTRAINT_VERSION})${SPACE}*$`);
const constraintRangeRegex = new RegExp(`${SPACE}*(${CONSTRAINT_VERSION})${SPACE}+-${SPACE}+(${CONSTRAINT_VERSION})${SPACE}*`, 'g');
const findConstraintRegex = new RegExp(`(${OPERATORS})${SPACE}*(${CONSTRAINT_VERSION})`, 'g');
const validConstraintRegex = new RegExp(
  `^(${SPACE}*(${OPERATORS})${SPACE}*(${CONSTRAINT_VERSION})${SPACE}*)((?:${SPACE}+|,${SPACE}*)(${OPERATORS})${SPACE}*(${CONSTRAINT_VERSION})${SPACE}*)*$`,
);
const looseVersionRegex = /^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;

const MAX_CONSTRAINT_BYTES = 512;
const MAX_CONSTRAINT_GROUPS = 32;
const MAX_VERSION_BYTES = 256;
const MAX_UINT64 = 2n ** 64n - 1n;

/** A chart version range, in outline for JSON Schema; `semverRangeProblem` is the whole rule. */
export const VERSION_RANGE: TextRule = {
  what: 'a semver range such as *, 1.x, ~1.2, ^1.2.3, >=1.0.0 <2.0.0 or 1.0 - 1.4 (Masterminds/semver, as Flux reads it)',
  pattern: /^[^\t\n\f\r ](.*[^\t\n\f\r ])?$/,
  maxLength: MAX_CONSTRAINT_BYTES,
};

/** Why `NewConstraint` refuses `range`, showing it; undefined when it parses. */
export function semverRangeProblem(range: string): string | undefined {
  const error = constraintError(range);
  return error && `must be ${VERSION_RANGE.what}: ${error} (got ${JSON.stringify(range)})`;
}

/** NewConstraint's error for `range`, worded as the library words it. */
function constraintError(range: string): string | undefined {
  if (Buffer.byteLength(range) > MAX_CONSTRAINT_BYTES) return `constraint string is too long (max ${MAX_CONSTRAINT_BYTES} bytes)`;
  const groups = rewriteRanges(range).split('||');
  if (groups.length > MAX_CONSTRAINT_GROUPS) return `too many constraint groups (max ${MAX_CONSTRAINT_GROUPS})`;
  for (const group of groups) {
    if (!validConstraintRegex.test(group)) return `improper constraint: ${JSON.stringify(group)}`;
    // A valid group holds at least one constraint, so this finds one.
    for (const constraint of group.match(findConstraintRegex) ?? []) {
      const error = parseConstraint(constraint);
      if (error) return error;
    }
  }
  return undefined;
}

/** rewriteRange: each `a - b` becomes `>= a, <= b `, replacing the first occurrence of the match. */
function rewriteRanges(range: string): string {
  let rewritten = range;
  for (const match of range.matchAll(constraintRangeRegex)) {
    rewritten = rewritten.replace(match[0], () => `>= ${match[1]}, <= ${match[11]} `);
  }
  return rewritten;
}

function parseConstraint(constraint: string): string | undefined {
  const m = constraintRegex.exec(constraint);
  if (!m) return `improper constraint: ${JSON.stringify(constraint)}`;
  const [major, minor, patch, pre] = [m[3]!, m[4] ?? '', m[5] ?? '', m[6] ?? ''];
  const isX = (part: string) => part === 'x' || part === 'X' || part === '*';
  let version = m[2]!;
  if (isX(major) || major === '') version = `0.0.0${pre}`;
  else if (isX(minor.slice(1)) || minor === '') version = `${major}.0.0${pre}`;
  else if (isX(patch.slice(1)) || patch === '') version = `${major}${minor}.0${pre}`;
  // The library's own words: its regex is meant to make this unreachable, and is not.
  return versionError(version) && 'constraint parser error';
}

/** NewVersion with CoerceNewVersion: the loose pattern, 64-bit numbers, then the identifiers. */
function versionError(version: string): string | undefined {
  if (Buffer.byteLength(version) > MAX_VERSION_BYTES) return 'version string is too long';
  const m = looseVersionRegex.exec(version);
  if (!m) return 'invalid semantic version';
  for (const number of [m[1], m[2]?.slice(1), m[3]?.slice(1)]) {
    if (number !== undefined && BigInt(number) > MAX_UINT64) return 'error parsing version segment';
  }
  if (m[5] !== undefined && !validIdentifiers(m[5], true)) return 'invalid prerelease string';
  if (m[8] !== undefined && !validIdentifiers(m[8], false)) return 'invalid metadata string';
  return undefined;
}

/** Dot-separated identifiers, none empty; numeric pre-release identifiers without a leading 0. */
function validIdentifiers(identifiers: string, preRelease: boolean): boolean {
  return identifiers.split('.').every((id) => id !== '' && /^[0-9A-Za-z-]+$/.test(id) && !(preRelease && /^0[0-9]+$/.test(id)));
}
