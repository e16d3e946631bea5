/**
 * What `docker build -f cert-issuer/Dockerfile .` sends from the repository root, listed by Docker's
 * own matcher (test/images/docker-context, Go): no engine runs here, so the test proves the
 * context, not the image.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/** The paths the Dockerfile copies from the context: every COPY's sources but the last word, without --from. */
function copiedPaths(dockerfile: string): string[] {
  return dockerfile.split('\n')
    .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
    .flatMap((line) => line.split(/\s+/).slice(1, -1));
}

describe('GIVEN the repository root as the issuer image\'s build context', () => {
  let context: { files: string[]; bytes: number };
  const copied = copiedPaths(readFileSync(join(repo, 'cert-issuer/Dockerfile'), 'utf8'));

  beforeAll(() => {
    context = JSON.parse(execFileSync('go', ['run', '.', repo], { cwd: join(repo, 'test/images/docker-context'), encoding: 'utf8' }));
  }, 120_000);

  test('WHEN .dockerignore applies THEN the context is under 1 MiB', () => {
    expect(context.bytes).toBeLessThan(1024 * 1024);
  });

  test('WHEN listed THEN every file is one the Dockerfile copies, and no build output or dependency is among them', () => {
    const isCopied = (file: string) => copied.some((path) => file === path || file.startsWith(`${path.replace(/\/$/, '')}/`));
    expect(context.files.filter((file) => !isCopied(file))).toEqual([]);
    expect(context.files.filter((file) => /^(node_modules|\.git|dist|lib)\/|^cert-issuer\/build\//.test(file))).toEqual([]);
  });

  test('WHEN listed THEN everything the Dockerfile copies is there', () => {
    expect(copied.filter((path) => !context.files.some((file) => file === path || file.startsWith(`${path.replace(/\/$/, '')}/`)))).toEqual([]);
  });
});
