// cert-issuer/Dockerfile read as data, for what runs the image's commands here as processes (there is no
// Docker engine): test/cert-issuer/compile-cache.test.ts and the benchmark, which must run the bundle
// with the image's settings.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const repo = new URL('../..', import.meta.url).pathname;
export const dockerfile = readFileSync(join(repo, 'cert-issuer/Dockerfile'), 'utf8');

/** The instructions of one stage of cert-issuer/Dockerfile: the final one, or the one named `name`. */
export function stage(name?: string): string[] {
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const found = name === undefined ? stages.at(-1) : stages.find((text) => text.split('\n')[0]!.endsWith(` AS ${name}`));
  if (found === undefined) throw new Error(`cert-issuer/Dockerfile has no stage ${name}`);
  return found.split('\n').filter((line) => /^[A-Z]+ /.test(line));
}

/**
 * The environment one stage sets with `ENV KEY=value` (a value in double quotes may hold spaces),
 * in the order of its lines. Only that form: the Dockerfile uses no other.
 */
export function stageEnv(name?: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of stage(name).filter((instruction) => instruction.startsWith('ENV '))) {
    const match = /^ENV ([A-Z_][A-Z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)$/.exec(line);
    if (match === null) throw new Error(`cert-issuer/Dockerfile: cannot read ${JSON.stringify(line)} (only ENV KEY=value is read)`);
    env[match[1]!] = match[2]!.startsWith('"') ? (JSON.parse(match[2]!) as string) : match[2]!;
  }
  return env;
}
