/**
 * `flux-assets-bootstrap init`: a new fleet repository in a folder. It writes the first cluster's
 * config (checked by the same rules as synth before anything is written), `.gitignore`, and a CI
 * check that fails when `dist/` is not what synth makes of `clusters/`, as a GitHub Actions
 * workflow and as a plain shell script for any other CI; and it adds the synth and doctor scripts
 * to `package.json`. It never overwrites: a file that is there already stops it before it writes
 * anything, except `package.json` and `.gitignore`, which it extends or leaves as they are.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { stringify } from 'yaml';
import packageJson from '../../package.json' with { type: 'json' };
import { ClusterConfigError, parseClusterConfig } from '../config/cluster-config.ts';
import { type CommandLine, UsageError } from './command-line.ts';

/** What the config needs from the user, each with its flag and the question asked in a terminal. */
const ASKED = {
  cluster: { flag: '--cluster', question: 'Cluster name (the config file and its dist/ folder)', fallback: undefined },
  endpoint: { flag: '--endpoint', question: "API server as Flux and the issuer reach it, host:port (KubePrism's localhost:7445 on Talos)", fallback: undefined },
  namespace: { flag: '--namespace', question: 'Namespace of the assets server and the issuer', fallback: 'flux-assets' },
  'assets-image': { flag: '--assets-image', question: 'Image of the assets server, pinned by tag or digest', fallback: undefined },
} as const;

type Asked = keyof typeof ASKED;

/** Which flag sets each field of the config, to name it in an error. */
const FLAG_OF_FIELD: Record<string, string> = {
  '': '--cluster',
  endpoint: '--endpoint',
  'assets.namespace': '--namespace',
  'assets.image': '--assets-image',
  'issuer.image': '--issuer-image',
  repositories: '--repository',
  flux: '--git-url',
};

export const INIT: CommandLine<{
  dir: { type: 'string'; default: string };
  cluster: { type: 'string' };
  endpoint: { type: 'string' };
  namespace: { type: 'string' };
  repository: { type: 'string'; multiple: true };
  'assets-image': { type: 'string' };
  'issuer-image': { type: 'string' };
  'git-url': { type: 'string' };
}> = {
  name: 'init',
  invocation: 'flux-assets-bootstrap init',
  usage: `Usage: flux-assets-bootstrap init [--dir DIR] --cluster NAME --endpoint HOST:PORT
         --assets-image IMAGE [--issuer-image IMAGE] [--namespace NS]
         [--repository NAME[=NAMESPACE]]... [--git-url URL]

Makes DIR a fleet repository: clusters/NAME.yaml (checked as synth checks it), .gitignore, a CI
check that fails when dist/ is not what synth makes of clusters/ (.github/workflows/
flux-assets-bootstrap.yml and the same as a plain script, ci/check-dist.sh), and the scripts
synth and doctor in package.json. In a terminal it asks for what the flags do not give.
It never overwrites a file: one that exists stops it before anything is written (package.json
and .gitignore are extended or left as they are).

Options:
  --dir DIR                     the repository's folder (default: .)
  --cluster NAME                the first cluster's name: clusters/NAME.yaml, dist/NAME/
  --endpoint HOST:PORT          the API server as Flux and the issuer reach it
  --namespace NS                namespace of the assets server and the issuer (default: flux-assets)
  --repository NAME[=NAMESPACE] a Helm repository the assets server serves, in NAMESPACE
                                (default: the assets namespace); repeat for more (default: charts)
  --assets-image IMAGE          the assets server's image, pinned by tag or digest
  --issuer-image IMAGE          the cert-issuer's image, pinned by tag or digest (default: none,
                                the program ships in a ConfigMap and runs on distroless Node 24)
  --git-url URL                 the fleet repository's URL, for Flux to apply dist/NAME from Git
  -h, --help                    show this help
  --version                     show the version

Exit codes: 0 written, 1 a value the config refuses (with its flag), 2 usage error (a missing
flag outside a terminal, a file that exists).`,
  options: {
    dir: { type: 'string', default: '.' },
    cluster: { type: 'string' },
    endpoint: { type: 'string' },
    namespace: { type: 'string' },
    repository: { type: 'string', multiple: true },
    'assets-image': { type: 'string' },
    'issuer-image': { type: 'string' },
    'git-url': { type: 'string' },
  },
  afterConfigError: 'nothing was written',
  run: async (values) => {
    const answers = await complete(values, process.stdin.isTTY ? terminalQuestions() : undefined);
    const files = scaffold({ ...answers, issuerImage: values['issuer-image'], repositories: values.repository ?? [], gitUrl: values['git-url'] });
    const dir = resolve(values.dir);
    const taken = files.filter((file) => existsSync(join(dir, file.path)));
    if (taken.length > 0) throw new UsageError(`${taken.map((file) => join(dir, file.path)).join(', ')} ${taken.length === 1 ? 'exists' : 'exist'} already, and init never overwrites (nothing was written)`);
    checkConfig(dir, files[0]!);
    const manifest = extendedPackageJson(dir);
    for (const file of files) {
      mkdirSync(dirname(join(dir, file.path)), { recursive: true });
      writeFileSync(join(dir, file.path), file.content);
      if (file.executable) chmodSync(join(dir, file.path), 0o755);
      console.log(`init: wrote ${file.path}`);
    }
    writeFileSync(join(dir, 'package.json'), manifest.content);
    console.log(`init: ${manifest.said}`);
    console.log(`init: ${extendGitignore(dir)}`);
    console.log(`init: next, npm run synth, then commit clusters/ and dist/ (see "Applying" in the README for the first apply)`);
    return 0;
  },
};

