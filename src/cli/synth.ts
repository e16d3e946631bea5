import { randomBytes } from 'node:crypto';
import { copyFileSync, type Dirent, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { App } from 'cdk8s';
import { ClusterConfigError, type ClusterConfig, loadClusterConfig } from '../config/cluster-config.ts';
import { UsageError } from './command-line.ts';
import { FluxAssetsBootstrap } from '../constructs/flux-assets-bootstrap.ts';
import { manifestYaml } from './manifest-yaml.ts';

/** A file of the synthesized output, relative to the output folder. */
export interface OutputFile {
  readonly path: string;
  readonly content: string;
}

interface Manifest {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
}

/**
 * The order `kubectl apply -f <folder>` needs (it applies files by name): namespaces first, then
 * the issuer's admission policy (in force before its ServiceAccount gets any right), then RBAC,
 * then what runs under it. The Job comes last, once its rights and the Secret's readers exist.
 */
const APPLY_ORDER = [
  'Namespace', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'ClusterRole', 'ClusterRoleBinding', 'ServiceAccount', 'Role', 'RoleBinding',
  'ConfigMap', 'Service', 'StatefulSet', 'HelmRepository', 'Job', 'CronJob',
  // The GitOps objects last: the releases once their repositories exist, and the sync objects,
  // which take the folder over, once everything they apply is in place.
  'HelmRelease', 'GitRepository', 'Kustomization',
];

export interface SynthResult {
  readonly configFiles: string[];
  /** How many files the output folder holds. */
  readonly fileCount: number;
  /** False when the output folder already held exactly these files and was left alone. */
  readonly changed: boolean;
}

/**
 * Synth as the command runs it: every config in `clustersDir`, each problem of every file at once,
 * and `outDir` replaced only when all of them synthesized. Each cluster's files are compared and
 * written as soon as it is rendered, and only then is the next one built: holding every file
 * until the end kept every cluster's YAML alive for the whole run
 * (BENCHMARKS.md, Why the code is shaped this way). `onFile` sees each file as it is written.
 * @throws UsageError when the folder holds no config, AggregateError of ClusterConfigError for bad configs
 */
export function synthesize(clustersDir: string, outDir: string, onFile?: (file: OutputFile) => void): SynthResult {
  const configFiles = findClusterConfigs(clustersDir);
  if (configFiles.length === 0) throw new UsageError(`no cluster configs (*.yaml) in ${clustersDir}/`);
  const configs = loadClusterConfigs(configFiles);
  let fileCount = 0;
  const changed = writeFolder(outDir, (add) => {
    for (const config of configs) {
      for (const file of renderCluster(config)) {
        add(file);
        onFile?.(file);
        fileCount++;
      }
    }
  });
  return { configFiles, fileCount, changed };
}

/** Every `*.yaml` config in `folder`, sorted; the file name is the cluster name. */
export function findClusterConfigs(folder: string): string[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (error) {
    throw new UsageError(`cannot read the clusters folder ${folder}/ (${(error as NodeJS.ErrnoException).code})`);
  }
  return names.filter((file) => /\.ya?ml$/.test(file)).sort().map((file) => join(folder, file));
}

/**
 * Loads every config and reports all bad files together.
 * @throws AggregateError of ClusterConfigError when any file is invalid
 */
export function loadClusterConfigs(files: readonly string[]): ClusterConfig[] {
  const configs: ClusterConfig[] = [];
  const errors: ClusterConfigError[] = [];
  for (const file of files) {
    try {
      configs.push(loadClusterConfig(file));
    } catch (error) {
      if (!(error instanceof ClusterConfigError)) throw error;
      errors.push(error);
    }
  }
  errors.push(...sharedClusterNames(configs));
  if (errors.length > 0) throw new AggregateError(errors, errors.map((error) => error.message).join('\n'));
  return configs;
}

/** Two files that name one cluster (`dev.yaml` and `dev.yml`) would write one folder: an error naming both. */
function sharedClusterNames(configs: readonly ClusterConfig[]): ClusterConfigError[] {
  const first = new Map<string, string>();
  return configs.flatMap((config) => {
    const earlier = first.get(config.name);
    if (earlier === undefined) {
      first.set(config.name, config.file);
      return [];
    }
    return [new ClusterConfigError(config.file, [{ path: '', message: `names the same cluster "${config.name}" as ${earlier}: each cluster has exactly one config file` }])];
  });
}

/** The files of `dist/<cluster>/`: one manifest per object, plus a kustomization listing them. */
export function renderCluster(cluster: ClusterConfig): OutputFile[] {
  const chart = new FluxAssetsBootstrap(new App(), cluster.name, { cluster });
  const header = `# Generated by flux-assets-bootstrap from ${basename(cluster.file)}. Do not edit: change the config and run npm run synth.\n`;
  const manifests = (chart.toJson() as Manifest[]).map((manifest) => ({ manifest, file: fileName(manifest) }));
  manifests.sort(fileNameOrder(manifests.map(({ file }) => file)));
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: manifests.map(({ file }) => file),
  };
  return [
    ...manifests.map(({ manifest, file }) => ({ path: join(cluster.name, file), content: header + manifestYaml(manifest) })),
    // File names hold no spaces, so the default line width never folded one: the same bytes.
    { path: join(cluster.name, 'kustomization.yaml'), content: header + manifestYaml(kustomization) },
  ];
}

