// The chart version ranges a release may name: what Masterminds/semver's NewConstraint accepts,
// source-controller's parser. The e2e suite compares the rule with the Go library on generated
// ranges; these are the cases a reader should see, quirks included.
import { semverRangeProblem } from '../../src/contract/semver-range.ts';

describe('GIVEN a chart version range', () => {
  test.each([
    ['*', 'any version that is not a pre-release'],
    ['1.x', 'a wildcard part'],
    ['~1.2', 'a tilde range'],
    ['^1.2.3', 'a caret range'],
    ['>=1.0.0 <2.0.0', 'an AND by a space'],
    ['>=1.0.0, <2.0.0', 'an AND by a comma'],
    ['1.0 - 1.4', 'a hyphen range'],
    ['1.2.3 || ^2', 'an OR'],
    ['>=0.0.0-0', 'a pre-release part, which takes pre-releases too'],
    ['v1.2', "a lowercase 'v'"],
    ['01.2.3', 'a leading zero in a number, which the parser coerces'],
    ['1.2.3+build.1', 'build metadata'],
  ])('WHEN it is %j (%s) THEN it is accepted', (range) => {
    expect(semverRangeProblem(range)).toBeUndefined();
  });

  test.each([
    ['"latest"', 'latest', 'improper constraint: "latest"'],
    ['"V1.2"', 'V1.2', 'improper constraint: "V1.2"'],
    ['"1.2.3.4"', '1.2.3.4', 'improper constraint: "1.2.3.4"'],
    ['"> = 1"', '> = 1', 'improper constraint: "> = 1"'],
    ['"1.2 ||"', '1.2 ||', 'improper constraint: ""'],
    ['"1.2.3-01", a numeric pre-release identifier with a leading zero', '1.2.3-01', 'constraint parser error'],
    ["\"1|2\", where '|' passes the pattern of a number but not the number parser", '1|2', 'constraint parser error'],
    ['"1x"', '1x', 'constraint parser error'],
    ['2^64', '18446744073709551616', 'constraint parser error'],
    ['33 ranges joined by ||', Array.from({ length: 33 }, (_, i) => `~${i}`).join(' || '), 'too many constraint groups (max 32)'],
    ['over 512 bytes long', Array.from({ length: 171 }, () => '1.2').join(' '), 'constraint string is too long (max 512 bytes)'],
  ])('WHEN it is %s THEN it is refused with the parser\'s own reason, showing the range', (_what, range, reason) => {
    expect(semverRangeProblem(range)).toBe(`must be a semver range such as *, 1.x, ~1.2, ^1.2.3, >=1.0.0 <2.0.0 or 1.0 - 1.4 (Masterminds/semver, as Flux reads it): ${reason} (got ${JSON.stringify(range)})`);
  });
});
