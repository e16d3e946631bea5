// Synth speed: our `npm run synth` against cdk8s's CLI running the same code the way the cdk8s
// TypeScript template does (ts-node), and how synth time grows with the number of clusters.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { build } from 'esbuild';
import { bundleOptions } from '../src/cli/bundle.mjs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compare, type Comparison, measure, median, type Run } from './measure.ts';

const root = process.cwd();
const npm = 'npm';

export async function benchSynth(pairs: number): Promise<Comparison> {
  const scratch = mkdtempSync(join(tmpdir(), 'fab-bench-synth-'));
  try {
    const ours = () => measure({ command: npm, args: ['run', '--silent', 'synth', '--', '--out', join(scratch, 'ours')], cwd: root });
    // The template's `app: npx ts-node main.ts`; this package is ESM, which ts-node runs as a loader.
    const cdk8sCli = () => measure({
      command: 'npx',
      args: ['cdk8s', 'synth', '--app', `node --loader ts-node/esm src/cli/main.ts --out ${join(scratch, 'cli')}`, '--output', join(scratch, 'cdk8s.out')],
      cwd: root,
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });
    return await compare(pairs, ours, cdk8sCli);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The synth command against the floors under it, alternated: Node's own start-up, npm's start-up
 * running a script that does nothing, Node loading the libraries alone (cdk8s, cdk8s-plus-28 and
 * yaml, bundled and run from V8's code cache as the bin runs its bundle), the bin loading its whole
 * bundle and synthesizing nothing (`--help`), and the bin that `npm run synth` runs.
 */
export async function benchSynthFloors(rounds: number): Promise<{ npmSynthMs: number; binMs: number; binHelpMs: number; nodeMs: number; npmMs: number; librariesMs: number }> {
  const scratch = mkdtempSync(join(tmpdir(), 'fab-bench-floors-'));
  try {
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'floor', private: true, scripts: { noop: 'true' } }));
    const libraries = join(scratch, 'libraries.cjs');
    await build({ ...bundleOptions, stdin: { contents: "import 'cdk8s'; import 'cdk8s-plus-28'; import 'yaml';", resolveDir: root }, outfile: libraries });
    const runLibraries = `import { runBundle } from ${JSON.stringify(pathToFileURL(join(root, 'src/cli/bundle.mjs')).href)}; runBundle(${JSON.stringify(libraries)}, { saveCodeCache: true });`;
    const commands = {
      librariesMs: { command: process.execPath, args: ['--input-type=module', '-e', runLibraries] },
      npmSynthMs: { command: npm, args: ['run', '--silent', 'synth', '--', '--out', join(scratch, 'out')], cwd: root },
      binMs: { command: process.execPath, args: [join(root, 'src/cli/cli.mjs'), '--out', join(scratch, 'out')], cwd: root },
      binHelpMs: { command: process.execPath, args: [join(root, 'src/cli/cli.mjs'), '--help'], cwd: root },
      nodeMs: { command: process.execPath, args: ['-e', '0'] },
      npmMs: { command: npm, args: ['run', '--silent', 'noop'], cwd: scratch },
    };
    const runs = Object.fromEntries(Object.keys(commands).map((key) => [key, [] as number[]]));
    for (let round = -1; round < rounds; round++) {
      for (const [key, command] of Object.entries(commands)) {
        const { ms } = measure(command);
        if (round >= 0) runs[key]!.push(ms);
      }
    }
    return Object.fromEntries(Object.entries(runs).map(([key, ms]) => [key, median(ms)])) as Awaited<ReturnType<typeof benchSynthFloors>>;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** `count` copies of the dev example as `folder/cluster-NNNN.yaml`. */
export function generateClusters(folder: string, count: number): void {
  mkdirSync(folder, { recursive: true });
  for (let i = 0; i < count; i++) copyFileSync(join(root, 'clusters/dev.yaml'), join(folder, `cluster-${String(i).padStart(4, '0')}.yaml`));
}

export interface ScalingPoint {
  readonly clusters: number;
  /** Into a folder that does not exist yet: every file is created. */
  readonly msMedian: number;
  readonly peakRssMiB: number;
  /** Again into the folder the last run wrote, which then already holds every file. */
  readonly resynthMsMedian: number;
}

/**
 * Synth of generated clusters, interleaved so that load spikes hit every size alike. Each timed
 * run writes a folder that does not exist yet, the cost of a first synth or of one where
 * everything changed; each is followed by a re-synth of the same configs into it.
 */
export function benchSynthScaling(rounds: number, sizes: readonly number[]): ScalingPoint[] {
  const scratch = mkdtempSync(join(tmpdir(), 'fab-bench-scaling-'));
  try {
    const runs = new Map(sizes.map((size) => [size, { fresh: [] as Run[], again: [] as Run[] }]));
    for (const size of sizes) generateClusters(join(scratch, `clusters-${size}`), size);
    for (let round = -1; round < rounds; round++) {
      for (const size of sizes) {
        // A new folder each time: deleting the last one first would time the disk still busy with
        // it (it discards freed blocks); every folder goes at the end.
        const out = join(scratch, `out-${size}-${round + 1}`);
        const synth = () => measure({
          command: process.execPath,
          args: [join(root, 'src/cli/cli.mjs'), '--clusters', join(scratch, `clusters-${size}`), '--out', out],
          cwd: root,
        });
        const fresh = synth();
        const again = synth();
        if (round >= 0) { // round -1 warms the bundle cache and the page cache
          runs.get(size)!.fresh.push(fresh);
          runs.get(size)!.again.push(again);
        }
      }
    }
    return sizes.map((size) => {
      const { fresh, again } = runs.get(size)!;
      return {
        clusters: size,
        msMedian: median(fresh.map((run) => run.ms)),
        peakRssMiB: Math.max(...fresh.map((run) => run.peakRssMiB), ...again.map((run) => run.peakRssMiB)),
        resynthMsMedian: median(again.map((run) => run.ms)),
      };
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
