// `npm run bench`: every benchmark of issues 6 and 16 in one run on this machine, written to
// bench/results.json and BENCHMARKS.md. Comparisons alternate A B A B after a warm-up and take
// the median of per-pair ratios; times are whole-process wall times, RSS from /usr/bin/time.
// BENCHMARKS.md's hand-written notes, below its marker line, are kept.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { withPlane } from '../test/plane/lifecycle.ts';
import { loadDist } from '../test/plane/testkit.ts';
import { benchIssuance } from './issuance.ts';
import { median } from './measure.ts';
import { type Breakdown, issuerCategories, profile, synthCategories } from './profile.ts';
import { benchStartup, issuerEnv, issuerRssFloorMiB, makeCompileCache, withFakeServiceAccount } from './startup.ts';
import { benchSynth, benchSynthFloors, benchSynthScaling, generateClusters, type ScalingPoint } from './synth.ts';

const PAIRS = Number(process.env.BENCH_PAIRS ?? 10);
const SCALING_ROUNDS = 5;
const root = process.cwd();
const round = (value: number, digits = 0) => Number(value.toFixed(digits));
const log = (message: string) => console.error(`bench: ${message}`);
const scratch = mkdtempSync(join(tmpdir(), 'fab-bench-'));

log('building the cert-issuer bundle, and a copy with its names kept for the profiles');
execFileSync('npm', ['run', '--silent', 'build:job'], { stdio: 'inherit' });
// What the image carries: the issuer's file, and the yaml file it imports only for a kubeconfig.
const issuerBytes = statSync(join(root, 'cert-issuer/build/cert-issuer.mjs')).size;
const bundleBytes = issuerBytes + statSync(join(root, 'cert-issuer/build/cert-issuer-yaml.mjs')).size;
const namedBundle = join(scratch, 'cert-issuer.mjs');
execFileSync(process.execPath, [join(root, 'cert-issuer/build.mjs'), '--keep-names', '--outfile', namedBundle], { stdio: 'inherit' });
const jobArgs: string[] = loadDist('dev').job.spec.template.spec.containers[0].args;
// Both bundles run with V8's compile cache, as the image runs its bundle.
const compileCache = join(scratch, 'compile-cache');
makeCompileCache(join(root, 'cert-issuer/build/cert-issuer.mjs'), compileCache);
makeCompileCache(namedBundle, compileCache);
makeCompileCache(join(root, 'bench/issuer-io-floor.mjs'), compileCache);
makeCompileCache(join(root, 'bench/issue-floor.mjs'), compileCache);

log(`synth floors: npm run synth, the bin, node -e 0, npm running a no-op script, the libraries alone, ${PAIRS} rounds`);
const floors = await benchSynthFloors(PAIRS);
log(`synth scaling: 1, 10, 100 and 1,000 clusters, ${SCALING_ROUNDS} rounds`);
const [one, ten, hundred, thousand] = benchSynthScaling(SCALING_ROUNDS, [1, 10, 100, 1000]) as [ScalingPoint, ScalingPoint, ScalingPoint, ScalingPoint];
log(`synth: npm run synth vs npx cdk8s synth (ts-node), ${PAIRS} pairs`);
const synth = await benchSynth(PAIRS);
log(`cert-issuer start-up to its first API request vs a bare Node TLS connection, ${PAIRS} rounds`);
const startup = await benchStartup(PAIRS, jobArgs, compileCache);
const rssFloorMiB = issuerRssFloorMiB(PAIRS);

log('CPU profiles: synth of the examples and of 1,000 fresh clusters, the issuer until its first request');
generateClusters(join(scratch, 'clusters-1000'), 1000);
const synthProfiles = {
  'synth, 2 example clusters': profile([join(root, 'src/cli/cli.mjs'), '--out', join(scratch, 'out-examples')], synthCategories),
  'synth, 1,000 clusters, fresh folder': profile([join(root, 'src/cli/cli.mjs'), '--clusters', join(scratch, 'clusters-1000'), '--out', join(scratch, 'out-1000')], synthCategories),
};
const startupProfile = await withFakeServiceAccount((serviceAccountDir) =>
  profile(['--import', join(root, 'bench/exit-at-first-connect.mjs'), namedBundle, ...jobArgs], issuerCategories, issuerEnv(serviceAccountDir, 7445, compileCache)));

log(`issuance on the real control plane, ${PAIRS} pairs, then ${PAIRS} no-op runs and one profiled run of each`);
const issuance = await withPlane((state) => benchIssuance(state, PAIRS, PAIRS, { compileCache, profiledBundle: namedBundle }));
rmSync(scratch, { recursive: true, force: true });

