/**
 * `npm run synth` and `cdk8s synth`: writes dist/<cluster>/ for every clusters/<cluster>.yaml.
 * Exit codes: 0 written (or already up to date), 1 a config error (every problem in every file,
 * each with its file and field; the output folder is left as it was), 2 a usage error.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CommandLine, runCommand } from './command-line.ts';
import { type OutputFile, synthesize } from './synth.ts';

const SYNTH: CommandLine<{ clusters: { type: 'string'; default: string }; out: { type: 'string'; default: string } }> = {
  name: 'synth',
  invocation: 'flux-assets-bootstrap',
  usage: `Usage: flux-assets-bootstrap [synth] [--clusters DIR] [--out DIR]
       flux-assets-bootstrap doctor --cluster NAME [options]   (see doctor --help)

Synthesizes the bootstrap of every cluster: reads each DIR/<cluster>.yaml and writes
<out>/<cluster>/, one manifest per object plus a kustomization.yaml. An output folder that
already holds exactly these files is left as it is.

Options:
  --clusters DIR   folder of cluster configs (default: clusters)
  --out DIR        output folder, replaced as a whole (default: dist)
  -h, --help       show this help
  --version        show the version

Exit codes: 0 written or already up to date, 1 invalid config (every problem is listed with its
file and field, and the output folder is left as it was), 2 usage error.`,
  options: { clusters: { type: 'string', default: 'clusters' }, out: { type: 'string', default: 'dist' } },
  afterConfigError: 'the output folder was left as it was',
  run: ({ clusters, out }) => {
    // `cdk8s synth` expects manifests in its own output folder, which it empties first; they are
    // kept only for it, and written there once every cluster synthesized.
    const cdk8sOut = process.env.CDK8S_OUTDIR;
    const forCdk8s: OutputFile[] = [];
    const { configFiles, fileCount, changed } = synthesize(clusters, out, cdk8sOut ? (file) => forCdk8s.push(file) : undefined);
    if (cdk8sOut) {
      for (const file of forCdk8s) {
        mkdirSync(join(cdk8sOut, file.path, '..'), { recursive: true });
        writeFileSync(join(cdk8sOut, file.path), file.content);
      }
    }
    const what = `${fileCount} files for ${configFiles.length} cluster(s)`;
    console.log(changed ? `synth: wrote ${what} to ${out}/` : `synth: ${out}/ already holds the ${what}`);
    return 0;
  },
};

// Not a top-level await: src/cli/cli.mjs runs this file bundled as CommonJS.
void runCommand(SYNTH, process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
