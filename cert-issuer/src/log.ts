import { isoTime } from './utc-time.ts';

export type Fields = Record<string, string | number | boolean | undefined>;
type Level = 'info' | 'warn' | 'error';

export interface Logger {
  info(step: string, msg: string, fields?: Fields): void;
  warn(step: string, msg: string, fields?: Fields): void;
  error(step: string, msg: string, fields?: Fields): void;
}

// Last line of defence: an API error can echo a request body back, and a key, a certificate body
// or a bearer token must never reach the logs, whatever a caller passes in.
const secretLooking = /-----BEGIN [A-Z ]+-----|eyJ[\w-]{8,}\.[\w-]{8,}\.|[A-Za-z0-9+/]{200,}/;

export function redact(value: string): string {
  return secretLooking.test(value) ? '[redacted]' : value;
}

/** One line per step: JSON lines for machines, `time level step: msg k=v` for a terminal. */
export function createLogger(format: 'json' | 'text', write: (line: string) => void, clock: () => Date = () => new Date()): Logger {
  const log = (level: Level, step: string, msg: string, fields: Fields = {}) => {
    const time = isoTime(clock());
    const clean = Object.entries(fields)
      .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
      .map(([key, value]) => [key, typeof value === 'string' ? redact(value) : value] as const);
    if (format === 'json') {
      write(JSON.stringify({ time, level, step, msg: redact(msg), ...Object.fromEntries(clean) }));
    } else {
      const extra = clean.map(([key, value]) => ` ${key}=${typeof value === 'string' && /\s/.test(value) ? JSON.stringify(value) : value}`);
      write(`${time} ${level.toUpperCase().padEnd(5)} ${step}: ${redact(msg)}${extra.join('')}`);
    }
  };
  return {
    info: (step, msg, fields) => log('info', step, msg, fields),
    warn: (step, msg, fields) => log('warn', step, msg, fields),
    error: (step, msg, fields) => log('error', step, msg, fields),
  };
}