/** A figure with a target carries it: the bound and whether this run met it. */
const atMost = (value: number, max: number) => ({ value, max, met: value <= max });
const issueRuns = issuance.issue.a;
const results = {
  synth_ms_median: atMost(round(synth.aMedianMs), 150),
  synth_cdk8s_cli_ms_median: round(synth.bMedianMs),
  synth_ratio: atMost(round(synth.ratio, 3), 0.04),
  synth_bin_ms_median: atMost(round(floors.binMs), 150),
  floor_node_ms_median: round(floors.nodeMs),
  floor_npm_run_ms_median: round(floors.npmMs),
  floor_synth_libraries_ms_median: round(floors.librariesMs),
  floor_synth_bin_help_ms_median: round(floors.binHelpMs),
  synth_1_cluster_ms: round(one.msMedian),
  synth_10_clusters_ms: round(ten.msMedian),
  synth_100_clusters_ms: round(hundred.msMedian),
  synth_1000_clusters_ms: atMost(round(thousand.msMedian), 6000),
  synth_1000_clusters_peak_rss_mib: atMost(round(thousand.peakRssMiB, 1), 300),
  synth_1000_clusters_resynth_ms: round(thousand.resynthMsMedian),
  synth_ms_per_extra_cluster_10_to_100: atMost(round((hundred.msMedian - ten.msMedian) / 90, 1), 5),
  synth_ms_per_extra_cluster_100_to_1000: atMost(round((thousand.msMedian - hundred.msMedian) / 900, 1), 5),
  issuer_startup_ms_median: round(startup.issuerMs),
  issuer_startup_floor_ms_median: round(startup.floorMs),
  issue_ms_median: atMost(round(issuance.issue.aMedianMs), 200),
  issue_shell_ms_median: round(issuance.issue.bMedianMs),
  issue_ratio: atMost(round(issuance.issue.ratio, 3), 0.12),
  issue_floor_ms_median: round(median(issuance.issueFloor.map((run) => run.ms))),
  issue_floor_ratio: round(median(issuance.issueFloor.map((run) => run.ms)) / issuance.issue.bMedianMs, 3),
  issue_floor_rsa_keygen_ms_median: round(issuance.keygenMsMedian),
  noop_ms_median: atMost(round(median(issuance.noop.map((run) => run.ms))), 100),
  noop_writes: atMost(issuance.noopWrites, 0),
  job_peak_rss_mib: atMost(round(Math.max(...[...issueRuns, ...issuance.noop].map((run) => run.peakRssMiB)), 1), 60),
  job_peak_rss_floor_mib: round(rssFloorMiB, 1),
  job_peak_rss_io_floor_mib: round(issuance.ioFloorPeakRssMiB, 1),
  bundle_bytes: atMost(bundleBytes, 450 * 1024),
  bundle_issuer_file_bytes: issuerBytes,
  pairs: PAIRS,
  machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, ${process.platform}/${process.arch}`,
  date: new Date().toISOString(),
};
writeFileSync(join(root, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);

type Figure = number | { value: number; max: number; met: boolean };
const row = (what: string, figure: Figure, unit = '', shown?: string) => typeof figure === 'number'
  ? `| ${what} | ${shown ?? `${figure}${unit}`} | | |`
  : `| ${what} | ${shown ?? `${figure.value}${unit}`} | ≤ ${figure.max}${unit} | ${figure.met ? 'met' : '**not met**'} |`;
const r = results;
const table = [
  row('synth: `npm run synth` (2 example clusters, output up to date)', r.synth_ms_median, ' ms'),
  row('synth: the bin, `node src/cli/cli.mjs` (what `npm run synth` runs)', r.synth_bin_ms_median, ' ms'),
  row('floor: `npm run` of a script that does nothing', r.floor_npm_run_ms_median, ' ms'),
  row('floor: `node -e 0`', r.floor_node_ms_median, ' ms'),
  row('floor: Node loading cdk8s, cdk8s-plus-28 and yaml alone (bundled, and run as the bin runs its bundle)', r.floor_synth_libraries_ms_median, ' ms'),
  row('floor: the bin loading its whole bundle and synthesizing nothing (`--help`)', r.floor_synth_bin_help_ms_median, ' ms'),
  row('synth: `npx cdk8s synth`, app via ts-node', r.synth_cdk8s_cli_ms_median, ' ms'),
  row('synth ratio (`npm run synth` / cdk8s CLI)', r.synth_ratio),
  row('synth into a fresh folder, 1 / 10 / 100 clusters', r.synth_100_clusters_ms, '', `${r.synth_1_cluster_ms} / ${r.synth_10_clusters_ms} / ${r.synth_100_clusters_ms} ms`),
  row('synth, 1,000 clusters into a fresh folder', r.synth_1000_clusters_ms, ' ms'),
  row('synth, 1,000 clusters, peak RSS', r.synth_1000_clusters_peak_rss_mib, ' MiB'),
  row('synth, 1,000 clusters again, output up to date', r.synth_1000_clusters_resynth_ms, ' ms'),
  row('synth, cost per extra cluster, 10 → 100', r.synth_ms_per_extra_cluster_10_to_100, ' ms'),
  row('synth, cost per extra cluster, 100 → 1,000', r.synth_ms_per_extra_cluster_100_to_1000, ' ms'),
  row('cert-issuer start-up, spawn to first API request', r.issuer_startup_ms_median, ' ms'),
  row('floor: bare `node` opening a TLS connection with the same CA', r.issuer_startup_floor_ms_median, ' ms'),
  row('issue: cert-issuer, cold start to Secret written', r.issue_ms_median, ' ms'),
  row('issue: manual shell flow (openssl + kubectl)', r.issue_shell_ms_median, ' ms'),
  row('issue ratio (ours / shell)', r.issue_ratio),
  row('floor: the calls and the key every issuance needs, without the issuer\'s checks, logs or decisions (bench/issue-floor.mjs), run before each run of the comparison', r.issue_floor_ms_median, ' ms'),
  row('floor ratio (that floor / shell)', r.issue_floor_ratio),
  row('floor: one RSA key of the Job\'s size from node:crypto, in a fresh process (sampled before each run of the issue comparison)', r.issue_floor_rsa_keygen_ms_median, ' ms'),
  row('no-op run (valid certificate)', r.noop_ms_median, ' ms'),
  row('no-op API writes', r.noop_writes),
  row('cert-issuer peak RSS', r.job_peak_rss_mib, ' MiB'),
  row('floor: `node` running an ES module with HTTPS loaded, a TLS context and an RSA-2048 key (the image\'s settings)', r.job_peak_rss_floor_mib, ' MiB'),
  row('floor: the issuer\'s I/O without its code, on the plane: 14 HTTPS calls on one connection, an RSA-2048 key, the CA parsed (bench/issuer-io-floor.mjs)', r.job_peak_rss_io_floor_mib, ' MiB'),
  row('cert-issuer bundle, both files', r.bundle_bytes, ' bytes'),
  row('of which the issuer\'s file, which every run loads (the rest is yaml, for kubeconfig runs)', r.bundle_issuer_file_bytes, ' bytes'),
].join('\n');

/** One column per profile, one row per category, in milliseconds of sampled main-thread time. */
function profileTable(profiles: Record<string, Breakdown>): string {
  const columns = Object.entries(profiles);
  const categories = [...columns[0]![1].ms.keys()];
  const cell = (ms: number, total: number) => (ms < 0.05 ? '' : `${ms.toFixed(1)} (${Math.round((100 * ms) / total)}%)`);
  return [
    `| | ${columns.map(([name]) => name).join(' | ')} |`,
    `| --- | ${columns.map(() => '---').join(' | ')} |`,
    ...categories.map((category) => `| ${category} | ${columns.map(([, b]) => cell(b.ms.get(category)!, b.totalMs)).join(' | ')} |`),
    `| **sampled in all** | ${columns.map(([, b]) => `**${b.totalMs.toFixed(1)}**`).join(' | ')} |`,
  ].join('\n');
}
const issuerProfiles: Record<string, Breakdown> = { 'start-up to first API request': startupProfile };
if (issuance.profiles) {
  issuerProfiles['no-op run'] = issuance.profiles.noop;
  issuerProfiles['issue run'] = issuance.profiles.issue;
}

const timelineTable = [
  '| ms after spawn | step | message |',
  '| --- | --- | --- |',
  ...issuance.issueTimeline.map(({ ms, step, msg }) => `| ${ms} | ${step} | ${msg} |`),
].join('\n');

const marker = '<!-- Hand-written notes below; npm run bench keeps them. -->';
const benchmarksFile = join(root, 'BENCHMARKS.md');
const notes = existsSync(benchmarksFile) ? readFileSync(benchmarksFile, 'utf8').split(marker)[1] ?? '\n' : '\n';
writeFileSync(benchmarksFile, `# Benchmarks

Generated by \`npm run bench\` on ${results.date.slice(0, 10)} (${results.machine}). Reproduce on a
Linux machine as root, after \`npm ci\`: \`npm run bench\` (the issuance part starts the e2e control plane,
built by \`test/controlplane/build.sh\`). Raw figures: \`bench/results.json\`.

Method: whole-process wall times. Each comparison runs A and B alternately (A B A B …) after one
warm-up of each, ${PAIRS} pairs; the ratio is the median of the per-pair ratios, so machine noise
hits both sides alike. Floors run in the same rounds as what they are the floor of. Peak RSS comes
from \`/usr/bin/time\`. Issuance runs go from "no Secret" to "Secret written in every namespace"
against a real kube-apiserver and kube-controller-manager on this machine; the no-op writes are
counted in the API server's audit log. Start-up is timed to the TCP connection of the issuer's
first API request, on a loopback listener. The issuer runs with the image's environment, read
from cert-issuer/Dockerfile (its NODE_OPTIONS, if any, and V8's compile cache, made the way the image's is).

| Measure | Value | Target | |
| --- | --- | --- | --- |
${table}

## Where the time goes

One \`node --cpu-prof\` run each (sampling every 100 µs, which slows the run a little), every
sample counted once, in the first category whose functions are on its stack (\`bench/profile.ts\`).
Milliseconds of main-thread time; Node's own start-up before the profiler starts is not in them,
the floors above show it.

${profileTable(synthProfiles)}

The cert-issuer, from the same bundle built with its names kept. RSA key generation runs on
libuv's thread pool and is not sampled; the main thread shows only the wait for it, if any.

${profileTable(issuerProfiles)}

The median issue run's own log, step by step (its clock has millisecond resolution):

${timelineTable}

${marker}${notes}`);
console.log(JSON.stringify(results, null, 2));
