/**
 * Times written as text, in UTC. Written out by hand rather than with `Date#toISOString` (or
 * `JSON.stringify` of a Date, which calls it): V8 looks up the local time zone even to write UTC,
 * and its first lookup loads ICU's time zone data into the Job's memory
 * (BENCHMARKS.md, Why the code is shaped this way).
 * The UTC getters used here do no such lookup.
 */

/** Exactly what `date.toISOString()` returns, and the same RangeError for an invalid date. */
export function isoTime(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('Invalid time value');
  const year = date.getUTCFullYear();
  const yearText = year >= 0 && year <= 9999 ? pad(year, 4) : `${year < 0 ? '-' : '+'}${pad(Math.abs(year), 6)}`;
  const [month, day, hours, minutes, seconds] = [date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()].map(
    (value) => pad(value, 2),
  );
  return `${yearText}-${month}-${day}T${hours}:${minutes}:${seconds}.${pad(date.getUTCMilliseconds(), 3)}Z`;
}

/** RFC 3339 without milliseconds, the form Kubernetes itself writes. */
export function rfc3339(date: Date): string {
  return isoTime(date).replace(/\.\d{3}Z$/, 'Z');
}

function pad(value: number, digits: number): string {
  return String(value).padStart(digits, '0');
}
