/** Time and chance, injected so that a test runs on a fake clock and never sleeps for real. */
export interface Clock {
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** Resolves after `ms`; aborting `signal` rejects it at once and frees its timer. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A value in [0, 1). */
  readonly random: () => number;
}

/**
 * The real clock. Its sleep is a timer of its own rather than node:timers/promises: every built-in
 * module loaded at start-up brings Node's own module loader closer to the point where V8 compiles
 * it with Maglev, which maps more of the node binary into the Job's memory
 * (BENCHMARKS.md, Why the code is shaped this way).
 */
export const systemClock: Clock = {
  now: Date.now,
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  random: Math.random,
};
