// Where a process spends its time: one `node --cpu-prof` run, every sample put in the first
// category whose test matches its stack. Gives BENCHMARKS.md its breakdown, so the numbers
// there come from the same run as the rest.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** A category and the test that puts a sample in it, given the sample's stack from root to leaf. */
export type Category = readonly [name: string, matches: (stack: readonly CallFrame[]) => boolean];

export interface Breakdown {
  /** Milliseconds of samples per category, in the order of the categories, then "other". */
  readonly ms: ReadonlyMap<string, number>;
  readonly totalMs: number;
}

/** Profiles `node <args>` (sampling every 100 µs) and sorts its samples into `categories`. */
export function profile(args: readonly string[], categories: readonly Category[], env: NodeJS.ProcessEnv = process.env): Breakdown {
  const dir = mkdtempSync(join(tmpdir(), 'fab-bench-profile-'));
  try {
    const result = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '100', ...args], { env, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status ?? result.signal}:\n${result.stderr}`);
    const [file] = readdirSync(dir);
    if (file === undefined) throw new Error(`node ${args.join(' ')} wrote no profile`);
    return breakdown(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, categories);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function breakdown(cpuProfile: CpuProfile, categories: readonly Category[]): Breakdown {
  const byId = new Map(cpuProfile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of cpuProfile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const categoryOf = new Map<number, string>();
  const classify = (id: number): string => {
    const known = categoryOf.get(id);
    if (known !== undefined) return known;
    const stack: CallFrame[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) stack.unshift(byId.get(at)!.callFrame);
    const name = categories.find(([, matches]) => matches(stack))?.[0] ?? 'other';
    categoryOf.set(id, name);
    return name;
  };
  const ms = new Map<string, number>([...categories.map(([name]) => [name, 0] as [string, number]), ['other', 0]]);
  let totalMs = 0;
  cpuProfile.samples.forEach((id, i) => {
    const sampleMs = (cpuProfile.timeDeltas[i] ?? 0) / 1000;
    totalMs += sampleMs;
    const name = classify(id);
    ms.set(name, ms.get(name)! + sampleMs);
  });
  return { ms, totalMs };
}

/** Tests over a stack: whether some frame's function name or URL matches. */
export const calls = (name: RegExp) => (stack: readonly CallFrame[]) => stack.some((frame) => name.test(frame.functionName));
export const runs = (url: RegExp) => (stack: readonly CallFrame[]) => stack.some((frame) => url.test(frame.url));
export const leaf = (name: RegExp) => (stack: readonly CallFrame[]) => name.test(stack.at(-1)!.functionName);

const startUp: Category[] = [
  ['garbage collection', leaf(/^\(garbage collector\)$/)],
  // The issuer is an ES module; the bin runs its bundle as a vm.Script (src/cli/bundle.mjs).
  ['compile the bundle (V8 parse, or its code cache)', (stack) => calls(/^compileSourceTextModule$/)(stack) || stack.some((frame) => frame.functionName === 'Script' && frame.url === 'node:vm')],
  ['load Node built-ins', calls(/^compileForInternalLoader$/)],
];
const outsideJs: Category = ['Node and V8 outside JS (start-up, exit)', leaf(/^\((program|root|idle)\)$/)];
const loader: Category = ['Node start-up and module loader', runs(/^node:internal\/(modules|main|process|bootstrap)\//)];

/** Synth (`src/cli/cli.mjs`): the steps of src/cli/main.ts, by the functions that run them. */
export const synthCategories: Category[] = [
  ...startUp,
  ['read and check the configs', calls(/^loadClusterConfigs$/)],
  ['build the construct tree', calls(/^FluxAssetsBootstrap$/)],
  ['cdk8s toJson (resolve, sanitize, order)', calls(/^toJson$/)],
  ['YAML', calls(/^(manifestYaml|stringify)$/)],
  // Rendering runs inside writeFolder, which writes each cluster's files as they come.
  ['compare, write and swap files', (stack) => calls(/^(replaceFolder|writeFolder)$/)(stack) && !calls(/^renderCluster$/)(stack)],
  ['evaluate modules, other synth code', runs(/flux-assets-bootstrap\/main-/)],
  ['cache key of the bundle', runs(/src\/cli\.mjs$/)],
  loader,
  outsideJs,
];

/**
 * The cert-issuer, from a bundle built with its names kept. Only the main thread is sampled: RSA
 * key generation runs on libuv's thread pool and shows as the wait it causes, if any.
 */
export const issuerCategories: Category[] = [
  ...startUp,
  ['TLS set-up (OpenSSL contexts)', runs(/^node:(internal\/tls\/secure-context|_tls_common)$/)],
  ['reading the CSR before approval (DER and signature)', calls(/^(parseCsr|readPkcs10)$/)],
  ['X.509 and key checks', calls(/^(decide|inspectCertificate|chainVerifies|keyMatchesCertificate|samePublicKey|checkIssued)$/)],
  ['HTTP, TLS and JSON on the wire', runs(/^node:(_http_|https|net|_tls_wrap|internal\/streams|internal\/net|internal\/stream_base)/)],
  ['evaluate modules, other issuer code', runs(/cert-issuer/)],
  loader,
  outsideJs,
];
