// Synth speed: our `npm run synth` against cdk8s's CLI running the same code the way the cdk8s
// TypeScript template does (ts-node), and how synth time grows with the number of clusters.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare, type Comparison, measure, median } from './measure.ts';

const root = process.cwd();
const npm = 'npm';

export async function benchSynth(pairs: number): Promise<Comparison> {
  const scratch = mkdtempSync(join(tmpdir(), 'fab-bench-synth-'));
  try {
    const ours = () => measure({ command: npm, args: ['run', '--silent', 'synth', '--', '--out', join(scratch, 'ours')], cwd: root });
    // The template's `app: npx ts-node main.ts`; this package is ESM, which ts-node runs as a loader.
    const cdk8sCli = () => measure({
      command: 'npx',
      args: ['cdk8s', 'synth', '--app', `node --loader ts-node/esm src/main.ts --out ${join(scratch, 'cli')}`, '--output', join(scratch, 'cdk8s.out')],
      cwd: root,
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });
    return await compare(pairs, ours, cdk8sCli);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export interface ScalingPoint {
  readonly clusters: number;
  readonly msMedian: number;
  readonly peakRssMiB: number;
}

/** Synth of 1, 10 and 100 generated clusters, interleaved so that load spikes hit every size alike. */
export function benchSynthScaling(rounds: number, sizes: readonly number[] = [1, 10, 100]): ScalingPoint[] {
  const scratch = mkdtempSync(join(tmpdir(), 'fab-bench-scaling-'));
  try {
    const runs = new Map(sizes.map((size) => [size, [] as { ms: number; peakRssMiB: number }[]]));
    for (const size of sizes) {
      const folder = join(scratch, `clusters-${size}`);
      mkdirSync(folder);
      for (let i = 0; i < size; i++) copyFileSync(join(root, 'clusters/dev.yaml'), join(folder, `cluster-${String(i).padStart(3, '0')}.yaml`));
    }
    for (let round = -1; round < rounds; round++) {
      for (const size of sizes) {
        const run = measure({
          command: process.execPath,
          args: [join(root, 'src/cli.mjs'), '--clusters', join(scratch, `clusters-${size}`), '--out', join(scratch, `out-${size}`)],
          cwd: root,
        });
        if (round >= 0) runs.get(size)!.push(run); // round -1 warms the bundle cache and the page cache
      }
    }
    return sizes.map((size) => ({
      clusters: size,
      msMedian: median(runs.get(size)!.map((run) => run.ms)),
      peakRssMiB: Math.max(...runs.get(size)!.map((run) => run.peakRssMiB)),
    }));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
