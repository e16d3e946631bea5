// The assets server's content: one Helm repository per repo name, built by the reference assets
// image's own recipe (assets-image/build-repos.sh: `helm package`, then `helm repo index` without
// --url, so the chart URLs in index.yaml are relative and resolve under the pod proxy path), with
// the real helm CLI.
//
// Each chart renders one ConfigMap named after the release, carrying a value: helm-controller's
// readiness wait passes for it on a node without a CNI (the Deployment of `helm create` would
// never get a running pod), and a test reads the value back to see the release's values applied.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileP } from './proc.ts';

const buildRepos = join(dirname(fileURLToPath(import.meta.url)), '../../assets-image/build-repos.sh');

export const chartName = (repo: string) => `demo-${repo}`;
export const chartVersion = '0.1.0';
/** The chart's default for its one value, `message`. */
export const chartMessage = 'served by the assets server';

function writeChart(dir: string, name: string, version: string): void {
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(join(dir, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: ${version}\ntype: application\n`);
  writeFileSync(join(dir, 'values.yaml'), `message: ${JSON.stringify(chartMessage)}\n`);
  writeFileSync(
    join(dir, 'templates/configmap.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  message: {{ .Values.message | quote }}\n  chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}\n',
  );
}

/** Where buildHelmRepos puts the assets server's root in a run's folder. */
export const assetsRoot = (workDir: string) => join(workDir, 'assets-root');

/**
 * Publishes chart demo-<repo> at `version` in <root>/repos/<repo>/ (the folder is created for a
 * new repository) and rewrites that repository's index from every chart there, as a new assets
 * image built from a charts folder with the chart added would.
 */
export async function publishChart(helm: string, workDir: string, repo: string, version = chartVersion): Promise<void> {
  // helm keeps caches and config under HOME/XDG paths; keep them inside this run's folder.
  const env = {
    ...process.env,
    HELM: helm,
    HELM_CACHE_HOME: join(workDir, 'helm/cache'),
    HELM_CONFIG_HOME: join(workDir, 'helm/config'),
    HELM_DATA_HOME: join(workDir, 'helm/data'),
  };
  // A charts folder of this repository alone, so the others' packages are left as they are.
  const charts = join(workDir, 'charts', `${repo}-${version}`);
  writeChart(join(charts, repo, chartName(repo)), chartName(repo), version);
  await execFileP('sh', [buildRepos, charts, assetsRoot(workDir)], { env });
}

/** Builds <root>/repos/<repo>/{index.yaml,<chart>-0.1.0.tgz}; returns root. */
export async function buildHelmRepos(helm: string, workDir: string, repos: readonly string[]): Promise<string> {
  for (const repo of repos) await publishChart(helm, workDir, repo);
  return assetsRoot(workDir);
}
