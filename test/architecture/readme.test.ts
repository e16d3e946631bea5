// The README's table of contents, against its own headings: a section added, renamed or moved
// without the contents following fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

/** GitHub's anchor of a heading: lowercase, spaces to '-', punctuation but '-' and '_' dropped. */
const anchor = (heading: string) => heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replaceAll(' ', '-');

describe('GIVEN the README', () => {
  test('WHEN its contents are read THEN they list every second-level heading, in order, each with its anchor', () => {
    const headings = [...readme.matchAll(/^## (.+)$/gm)].map((match) => match[1]!);
    const start = readme.indexOf('<!-- toc:');
    const lines = readme.slice(start).split('\n').slice(1);
    const contents = lines.slice(0, lines.findIndex((line) => !line.startsWith('- ')));
    expect(contents).toEqual(headings.map((heading) => `- [${heading}](#${anchor(heading)})`));
  });
});

// ---- The README's commands -------------------------------------------------------------------

const contributing = readFileSync(fileURLToPath(new URL('../../CONTRIBUTING.md', import.meta.url)), 'utf8');
const root = fileURLToPath(new URL('../..', import.meta.url));
const collapse = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The programs whose names start a command in an inline code span; a code block's every line is one. */
const PROGRAMS = /^(npm|npx|node|kubectl|docker|helm|flux|timoni|cosign|crane|skopeo|cdk8s|git|flux-assets-bootstrap) /;

/** The README's commands: each line of its shell blocks (comments dropped, continuations joined) and each inline command. */
function readmeCommands(): string[] {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap(([, body]) =>
    body!.replaceAll('\\\n', ' ').split('\n').map((line) => collapse(line.replace(/(^|\s)#.*$/, ''))).filter((line) => line !== ''));
  const prose = readme.replace(/```[\s\S]*?```/g, '');
  const inline = [...prose.matchAll(/`([^`]+)`/g)].map(([, span]) => collapse(span!)).filter((span) => PROGRAMS.test(span));
  return [...new Set([...blocks, ...inline])];
}

interface CommandRow {
  readonly command: string;
  /** The file that runs it and the fragments of it that file holds; none when nothing here runs it. */
  readonly runBy?: { readonly file: string; readonly fragments: string[] };
  readonly why?: string;
}

/** CONTRIBUTING.md's table of them. */
function commandRows(): CommandRow[] {
  const table = contributing.slice(contributing.indexOf('<!-- readme-commands -->')).split('\n').slice(3);
  return table.slice(0, table.findIndex((line) => !line.startsWith('| '))).map((line) => {
    const [, command, where] = /^\| `(.+?)` \| (.+) \|$/.exec(line) ?? [];
    if (command === undefined || where === undefined) throw new Error(`CONTRIBUTING.md: cannot read the row ${line}`);
    const ran = /^run by `([^`]+)`[^:]*: (.+)$/.exec(where);
    if (!ran) return { command, why: where };
    return { command, runBy: { file: ran[1]!, fragments: [...ran[2]!.matchAll(/`([^`]+)`/g)].map(([, fragment]) => fragment!) } };
  });
}

describe("GIVEN the README's commands and CONTRIBUTING.md's table of them", () => {
  const rows = commandRows();

  test('WHEN both are read THEN every command has one row and every row one command', () => {
    expect(rows.length).toBeGreaterThan(20);
    expect(rows.map((row) => row.command).sort()).toEqual(readmeCommands().sort());
  });

  test('WHEN a row says which file runs its command THEN that file holds each fragment it quotes', () => {
    const missing = rows.filter((row) => row.runBy).flatMap(({ command, runBy }) => {
      const text = readFileSync(join(root, runBy!.file), 'utf8');
      expect(runBy!.fragments.length).toBeGreaterThan(0);
      return runBy!.fragments.filter((fragment) => !text.includes(fragment)).map((fragment) => `${command}: ${runBy!.file} lacks ${fragment}`);
    });
    expect(missing).toEqual([]);
  });

  test('WHEN a row says nothing here runs its command THEN it says why', () => {
    expect(rows.filter((row) => row.why !== undefined && !/^not run (here|by a test): \S/.test(row.why)).map((row) => row.command)).toEqual([]);
  });
});

describe("GIVEN the README's library example", () => {
  test('WHEN compared with examples/consumer-app/main.ts, which the consumer test installs and runs THEN it is that file without its opening comment', () => {
    const example = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
    const app = readFileSync(join(root, 'examples/consumer-app/main.ts'), 'utf8');
    expect(example).toBe(app.replace(/^(\/\/.*\n)+/, ''));
  });
});
