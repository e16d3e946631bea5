import type { Clock } from '../../cert-issuer/src/system-clock.ts';

interface Sleeper {
  readonly wakeAt: number;
  readonly order: number;
  readonly wake: () => void;
}

/**
 * Virtual time: no sleep waits for real. Once the code under test has nothing left to do but
 * wait (its promise jobs have all run), the earliest sleeper wakes and time jumps to its hour,
 * so a 300-second deadline passes in a few milliseconds and in a fixed order.
 *
 * It relies on the code under test doing no real I/O while anything sleeps: the issuer's only
 * sleeps are in the signer wait, where it talks to nothing but the in-memory FakeKube.
 */
export class FakeClock implements Clock {
  private current: number;
  private readonly sleepers: Sleeper[] = [];
  private scheduled = false;
  private slept = 0;

  public constructor(
    start: Date,
    private readonly chance = 0.5,
  ) {
    this.current = start.getTime();
  }

  public readonly now = (): number => this.current;

  public readonly random = (): number => this.chance;

  public readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const sleeper: Sleeper = { wakeAt: this.current + ms, order: this.slept++, wake: resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener(
        'abort',
        () => {
          // An abort after the wake-up (the sleep's own caller aborting in its aftermath) is moot.
          const index = this.sleepers.indexOf(sleeper);
          if (index < 0) return;
          this.sleepers.splice(index, 1);
          reject(signal.reason);
        },
        { once: true },
      );
      this.schedule();
    });

  public get date(): Date {
    return new Date(this.current);
  }

  /** Sleeps not yet woken, for a test that checks nothing is left waiting. */
  public get pending(): number {
    return this.sleepers.length;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate runs after every pending promise job, that is once the code under test is idle.
    setImmediate(() => {
      this.scheduled = false;
      this.sleepers.sort((a, b) => a.wakeAt - b.wakeAt || a.order - b.order);
      const next = this.sleepers.shift();
      if (next === undefined) return;
      this.current = Math.max(this.current, next.wakeAt);
      next.wake();
      if (this.sleepers.length > 0) this.schedule();
    });
  }
}
