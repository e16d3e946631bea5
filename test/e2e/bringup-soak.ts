// The bring-up soak: `npm run e2e:bringup-soak -- 20` brings the e2e plane up and tears it down
// N times in a row, checks after each teardown that nothing of it is left (no network namespace,
// the apiserver's port free), and reports the failures and the median bring-up time. Not part of
// CI: it is how a race in bring-up or teardown shows itself before it reaches CI.
import { execFileSync } from 'node:child_process';
import { node, plane } from '../plane/env.ts';
import { bringUpPlane, planeBinaries, tearDownPlane } from '../plane/lifecycle.ts';
import { assertPortFree } from '../plane/plane.ts';

const usage = 'usage: npm run e2e:bringup-soak -- <runs, 1 to 500>';
const runs = Number(process.argv[2] ?? 20);
if (!Number.isInteger(runs) || runs < 1 || runs > 500) {
  console.error(usage);
  process.exit(2);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function assertNothingLeft(): Promise<void> {
  if (execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').some((l) => l.split(' ')[0] === node.netns)) {
    throw new Error(`network namespace ${node.netns} is still there after teardown`);
  }
  await assertPortFree(plane.securePort);
}

const binDir = planeBinaries();
const upMs: number[] = [];
const downMs: number[] = [];
const failures: string[] = [];
for (let run = 1; run <= runs; run++) {
  const started = Date.now();
  try {
    const { state } = await bringUpPlane(binDir);
    upMs.push(Date.now() - started);
    const stopping = Date.now();
    await tearDownPlane(state);
    await assertNothingLeft();
    downMs.push(Date.now() - stopping);
    console.log(`soak ${run}/${runs}: up ${seconds(upMs.at(-1)!)}, down ${seconds(downMs.at(-1)!)}`);
  } catch (err) {
    failures.push(`run ${run}: ${(err as Error).message}`);
    console.log(`soak ${run}/${runs}: FAILED after ${seconds(Date.now() - started)}: ${(err as Error).message}`);
  }
}

const summary = upMs.length
  ? `median bring-up ${seconds(median(upMs))} (min ${seconds(Math.min(...upMs))}, max ${seconds(Math.max(...upMs))}), ` +
    `median teardown ${seconds(median(downMs))}`
  : 'no bring-up succeeded';
console.log(`soak: ${runs} runs, ${failures.length} failed; ${summary}`);
for (const failure of failures) console.log(`  ${failure}`);
process.exit(failures.length ? 1 : 0);
