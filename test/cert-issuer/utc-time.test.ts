// The issuer's times as text (cert-issuer/src/utc-time.ts) are Date#toISOString's, character for
// character, over every time a Date can hold.
import fc from 'fast-check';
import { isoTime, rfc3339 } from '../../cert-issuer/src/utc-time.ts';

/** The years where toISOString changes form: a sign and six digits outside 0000–9999. */
const edges = [-271821, -10000, -1, 0, 1, 999, 1969, 1970, 9999, 10000, 275760].flatMap((year) => {
  const first = new Date(0);
  first.setUTCFullYear(year, 0, 1);
  const last = new Date(0);
  last.setUTCFullYear(year, 11, 31);
  last.setUTCHours(23, 59, 59, 999);
  return [first, last].filter((date) => !Number.isNaN(date.getTime()));
});

describe('GIVEN a valid Date', () => {
  test('WHEN written by isoTime THEN the text is what toISOString writes', () => {
    fc.assert(fc.property(fc.oneof(fc.date({ noInvalidDate: true }), fc.constantFrom(...edges)), (date) => {
      expect(isoTime(date)).toBe(date.toISOString());
    }), { numRuns: 5000 });
  });

  test('WHEN written for Kubernetes THEN it is RFC 3339 in whole seconds, as the API server writes times', () => {
    expect(rfc3339(new Date('2026-03-01T08:00:00.999Z'))).toBe('2026-03-01T08:00:00Z');
    expect(rfc3339(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).toBe('2026-01-02T03:04:05Z');
  });
});

test('GIVEN an invalid Date WHEN written THEN it throws the RangeError toISOString throws', () => {
  const invalid = new Date(Number.NaN);

  expect(() => invalid.toISOString()).toThrow(new RangeError('Invalid time value'));
  expect(() => isoTime(invalid)).toThrow(new RangeError('Invalid time value'));
});
