/**
 * The cron schedules the API server accepts for a CronJob: it parses `spec.schedule` with
 * github.com/robfig/cron/v3 `ParseStandard` (k8s.io/kubernetes pkg/apis/batch/validation,
 * validateScheduleFormat), and refuses `TZ`/`CRON_TZ` because the CronJob sets `timeZone`.
 *
 * The rule here is that grammar, slightly stricter where robfig is lax in ways nobody means (a
 * leading `+`, empty list items, `@every`): five fields, each a list of `*`, `?`, a number or a
 * name, or a range, with an optional positive step, within the field's bounds; or a descriptor.
 */
import type { TextRule } from './names.ts';

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];
const DESCRIPTORS = ['yearly', 'annually', 'monthly', 'weekly', 'daily', 'midnight', 'hourly'];

/** robfig matches names case-insensitively; JSON Schema patterns have no flags, so each letter takes both cases. */
const anyCase = (word: string) => [...word].map((c) => `[${c}${c.toUpperCase()}]`).join('');

/**
 * The decimal numbers from `min` to `max` (at most 99), without leading zeros, as digit classes:
 * `[1-5][0-9]|[0-9]` for 0-59. Listing every number made a pattern that V8 is slow to compile, on
 * every synth (BENCHMARKS.md, Why the code is shaped this way).
 */
export function numberPattern(min: number, max: number): string {
  if (min < 0 || max > 99 || min > max) throw new Error(`no number pattern for ${min}-${max}`);
  const digits = (from: number, to: number) => (from === to ? String(from) : `[${from}-${to}]`);
  const options: string[] = [];
  // Two digits, one option per run of tens that take the same units.
  const tens = (ten: number) => [ten === Math.floor(min / 10) ? min % 10 : 0, ten === Math.floor(max / 10) ? max % 10 : 9] as const;
  for (let ten = Math.floor(max / 10); ten >= Math.max(1, Math.floor(min / 10)); ) {
    const [low, high] = tens(ten);
    let first = ten;
    while (first - 1 >= Math.max(1, Math.floor(min / 10)) && tens(first - 1)[0] === low && tens(first - 1)[1] === high) first--;
    options.push(digits(first, ten) + digits(low, high));
    ten = first - 1;
  }
  if (min <= 9) options.push(digits(min, Math.min(max, 9)));
  return options.join('|');
}

function fieldPattern(field: CronField): string {
  const atom = `(?:${[numberPattern(field.min, field.max), ...(field.names ?? []).map(anyCase)].join('|')})`;
  const expression = `(?:\\*|\\?|${atom}(?:-${atom})?)(?:/[1-9][0-9]{0,3})?`;
  return `${expression}(?:,${expression})*`;
}

/** The grammar as a pattern; ranges that run backwards (`30-10`) are caught by `cronRangeProblem`. */
export const CRON_SCHEDULE: TextRule = {
  what: 'a cron schedule of 5 fields (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or jan-dec, day of week 0-6 or sun-sat), such as "30 2 * * *", or one of @yearly, @monthly, @weekly, @daily, @hourly',
  pattern: new RegExp(`^(?:\\s*${FIELDS.map(fieldPattern).join('\\s+')}\\s*|@(?:${DESCRIPTORS.join('|')}))$`),
  maxLength: 256,
};

/** A range whose start is beyond its end, which robfig refuses; undefined when there is none. */
export function cronRangeProblem(schedule: string): string | undefined {
  if (schedule.startsWith('@')) return undefined;
  const parts = schedule.trim().split(/\s+/);
  for (const [index, field] of FIELDS.entries()) {
    for (const expression of parts[index]?.split(',') ?? []) {
      const [low, high] = expression.split('/')[0]!.split('-');
      if (high === undefined) continue;
      const start = valueOf(field, low!);
      const end = valueOf(field, high);
      if (start > end) return `must not have a ${field.name} range that runs backwards: ${expression} (got ${JSON.stringify(schedule)})`;
    }
  }
  return undefined;
}

function valueOf(field: CronField, atom: string): number {
  const named = field.names?.indexOf(atom.toLowerCase()) ?? -1;
  // Month names count from 1, weekday names from 0, as the numbers do.
  return named >= 0 ? named + field.min : Number(atom);
}
