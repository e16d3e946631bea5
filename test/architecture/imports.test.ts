// The parts and what each may import, as the README's Architecture section states them: read from
// every source file's import specifiers, so a forbidden import fails here rather than in review.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Each part's folder and the folders or files (besides its own) it may import. */
const PARTS: Record<string, readonly string[]> = {
  'src/contract': [],
  'src/constructs': ['src/contract', 'imports'],
  'src/config': ['src/contract'],
  'src/cli': ['src/config', 'src/constructs', 'src/contract', 'cert-issuer/build.mjs'],
  'src/doctor': ['src/cli', 'src/config', 'src/constructs', 'src/contract', 'cert-issuer/src'],
  'cert-issuer/src': ['src/contract'],
};

function sourceFiles(folder: string): string[] {
  return readdirSync(join(root, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|mts|mjs)$/.test(entry.name))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

/** The project files `file` imports, relative to the repository root. */
function projectImports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((match) => relative(root, resolve(root, dirname(file), match[1]!)));
}

describe('GIVEN the source folders', () => {
  test.each(Object.entries(PARTS))('WHEN the files of %s are read THEN they import only their own folder and %j', (part, allowed) => {
    const files = sourceFiles(part);
    expect(files.length).toBeGreaterThan(0);
    const outside = files.flatMap((file) => projectImports(file)
      .filter((target) => ![part, ...allowed].some((path) => target === path || target.startsWith(`${path}/`)) && target !== 'package.json')
      .map((target) => `${file} -> ${target}`));
    expect(outside).toEqual([]);
  });

  test('WHEN the library entry is read THEN it reaches only the constructs and the contract', () => {
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const target of projectImports(file)) if (/\.(ts|mts)$/.test(target)) visit(target);
    };
    visit('src/index.ts');
    expect(seen.size).toBeGreaterThan(10);
    expect([...seen].filter((file) => !/^(src\/(constructs|contract)\/|imports\/|src\/index\.ts$)/.test(file))).toEqual([]);
  });
});
