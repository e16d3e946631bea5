/**
 * Where the cluster configs are: every `<cluster>.yaml` (or `.yml`, in any case) of the clusters
 * folder. synth reads them all; doctor finds one by its cluster's name.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { clusterNameOf, CONFIG_FILE_NAME } from '../config/cluster-config.ts';
import { didYouMean, UsageError } from './command-line.ts';

/** Every config in `folder`, sorted; the file name is the cluster name. */
export function findClusterConfigs(folder: string): string[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (error) {
    throw new UsageError(`cannot read the clusters folder ${folder}/ (${(error as NodeJS.ErrnoException).code})`);
  }
  return names.filter((file) => CONFIG_FILE_NAME.test(file)).sort().map((file) => join(folder, file));
}

/** The config of cluster `name` in `folder`; a UsageError that lists the clusters there when none is. */
export function findClusterConfig(folder: string, name: string): string {
  const files = findClusterConfigs(folder);
  const file = files.find((candidate) => clusterNameOf(candidate) === name);
  if (file !== undefined) return file;
  const names = files.map(clusterNameOf);
  const known = names.length === 0 ? 'it holds no cluster config (*.yaml)' : `its clusters: ${names.join(', ')}`;
  throw new UsageError(`no config for cluster "${name}" in ${folder}/${didYouMean(name, names)}; ${known}`);
}
