// The README's table of contents, against its own headings: a section added, renamed or moved
// without the contents following fails here.
import { readFileSync } from 'node:fs';
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
