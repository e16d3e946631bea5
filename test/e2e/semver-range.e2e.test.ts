// A release's `version` is checked at synth by src/contract/semver-range.ts, a port of the range parser
// source-controller resolves it with. Here the port meets the real thing: generated ranges go to
// semver-constraint (test/controlplane/flux), Masterminds/semver's NewConstraint built from this
// Flux release's module graph, and both must give the same verdict on every one.
//
// The seed is logged; FAB_GEN_SEED=<seed> reruns one.
import { join } from 'node:path';
import fc from 'fast-check';
import { semverRangeProblem } from '../../src/contract/semver-range.ts';
import { readState } from '../plane/env.ts';
import { run } from '../plane/testkit.ts';

const seed = Number(process.env.FAB_GEN_SEED ?? Date.now() % 2 ** 31);
const RANGES = 20_000;

// Ranges as people write them and as they mistype them: the grammar's own pieces, near misses
// (leading zeros, `V`, four parts, empty identifiers, 2^64), and any mix of the characters it uses.
const number = fc.oneof(fc.nat(30).map(String), fc.constantFrom('0', '00', '01', '18446744073709551615', '18446744073709551616', 'x', 'X', '*', '1x', '|', '1|2'));
const identifiers = fc.array(fc.oneof(fc.constantFrom('alpha', 'rc', '0', '01', '', 'a-b', 'beta_1', 'ü'), fc.nat(20).map(String)), { minLength: 1, maxLength: 3 }).map((ids) => ids.join('.'));
const version = fc.tuple(
  fc.constantFrom('', '', 'v', 'V'),
  fc.array(number, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('.')),
  fc.option(identifiers.map((ids) => `-${ids}`), { nil: '' }),
  fc.option(identifiers.map((ids) => `+${ids}`), { nil: '' }),
).map((parts) => parts.join(''));
const operator = fc.constantFrom('', '', '=', '!=', '>', '<', '>=', '=>', '<=', '=<', '~', '~>', '^', '> =', '==', '!');
const space = fc.constantFrom('', ' ', '  ', '\t', '\n', '\u00a0', '\v');
const constraint = fc.oneof(
  fc.tuple(space, operator, space, version, space).map((parts) => parts.join('')),
  fc.tuple(version, fc.constantFrom(' - ', '-', ' -', '  -  '), version).map((parts) => parts.join('')),
);
const group = fc.array(fc.tuple(constraint, fc.constantFrom(' ', ', ', ',', ' , ', '')), { minLength: 1, maxLength: 4 })
  .map((items) => items.map(([c, separator], i) => (i === 0 ? c : separator + c)).join(''));
const range = fc.oneof(
  { weight: 6, arbitrary: fc.array(group, { minLength: 1, maxLength: 3 }).map((groups) => groups.join(' || ')) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789.xX*|v-+ ,<>=!~^a\t'), maxLength: 24 }) },
  // Past the limits: 512 bytes, 32 groups.
  { weight: 1, arbitrary: fc.integer({ min: 28, max: 36 }).map((n) => Array.from({ length: n }, (_, i) => `~${i}.0`).join(' || ')) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 130 }).map((n) => Array.from({ length: n }, () => '1.2').join(' ')) },
);

test(`GIVEN ${RANGES} generated ranges (seed ${seed}) WHEN Masterminds/semver's NewConstraint and src/contract/semver-range.ts read them THEN they accept and refuse the same ones`, async () => {
  const ranges = fc.sample(range, { numRuns: RANGES, seed });
  const checked = await run(join(readState().binDir, 'semver-constraint'), [], { input: JSON.stringify(ranges) });
  expect({ code: checked.code, stderr: checked.stderr }).toEqual({ code: 0, stderr: '' });
  const goErrors = JSON.parse(checked.stdout) as (string | null)[];

  const disagreements = ranges
    .map((r, i) => ({ range: r, go: goErrors[i] ?? 'accepted', ours: semverRangeProblem(r) ?? 'accepted' }))
    .filter((verdict) => (verdict.go === 'accepted') !== (verdict.ours === 'accepted'));
  expect(disagreements.slice(0, 5)).toEqual([]);

  // Both verdicts occur often, so the agreement says something.
  const accepted = goErrors.filter((error) => error === null).length;
  console.log(`semver ranges (seed ${seed}): ${accepted} accepted, ${RANGES - accepted} refused, by both`);
  expect(Math.min(accepted, RANGES - accepted)).toBeGreaterThan(RANGES / 10);
});