/** Replaces `outDir` with exactly `files`: writeFolder with the files at hand. */
export function replaceFolder(outDir: string, files: readonly OutputFile[]): boolean {
  return writeFolder(outDir, (add) => files.forEach((file) => add(file)));
}

/**
 * Replaces `outDir` with exactly the files that `produce` adds, each compared and written when it
 * is added, so that none has to be kept. The new tree is written beside `outDir` and swapped in
 * with renames, so a failure at any point (in `produce` too) leaves the old `outDir` as it was.
 *
 * Most runs (a pre-commit hook, CI's drift check) change a few files or none, and creating and
 * deleting thousands of files is the dearest part of a synth (BENCHMARKS.md, Why the code is
 * shaped this way): so an identical tree is left alone, and the new tree hard-links every file
 * whose bytes did not change. The new tree is only begun at the first file that differs; until
 * then the unchanged files are noted by path.
 * @returns false when `outDir` already held exactly these files
 */
export function writeFolder(outDir: string, produce: (add: (file: OutputFile) => void) => void): boolean {
  const present = treeEntries(outDir);
  const suffix = randomBytes(4).toString('hex');
  const staging = join(dirname(outDir), `.${basename(outDir)}.new-${suffix}`);
  const retired = join(dirname(outDir), `.${basename(outDir)}.old-${suffix}`);
  /** Every file and folder path of the new tree, relative to it. */
  const expected = new Set<string>();
  /** Files `outDir` holds byte for byte that the new tree does not hold yet, while it is not begun. */
  let unchanged: string[] | undefined = [];
  const folders = new Set<string>();
  /** Puts one file in the new tree: `content`, or the old file's bytes (a hard link when it can). */
  const place = (path: string, content?: string) => {
    const target = join(staging, path);
    const folder = dirname(target);
    if (!folders.has(folder)) mkdirSync(folder, { recursive: true });
    folders.add(folder);
    if (content !== undefined) writeFileSync(target, content);
    else if (!linked(join(outDir, path), target)) copyFileSync(join(outDir, path), target);
  };
  /** Begins the new tree, once: every unchanged file so far goes into it. */
  const begin = () => {
    for (const path of unchanged ?? []) place(path);
    unchanged = undefined;
  };
  try {
    produce((file) => {
      const same = present.get(file.path)?.isFile() === true && readFileSync(join(outDir, file.path)).equals(Buffer.from(file.content));
      for (let path = file.path; path !== '.' && !expected.has(path); path = dirname(path)) expected.add(path);
      if (same && unchanged !== undefined) {
        unchanged.push(file.path);
        return;
      }
      begin();
      place(file.path, same ? undefined : file.content);
    });
    const identical = unchanged !== undefined
      && present.size === expected.size
      && [...present].every(([path, entry]) => expected.has(path) && (entry.isFile() || entry.isDirectory()));
    if (identical) return false;
    begin();

    let hadOld = true;
    try {
      renameSync(outDir, retired);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      hadOld = false;
    }
    try {
      renameSync(staging, outDir);
    } catch (error) {
      if (hadOld) renameSync(retired, outDir);
      throw error;
    }
    return true;
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(retired, { recursive: true, force: true });
  }
}

/** Every file and folder under `outDir` by its path relative to it; none when there is no `outDir`. */
function treeEntries(outDir: string): Map<string, Dirent> {
  let entries: Dirent[];
  try {
    entries = readdirSync(outDir, { recursive: true, withFileTypes: true });
  } catch {
    return new Map(); // no old tree to reuse
  }
  return new Map(entries.map((entry) => [relative(outDir, join(entry.parentPath, entry.name)), entry]));
}

/** Hard-links `from` to `to`; false where the file system has no hard links, so the caller writes a copy. */
function linked(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch {
    return false;
  }
}

/** The characters of every file name synth makes: kinds, DNS names and digits, joined by '-'. */
const PLAIN_FILE_NAME = /^[a-z0-9.-]+$/;

/**
 * How renderCluster orders its files: by `localeCompare`, as it always has. On names of lowercase
 * letters, digits, '-' and '.' (all that synth makes), ICU's collation and plain code-unit order
 * agree, and the latter spares every synth ICU's set-up of its collator (BENCHMARKS.md, Why the
 * code is shaped this way); a list with any other name is still sorted by ICU.
 */
export function fileNameOrder(names: readonly string[]): (a: { file: string }, b: { file: string }) => number {
  return names.every((name) => PLAIN_FILE_NAME.test(name))
    ? (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)
    : (a, b) => a.file.localeCompare(b.file);
}

function fileName(manifest: Manifest): string {
  const rank = APPLY_ORDER.indexOf(manifest.kind);
  if (rank < 0) throw new Error(`no apply order for kind ${manifest.kind}`);
  const parts = [String(rank).padStart(2, '0'), manifest.kind.toLowerCase(), manifest.metadata.namespace, manifest.metadata.name];
  return `${parts.filter(Boolean).join('-').replaceAll(':', '-')}.yaml`;
}
