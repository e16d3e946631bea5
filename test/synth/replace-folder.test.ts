import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replaceFolder, type OutputFile, writeFolder } from '../../src/cli/synth.ts';

let scratch: string;
let out: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'fab-replace-folder-'));
  out = join(scratch, 'dist');
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

const files: OutputFile[] = [
  { path: 'dev/a.yaml', content: 'a: 1\n' },
  { path: 'dev/b.yaml', content: 'b: 1\n' },
  { path: 'prod/a.yaml', content: 'a: 2\n' },
];

/** Every file under `folder` with its content, and the folder's own entries beside it. */
function tree(folder: string): Record<string, string> {
  const entries = readdirSync(folder, { recursive: true, withFileTypes: true });
  return Object.fromEntries(entries.map((entry) => {
    const path = join(entry.parentPath, entry.name).slice(folder.length + 1);
    return [path, entry.isFile() ? readFileSync(join(folder, path), 'utf8') : entry.isDirectory() ? '<dir>' : '<other>'];
  }));
}

const inode = (path: string) => statSync(join(out, path)).ino;
const expectedTree = { dev: '<dir>', prod: '<dir>', 'dev/a.yaml': 'a: 1\n', 'dev/b.yaml': 'b: 1\n', 'prod/a.yaml': 'a: 2\n' };

describe('GIVEN no output folder yet', () => {
  test('WHEN the files are written THEN the folder holds exactly them and nothing is left beside it', () => {
    expect(replaceFolder(out, files)).toBe(true);
    expect(tree(out)).toEqual(expectedTree);
    expect(readdirSync(scratch)).toEqual(['dist']);
  });
});

describe('GIVEN an output folder that already holds exactly the files', () => {
  test('WHEN they are written again THEN no file is replaced', () => {
    replaceFolder(out, files);
    const before = files.map((file) => inode(file.path));
    const folderBefore = statSync(out).ino;

    expect(replaceFolder(out, files)).toBe(false);

    expect(files.map((file) => inode(file.path))).toEqual(before);
    expect(statSync(out).ino).toBe(folderBefore);
    expect(tree(out)).toEqual(expectedTree);
  });
});

describe('GIVEN an output folder that differs from the new files', () => {
  test.each<[string, (dir: string) => void]>([
    ['one file changed', (dir) => writeFileSync(join(dir, 'dev/b.yaml'), 'b: old\n')],
    ['a file no longer produced', (dir) => writeFileSync(join(dir, 'dev/stale.yaml'), 'stale\n')],
    ['a cluster no longer produced', (dir) => { mkdirSync(join(dir, 'gone')); writeFileSync(join(dir, 'gone/x.yaml'), 'x\n'); }],
    ['an empty extra folder', (dir) => mkdirSync(join(dir, 'empty'))],
    ['a symlink where a file belongs', (dir) => { rmSync(join(dir, 'dev/b.yaml')); symlinkSync(join(scratch, 'b-target'), join(dir, 'dev/b.yaml')); }],
    ['a file missing', (dir) => rmSync(join(dir, 'prod/a.yaml'))],
  ])('WHEN %s THEN the folder holds exactly the new files and the unchanged ones are the same files as before', (_, change) => {
    replaceFolder(out, files);
    writeFileSync(join(scratch, 'b-target'), 'b: 1\n');
    const unchangedBefore = inode('dev/a.yaml');
    change(out);

    expect(replaceFolder(out, files)).toBe(true);

    expect(tree(out)).toEqual(expectedTree);
    expect(inode('dev/a.yaml')).toBe(unchangedBefore);
    expect(readdirSync(scratch).sort()).toEqual(['b-target', 'dist']);
  });
});

describe('GIVEN a write that fails half-way', () => {
  test('WHEN the new tree cannot be built THEN the old folder is left as it was and nothing is left beside it', () => {
    replaceFolder(out, files);
    const before = tree(out);

    // "dev/a.yaml" as a file and as a folder at once: the second mkdir fails after some writes.
    expect(() => replaceFolder(out, [{ path: 'dev/a.yaml', content: 'new\n' }, { path: 'dev/a.yaml/x', content: 'x\n' }])).toThrow();

    expect(tree(out)).toEqual(before);
    expect(readdirSync(scratch)).toEqual(['dist']);
  });
});

describe('GIVEN files produced one at a time', () => {
  test('WHEN the producer fails after some of them were written THEN the old folder is left as it was and nothing is left beside it', () => {
    replaceFolder(out, files);
    const before = tree(out);

    expect(() => writeFolder(out, (add) => {
      add({ path: 'dev/a.yaml', content: 'changed\n' });
      add({ path: 'dev/new.yaml', content: 'new\n' });
      throw new Error('render failed');
    }, () => true)).toThrow('render failed');

    expect(tree(out)).toEqual(before);
    expect(readdirSync(scratch)).toEqual(['dist']);
  });

  test('WHEN only the last one differs THEN the earlier unchanged ones are the same files as before', () => {
    replaceFolder(out, files);
    const unchangedBefore = inode('dev/a.yaml');

    expect(writeFolder(out, (add) => [...files.slice(0, 2), { path: 'prod/a.yaml', content: 'a: 3\n' }].forEach((file) => add(file)), () => true)).toBe(true);

    expect(tree(out)).toEqual({ ...expectedTree, 'prod/a.yaml': 'a: 3\n' });
    expect(inode('dev/a.yaml')).toBe(unchangedBefore);
  });
});

describe('GIVEN a file in the folder that the producer does not write', () => {
  test('WHEN it may not be deleted THEN nothing is written, the error names it, and the folder is left as it was', () => {
    replaceFolder(out, files);
    writeFileSync(join(out, 'dev/notes.md'), 'mine\n');
    const before = tree(out);

    expect(() => writeFolder(out, (add) => [{ path: 'dev/a.yaml', content: 'changed\n' }].forEach((file) => add(file)), (path) => !path.endsWith('notes.md')))
      .toThrow(`${join(out, 'dev/notes.md')} was not written by synth`);

    expect(tree(out)).toEqual(before);
    expect(readdirSync(scratch)).toEqual(['dist']);
  });

  test('WHEN it may be deleted THEN the folder is replaced without it', () => {
    replaceFolder(out, files);
    writeFileSync(join(out, 'dev/old.yaml'), 'ours\n');

    expect(writeFolder(out, (add) => files.forEach((file) => add(file)), () => true)).toBe(true);

    expect(tree(out)).toEqual(expectedTree);
  });
});
