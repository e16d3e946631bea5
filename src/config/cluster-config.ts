/**
 * The config loader: reads one `clusters/<name>.yaml` and checks it against the settings' schema
 * (src/contract/settings.ts), with what only a whole file has: its name, the CA file it names, and
 * the references between its sections. Every problem is reported at once, with its field.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { DNS_LABEL, textProblem } from '../contract/names.ts';
import { CLUSTER_FILE, type ClusterConfig } from '../contract/settings.ts';
import { asChecked, type ConfigIssue, report } from '../contract/settings-schema.ts';

export type { ClusterConfig };

/** A config file that cannot be used, with every problem found in it. */
export class ClusterConfigError extends Error {
  public constructor(
    public readonly file: string,
    public readonly issues: readonly ConfigIssue[],
  ) {
    super(issues.map((issue) => `${file}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`).join('\n'));
    this.name = 'ClusterConfigError';
  }
}

/** A cluster config's file name: `<cluster>.yaml` or `.yml`, in any case. */
export const CONFIG_FILE_NAME = /\.ya?ml$/i;

/** The cluster a config file names: its file name without the extension. */
export function clusterNameOf(file: string): string {
  return basename(file).replace(CONFIG_FILE_NAME, '');
}

/**
 * Parses and validates one cluster config.
 * @param file path used in messages and to resolve `apiCAFile`
 * @throws ClusterConfigError naming the file and every bad field
 */
export function parseClusterConfig(file: string, text: string): ClusterConfig {
  const issues: ConfigIssue[] = [];
  const name = clusterNameOf(file);
  const badName = textProblem(DNS_LABEL, name);
  if (badName) report(issues, '', `the file name ${JSON.stringify(name)} names the cluster and its dist/ folder, so it ${badName.replace(/ \(got .*\)$/, '')}`);

  const raw = readYaml(text, issues);
  if (raw === undefined) throw new ClusterConfigError(file, issues);
  const parsed = CLUSTER_FILE.parse(raw, '', issues);
  // The CA file is checked even when other fields are wrong: every problem in one run.
  const caFile = (raw as { apiCAFile?: unknown } | null)?.apiCAFile;
  const apiCA = typeof caFile === 'string' && caFile !== '' ? readCABundle(file, caFile, issues) : undefined;
  // Like the CA file, the references between sections are checked whatever else is wrong.
  checkReleaseReferences(raw, issues);
  if (parsed === undefined || issues.length > 0) throw new ClusterConfigError(file, issues);

  const { apiCAFile: _resolved, flux: fluxSection, ...rest } = parsed;
  return asChecked({
    name,
    file,
    ...rest,
    ...(fluxSection === undefined ? {} : { flux: { ...fluxSection, path: fluxSection.path ?? `./dist/${name}` } }),
    ...(apiCA === undefined ? {} : { apiCA }),
  });
}

/**
 * What JSON Schema cannot state about `releases`: each `repository` names a repository of the
 * config, and `dependsOn` names other releases of it, without a cycle (helm-controller would wait
 * for ever). Read from the raw config, so these problems are reported beside any other.
 */
function checkReleaseReferences(raw: unknown, issues: ConfigIssue[]): void {
  const list = (value: unknown): Record<string, unknown>[] =>
    Array.isArray(value) ? value.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null) : [];
  const names = (items: Record<string, unknown>[]) => items.map((item) => item.name).filter((n): n is string => typeof n === 'string');
  const config = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const repositories = names(list(config.repositories));
  const releases = list(config.releases);
  const releaseNames = names(releases);
  const graph = new Map<string, string[]>();
  releases.forEach((release, index) => {
    const path = `releases[${index}]`;
    // Without any repository the missing list is the one problem to report.
    if (typeof release.repository === 'string' && repositories.length > 0 && !repositories.includes(release.repository)) {
      report(issues, `${path}.repository`, `must name one of the config's repositories (${repositories.join(', ')}) (got ${JSON.stringify(release.repository)})`);
    }
    const dependsOn = (Array.isArray(release.dependsOn) ? release.dependsOn : []).filter((d): d is string => typeof d === 'string');
    dependsOn.forEach((dependency, at) => {
      if (dependency === release.name) report(issues, `${path}.dependsOn[${at}]`, 'must not name the release itself');
      else if (!releaseNames.includes(dependency)) {
        report(issues, `${path}.dependsOn[${at}]`, `must name another release of this config (${releaseNames.join(', ')}) (got ${JSON.stringify(dependency)})`);
      }
    });
    if (typeof release.name === 'string') graph.set(release.name, dependsOn.filter((d) => d !== release.name));
  });
  const cycle = findCycle(graph);
  if (cycle) report(issues, `releases[${releaseNames.indexOf(cycle[0]!)}].dependsOn`, `must not form a cycle (${cycle.join(' -> ')}): none of its releases would ever install`);
}

/** A dependency cycle as the names along it, the first repeated at the end; undefined when there is none. */
function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const done = new Set<string>();
  const visit = (name: string, trail: readonly string[]): string[] | undefined => {
    if (trail.includes(name)) return [...trail.slice(trail.indexOf(name)), name];
    if (done.has(name)) return undefined;
    for (const next of graph.get(name) ?? []) {
      const cycle = visit(next, [...trail, name]);
      if (cycle) return cycle;
    }
    done.add(name);
    return undefined;
  };
  for (const name of graph.keys()) {
    const cycle = visit(name, []);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * The YAML document as plain data, or undefined after reporting why it cannot be read. The
 * parser's own limits (too many aliases, a billion-laughs document) are reported like syntax
 * errors, not thrown.
 */
function readYaml(text: string, issues: ConfigIssue[]): unknown {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  for (const error of document.errors) {
    const at = lineCounter.linePos(error.pos[0]);
    report(issues, '', `line ${at.line}, column ${at.col}: invalid YAML: ${error.message.split('\n')[0]}`);
  }
  if (document.errors.length > 0) return undefined;
  try {
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return report(issues, '', `invalid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** Reads and validates a cluster config file. */
export function loadClusterConfig(file: string): ClusterConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ClusterConfigError(file, [{ path: '', message: `cannot read the file: ${(error as Error).message}` }]);
  }
  return parseClusterConfig(file, text);
}

function readCABundle(configFile: string, caFile: string, issues: ConfigIssue[]): string | undefined {
  const path = resolve(dirname(configFile), caFile);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    return report(issues, 'apiCAFile', `cannot read "${caFile}" (relative to the config file): ${(error as Error).message}`);
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return report(issues, 'apiCAFile', `"${caFile}" holds no PEM certificate`);
  for (const block of blocks) {
    try {
      if (!new X509Certificate(block).ca) return report(issues, 'apiCAFile', `"${caFile}" holds a certificate that is not a CA`);
    } catch (error) {
      return report(issues, 'apiCAFile', `"${caFile}" holds an unreadable certificate: ${(error as Error).message}`);
    }
  }
  return `${blocks.join('\n')}\n`;
}
