// The watch's line splitting (cert-issuer/src/line-splitter.ts), which stands in for node:readline:
// any chunking of a text gives the lines readline would give.
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { lineSplitter } from '../../cert-issuer/src/line-splitter.ts';

/** The lines readline reads from `chunks`, as the watch read them before. */
async function readlineLines(chunks: string[]): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of createInterface({ input: Readable.from(chunks), crlfDelay: Infinity })) lines.push(line);
  return lines;
}

function splitterLines(chunks: string[]): string[] {
  const lines: string[] = [];
  const splitter = lineSplitter((line) => lines.push(line));
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
}

/**
 * A text of lines with `\n` or `\r\n` ends, maybe none after the last, cut into chunks anywhere.
 * A line holds no `\r`, U+2028 or U+2029, which readline would also break at: JSON text, as the
 * API server writes it (Go's encoding/json escapes all three), never holds them raw.
 */
const chunkedText = fc.tuple(
  fc.array(fc.tuple(fc.string({ unit: 'grapheme' }).map((line) => line.replace(/[\r\n\u2028\u2029]/g, '')), fc.constantFrom('\n', '\r\n')), { maxLength: 8 }),
  fc.boolean(),
  fc.array(fc.nat(), { maxLength: 6 }),
).map(([lines, endsWithNewline, cuts]) => {
  let text = lines.map(([line, end]) => line + end).join('');
  if (!endsWithNewline && lines.length > 0) text = text.replace(/\r?\n$/, '');
  const at = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
  return [0, ...at].map((from, i) => text.slice(from, [...at, text.length][i])).filter((chunk) => chunk !== '');
});

describe('GIVEN a watch stream cut into chunks anywhere', () => {
  test('WHEN split THEN the lines are readline\'s', async () => {
    await fc.assert(fc.asyncProperty(chunkedText, async (chunks) => {
      expect(splitterLines(chunks)).toEqual(await readlineLines(chunks));
    }), { numRuns: 500 });
  });

  test('WHEN a JSON event is split across chunks THEN it arrives whole', () => {
    expect(splitterLines(['{"type":"ADD', 'ED","object":{}}\r', '\n{"type":"MODIFIED"}\n'])).toEqual(['{"type":"ADDED","object":{}}', '{"type":"MODIFIED"}']);
  });
});
