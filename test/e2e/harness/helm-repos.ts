// The assets server's content: one Helm repository per repo name, built by the real helm CLI
// exactly as Cozystack's image is (`helm package`, then `helm repo index` without --url, so the
// chart URLs in index.yaml are relative and resolve under the pod proxy path).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileP } from './proc.ts';

export const chartName = (repo: string) => `demo-${repo}`;
export const chartVersion = '0.1.0';

/** Builds <root>/repos/<repo>/{index.yaml,<chart>-0.1.0.tgz}; returns root. */
export async function buildHelmRepos(helm: string, workDir: string, repos: readonly string[]): Promise<string> {
  const root = join(workDir, 'assets-root');
  // helm keeps caches and config under HOME/XDG paths; keep them inside this run's folder.
  const env = {
    ...process.env,
    HELM_CACHE_HOME: join(workDir, 'helm/cache'),
    HELM_CONFIG_HOME: join(workDir, 'helm/config'),
    HELM_DATA_HOME: join(workDir, 'helm/data'),
  };
  for (const repo of repos) {
    const src = join(workDir, 'charts', chartName(repo));
    const out = join(root, 'repos', repo);
    mkdirSync(join(workDir, 'charts'), { recursive: true });
    mkdirSync(out, { recursive: true });
    await execFileP(helm, ['create', src], { env });
    await execFileP(helm, ['package', src, '--version', chartVersion, '-d', out], { env });
    await execFileP(helm, ['repo', 'index', out], { env });
  }
  return root;
}
