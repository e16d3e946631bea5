// The issuer's real clock (cert-issuer/src/system-clock.ts): its sleep is a timer of its own, and
// must behave as node:timers/promises's did for the callers, which abort it when a wait ends early.
import { getEventListeners } from 'node:events';
import { setTimeout as timersSleep } from 'node:timers/promises';
import { systemClock } from '../../cert-issuer/src/system-clock.ts';

const pendingTimers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

describe('GIVEN the system clock', () => {
  test('WHEN it sleeps THEN it resolves after the time has passed', async () => {
    const started = performance.now();
    await systemClock.sleep(30);
    expect(performance.now() - started).toBeGreaterThanOrEqual(29);
  });

  test('WHEN the sleep is aborted THEN it rejects at once with the reason, and its timer is gone', async () => {
    const before = pendingTimers();
    const controller = new AbortController();
    const sleeping = systemClock.sleep(60_000, controller.signal);
    expect(pendingTimers()).toBe(before + 1);

    controller.abort(new Error('done waiting'));

    await expect(sleeping).rejects.toThrow('done waiting');
    expect(pendingTimers()).toBe(before);
  });

  test('WHEN the signal is already aborted THEN it rejects without starting a timer', async () => {
    const before = pendingTimers();
    await expect(systemClock.sleep(60_000, AbortSignal.abort(new Error('too late')))).rejects.toThrow('too late');
    expect(pendingTimers()).toBe(before);
  });

  test('WHEN the sleep ends by itself THEN it no longer listens to the signal', async () => {
    const controller = new AbortController();
    await systemClock.sleep(1, controller.signal);
    // An abort now would reject a settled promise: harmless, but a listener left behind is a leak.
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('GIVEN the system clock\'s sleep and node:timers/promises\'s, side by side', () => {
  type Sleep = (ms: number, signal: AbortSignal) => Promise<unknown>;
  const system: Sleep = (ms, signal) => systemClock.sleep(ms, signal);
  const timers: Sleep = (ms, signal) => timersSleep(ms, undefined, { signal });

  /** How a sleep of `ms` settles when its signal is aborted never, before it starts or while it runs. */
  async function settling(sleep: Sleep, ms: number, abort: 'never' | 'before' | 'during'): Promise<{ outcome: string; timersLeft: number }> {
    const before = pendingTimers();
    const controller = new AbortController();
    const reason = new Error('done waiting');
    if (abort === 'before') controller.abort(reason);
    const sleeping = sleep(ms, controller.signal);
    if (abort === 'during') controller.abort(reason);
    // timers/promises wraps the reason in an AbortError as its cause; the callers read neither.
    const outcome = await sleeping.then(
      () => 'resolved',
      (error: unknown) => (error === reason || (error as Error).cause === reason ? 'rejected with the reason' : `rejected with ${String(error)}`),
    );
    return { outcome, timersLeft: pendingTimers() - before };
  }

  test.each<[string, number, 'never' | 'before' | 'during']>([
    ['ends by itself', 5, 'never'],
    ['is aborted while it runs', 60_000, 'during'],
    ['is given a signal already aborted', 60_000, 'before'],
  ])('WHEN a sleep %s THEN both settle the same way and leave no timer behind', async (_case, ms, abort) => {
    expect(await settling(system, ms, abort)).toEqual(await settling(timers, ms, abort));
  });
});
