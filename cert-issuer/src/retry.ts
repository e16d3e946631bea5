import { ExitCode, IssuerError } from './errors.ts';
import type { Clock } from './system-clock.ts';

export interface RetryOptions extends Clock {
  /** Epoch milliseconds after which no further attempt starts. */
  readonly deadline: number;
  /** Called before each wait, for a log line. */
  readonly onRetry?: (error: unknown, attempt: number, waitMs: number) => void;
}

const firstWaitMs = 200;
const maxWaitMs = 5_000;
const transientCodes = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/** 5xx, 429 and dropped or refused connections: the API server may be starting or overloaded. */
export function isTransient(error: unknown): boolean {
  const status = (error as { code?: unknown } | undefined)?.code;
  if (typeof status === 'number') return status === 429 || status >= 500;
  // A socket error may arrive wrapped in another error's cause.
  type Chain = { code?: unknown; cause?: unknown } | undefined;
  for (let e = error as Chain, depth = 0; e && depth < 5; e = e.cause as Chain, depth++) {
    if (typeof e.code === 'string' && transientCodes.has(e.code)) return true;
  }
  return false;
}

/** Full-jitter exponential backoff: a random wait up to 200 ms, 400 ms, ... capped at 5 s. */
export function backoffMs(attempt: number, random: () => number): number {
  return Math.round(random() * Math.min(maxWaitMs, firstWaitMs * 2 ** (attempt - 1)));
}

/**
 * Runs `call` until it succeeds, fails for good, or the deadline passes; a transient failure at the
 * deadline becomes "API unavailable" (exit 6).
 */
export async function withRetry<T>(what: string, call: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isTransient(error)) throw error;
      const waitMs = backoffMs(attempt, options.random);
      if (options.now() + waitMs >= options.deadline) {
        throw new IssuerError(ExitCode.apiUnavailable, `API unavailable: ${what} still failing after ${attempt} attempts: ${describe(error)}`);
      }
      options.onRetry?.(error, attempt, waitMs);
      await options.sleep(waitMs);
    }
  }
}

/** A short, safe description of an API or network error: status, reason and the server's message. */
export function describe(error: unknown): string {
  const e = error as { code?: unknown; body?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (typeof e?.code === 'number') {
    const body = typeof e.body === 'string' ? safeJson(e.body) : e.body;
    const status = body as { reason?: string; message?: string } | undefined;
    return `HTTP ${e.code}${status?.reason ? ` ${status.reason}` : ''}${status?.message ? `: ${status.message}` : ''}`;
  }
  const cause = e?.cause?.code ?? e?.cause?.message;
  return `${String(e?.message ?? error)}${cause ? ` (${String(cause)})` : ''}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
