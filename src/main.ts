/**
 * `npm run synth` and `cdk8s synth`: writes dist/<cluster>/ for every clusters/<cluster>.yaml.
 * Options: --clusters <folder> (default clusters), --out <folder> (default dist).
 * A bad config prints every problem with its file and field, exits 1 and leaves the output untouched.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findClusterConfigs, loadClusterConfigs, replaceFolder, renderCluster } from './synth.ts';

function main(): void {
  const { values } = parseArgs({
    options: { clusters: { type: 'string', default: 'clusters' }, out: { type: 'string', default: 'dist' } },
    strict: true,
  });
  const configFiles = findClusterConfigs(values.clusters);
  if (configFiles.length === 0) throw new UsageError(`no cluster configs (*.yaml) in ${values.clusters}/`);
  const files = loadClusterConfigs(configFiles).flatMap(renderCluster);
  const changed = replaceFolder(values.out, files);

  // `cdk8s synth` expects manifests in its own output folder, which it empties first.
  const cdk8sOut = process.env.CDK8S_OUTDIR;
  if (cdk8sOut) {
    for (const file of files) {
      mkdirSync(join(cdk8sOut, file.path, '..'), { recursive: true });
      writeFileSync(join(cdk8sOut, file.path), file.content);
    }
  }
  const what = `${files.length} files for ${configFiles.length} cluster(s)`;
  console.log(changed ? `synth: wrote ${what} to ${values.out}/` : `synth: ${values.out}/ already holds the ${what}`);
}

class UsageError extends Error {}

try {
  main();
} catch (error) {
  // Config and usage errors are for the user and already say where; anything else is our bug.
  const expected = error instanceof AggregateError || error instanceof UsageError || (error as NodeJS.ErrnoException).code !== undefined;
  console.error(expected ? (error as Error).message : error);
  console.error('synth: failed; the output folder was left as it was');
  process.exit(1);
}
