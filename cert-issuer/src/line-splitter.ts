/**
 * Hands `onLine` each line of a text that arrives in chunks: a line split across chunks whole, a
 * `\r\n` line end like `\n`, and the last line even without a line end. It does for the watch
 * what node:readline did, without the memory that loading readline takes
 * (BENCHMARKS.md, Why the code is shaped this way).
 */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; end(): void } {
  let pending = '';
  const emit = (line: string) => onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  return {
    push(chunk) {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop()!;
      for (const line of lines) emit(line);
    },
    end() {
      if (pending !== '') emit(pending);
      pending = '';
    },
  };
}
