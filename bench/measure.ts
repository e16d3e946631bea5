// Whole-process measurements: wall time from spawn to exit, and peak RSS from /usr/bin/time.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Run {
  readonly ms: number;
  readonly peakRssMiB: number;
  /** Wall-clock time of the spawn, in epoch milliseconds, to place the process's own log times. */
  readonly startedAt: number;
  readonly stderr: string;
}

export interface Command {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs `command` to completion; throws with its output when it fails, so a broken run is never timed. */
export function measure({ command, args, cwd, env }: Command): Run {
  const scratch = mkdtempSync(join(tmpdir(), 'fab-bench-'));
  const timeFile = join(scratch, 'time');
  try {
    const startedAt = Date.now();
    const started = process.hrtime.bigint();
    const result = spawnSync('/usr/bin/time', ['-f', '%M', '-o', timeFile, command, ...args], {
      cwd, env: env ?? process.env, encoding: 'utf8', timeout: 600_000,
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0) {
      throw new Error(`${command} ${args.join(' ')} exited ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`);
    }
    const maxRssKiB = Number(readFileSync(timeFile, 'utf8').trim().split('\n').at(-1));
    return { ms, peakRssMiB: maxRssKiB / 1024, startedAt, stderr: result.stderr };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface Comparison {
  readonly a: Run[];
  readonly b: Run[];
  readonly aMedianMs: number;
  readonly bMedianMs: number;
  /** Median of the per-pair ratios a/b: each pair ran back to back, so machine noise mostly cancels. */
  readonly ratio: number;
}

/** Runs A and B alternately (A B A B ...) after one warm-up of each, and compares them pair by pair. */
export async function compare(pairs: number, a: () => Run | Promise<Run>, b: () => Run | Promise<Run>, before?: () => void | Promise<void>): Promise<Comparison> {
  await before?.(); await a();
  await before?.(); await b();
  const runsA: Run[] = [];
  const runsB: Run[] = [];
  for (let i = 0; i < pairs; i++) {
    await before?.(); runsA.push(await a());
    await before?.(); runsB.push(await b());
  }
  return {
    a: runsA,
    b: runsB,
    aMedianMs: median(runsA.map((run) => run.ms)),
    bMedianMs: median(runsB.map((run) => run.ms)),
    ratio: median(runsA.map((run, i) => run.ms / runsB[i]!.ms)),
  };
}