type Answers = Record<Asked, string>;
/** Asks the user `question`, offering `fallback`; the answer. */
type Ask = (question: string, fallback?: string) => Promise<string>;

/** The asked values: each flag's, else the terminal's answer, else its default; a UsageError for what is still missing. */
export async function complete(values: Partial<Record<Asked, string>>, ask: Ask | undefined): Promise<Answers> {
  const answers: Partial<Answers> = {};
  const missing: string[] = [];
  for (const [key, { flag, question, fallback }] of Object.entries(ASKED) as [Asked, (typeof ASKED)[Asked]][]) {
    const given = values[key] ?? (ask ? await ask(question, fallback) : fallback);
    if (given === undefined || given === '') missing.push(flag);
    else answers[key] = given;
  }
  if (missing.length > 0) throw new UsageError(`missing ${missing.join(', ')} (in a terminal, init asks for them)`);
  return answers as Answers;
}

function terminalQuestions(): Ask {
  return async (question, fallback) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      const answer = (await rl.question(`${question}${fallback ? ` [${fallback}]` : ''}: `)).trim();
      return answer || fallback || '';
    } finally {
      rl.close();
    }
  };
}

interface ScaffoldFile {
  readonly path: string;
  readonly content: string;
  readonly executable?: boolean;
}

/** What init takes from flags alone: none of it is asked for. */
interface ScaffoldOptions {
  readonly issuerImage: string | undefined;
  readonly repositories: readonly string[];
  readonly gitUrl: string | undefined;
}

/** The files init writes, the cluster's config first. */
export function scaffold(input: Answers & ScaffoldOptions): ScaffoldFile[] {
  const repositories = (input.repositories.length > 0 ? input.repositories : ['charts']).map((repo) => {
    const [name, namespace] = repo.split('=', 2);
    return { name: name!, namespace: namespace || input.namespace };
  });
  // Written by the YAML library, so that any value the rules accept (an IPv6 endpoint's brackets,
  // a '#' or ': ' in it) stays the one string it was.
  const config = {
    endpoint: input.endpoint,
    assets: { namespace: input.namespace, name: 'assets', image: input['assets-image'] },
    repositories,
    certificate: { commonName: 'flux-assets-reader', secretName: 'flux-assets-tls' },
    ...(input.issuerImage === undefined ? {} : { issuer: { image: input.issuerImage } }),
    ...(input.gitUrl === undefined ? {} : { flux: { url: input.gitUrl, branch: 'main' } }),
  };
  const header = [
    `# yaml-language-server: $schema=../node_modules/${packageJson.name}/schema/cluster-config.schema.json`,
    `# The cluster ${input.cluster}: npm run synth writes dist/${input.cluster}/ from this file.`,
  ];
  return [
    { path: `clusters/${input.cluster}.yaml`, content: `${header.join('\n')}\n${stringify(config)}` },
    { path: '.github/workflows/flux-assets-bootstrap.yml', content: GITHUB_WORKFLOW },
    { path: 'ci/check-dist.sh', content: CHECK_DIST, executable: true },
  ];
}

