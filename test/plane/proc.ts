// Starting and stopping the plane's long-running processes. Each one gets its own process group
// and log file and is remembered by PID, so teardown can stop exactly what this run started.
import { spawn, execFile } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';

export const execFileP = promisify(execFile);

export interface Started {
  name: string;
  pid: number;
  log: string;
}

export function startProcess(
  name: string,
  command: string,
  args: string[],
  opts: { log: string; env?: NodeJS.ProcessEnv; cwd?: string },
): Started {
  const fd = openSync(opts.log, 'a');
  // detached: its own process group, so a Ctrl-C to jest does not race teardown for it;
  // unref: jest may exit while it runs, teardown stops it by PID.
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: opts.env ?? process.env,
    cwd: opts.cwd,
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  child.unref();
  return { name, pid: child.pid, log: opts.log };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The process's start time in clock ticks since boot (/proc/<pid>/stat field 22), or '' when
 *  it is gone. Unlike the command line it survives exec (`ip netns exec` execs node), so it
 *  identifies a process and guards against signalling a reused PID. */
export function startTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; starttime is field 22 overall.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

/** SIGTERM, wait up to graceMs, then SIGKILL and wait again; returns the PIDs still alive. */
export async function stopPids(pids: number[], graceMs = 10_000): Promise<number[]> {
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  const waitGone = async (ms: number) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && pids.some(isAlive)) await sleep(100);
  };
  signal('SIGTERM');
  await waitGone(graceMs);
  if (pids.some(isAlive)) {
    signal('SIGKILL');
    await waitGone(5_000);
  }
  return pids.filter(isAlive);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until check returns a value other than undefined; bounded in time, never infinite. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  { timeoutMs = 60_000, intervalMs = 250, stopOn = () => false }: { timeoutMs?: number; intervalMs?: number; stopOn?: (err: unknown) => boolean } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let attempt = 1; ; attempt++) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      if (stopOn(err)) throw err; // no point waiting any longer
      lastError = err;
    }
    if (Date.now() + intervalMs > deadline) {
      const why = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms (${attempt} attempts) waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}
