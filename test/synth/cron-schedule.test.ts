// The cron grammar's numbers are written as digit classes; they must stand for exactly the
// decimal numbers of their range, as the listing of every number they replaced did.
import { CRON_SCHEDULE, numberPattern } from '../../src/contract/cron-schedule.ts';
import { textProblem } from '../../src/contract/names.ts';

const candidates = ['', '-1', '100', '000', ...Array.from({ length: 100 }, (_, n) => String(n)), ...Array.from({ length: 10 }, (_, n) => `0${n}`)];

describe('GIVEN a range of numbers from 0 to 99', () => {
  test('WHEN written as a pattern THEN it matches exactly the numbers of the range, without leading zeros', () => {
    for (let min = 0; min <= 99; min++) {
      for (let max = min; max <= 99; max++) {
        const pattern = new RegExp(`^(?:${numberPattern(min, max)})$`);
        const matched = candidates.filter((text) => pattern.test(text));
        expect({ min, max, matched }).toEqual({ min, max, matched: Array.from({ length: max - min + 1 }, (_, i) => String(min + i)) });
      }
    }
  });
});

describe('GIVEN the cron schedule rule', () => {
  test.each([
    ['17 */6 * * *', true], ['0 0 1 1 0', true], ['59 23 31 12 6', true], ['0-59/15 0,12 1-31 jan-DEC sun-Sat', true], ['@daily', true],
    ['60 * * * *', false], ['* 24 * * *', false], ['* * 0 * *', false], ['* * 32 * *', false], ['* * * 13 *', false], ['* * * * 7', false], ['07 * * * *', false],
  ])('WHEN %s is checked THEN it is accepted: %s', (schedule, valid) => {
    expect(textProblem(CRON_SCHEDULE, schedule) === undefined).toBe(valid);
  });
});