/** The config as synth would read it; a ClusterConfigError that names the flags of the bad fields. */
function checkConfig(dir: string, config: ScaffoldFile): void {
  try {
    parseClusterConfig(join(dir, config.path), config.content);
  } catch (error) {
    if (!(error instanceof ClusterConfigError)) throw error;
    throw new ClusterConfigError('init', error.issues.map((issue) => {
      const field = Object.keys(FLAG_OF_FIELD).filter((prefix) => issue.path === prefix || issue.path.startsWith(`${prefix}.`) || issue.path.startsWith(`${prefix}[`)).sort((a, b) => b.length - a.length)[0];
      return { path: field === undefined ? issue.path : `${FLAG_OF_FIELD[field]} (${issue.path || 'the file name'})`, message: issue.message };
    }));
  }
}

const CHECK_DIST = `#!/bin/sh
# Fails when dist/ is not what flux-assets-bootstrap synth makes of clusters/: a config changed
# without a synth, or dist/ edited by hand. Written by flux-assets-bootstrap init.
set -eu
npm ci --no-audit --no-fund
npx --no-install flux-assets-bootstrap synth
if [ -n "$(git status --porcelain -- clusters dist)" ]; then
  git status --short -- clusters dist
  echo "dist/ differs from what synth makes of clusters/: run npm run synth and commit the result" >&2
  exit 1
fi
`;

// Actions pinned by commit, as a supply-chain scanner expects; the comment says which release.
const GITHUB_WORKFLOW = `# Fails a pull request whose dist/ is not what synth makes of clusters/. Written by
# flux-assets-bootstrap init; ci/check-dist.sh is the same check for any other CI.
name: flux-assets-bootstrap
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  dist:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - uses: actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020 # v4.4.0
        with:
          node-version: 24
      - run: sh ci/check-dist.sh
`;

/**
 * package.json with the synth and doctor scripts and the tool itself added (made if missing), and
 * what that does; read before anything is written, so that one that is not JSON stops init.
 */
function extendedPackageJson(dir: string): { content: string; said: string } {
  const file = join(dir, 'package.json');
  const fresh = { name: basename(dir).toLowerCase().replace(/[^a-z0-9-]/g, '-'), private: true };
  let manifest;
  try {
    manifest = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : fresh;
  } catch (error) {
    throw new UsageError(`${file} is not JSON (${(error as Error).message}); nothing was written`);
  }
  const scripts = { synth: 'flux-assets-bootstrap synth', doctor: 'flux-assets-bootstrap doctor' };
  const theirs = (name: string, command: string) => manifest.scripts?.[name] !== undefined && manifest.scripts[name] !== command;
  const kept = Object.entries(scripts).filter(([name, command]) => theirs(name, command)).map(([name]) => name);
  manifest.scripts = { ...scripts, ...manifest.scripts };
  const dependencies = { ...manifest.dependencies, ...manifest.devDependencies };
  if (!(packageJson.name in dependencies)) manifest.devDependencies = { ...manifest.devDependencies, [packageJson.name]: `^${packageJson.version}` };
  const said = kept.length === 0 ? 'package.json has the scripts synth and doctor' : `package.json: kept its own script ${kept.join(' and ')}; flux-assets-bootstrap's is "${scripts[kept[0] as keyof typeof scripts]}"`;
  return { content: `${JSON.stringify(manifest, null, 2)}\n`, said };
}

/** Makes sure node_modules/ is ignored; what it did. */
function extendGitignore(dir: string): string {
  const file = join(dir, '.gitignore');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (/^\/?node_modules\/?$/m.test(text)) return '.gitignore ignores node_modules/ already';
  writeFileSync(file, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}node_modules/\n`);
  return text === '' ? 'wrote .gitignore' : 'added node_modules/ to .gitignore';
}
