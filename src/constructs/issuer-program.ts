/**
 * The cert-issuer program as one file, for a config without `issuer.image`: synth ships it in a
 * ConfigMap that the Job runs on a stock Node image. It is the bundle `cert-issuer/build.mjs`
 * makes, found at the same place under the package's root in a checkout (where the command line
 * builds it when its sources change) and in the installed package (which ships it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The bundle, relative to the package's root. */
export const ISSUER_PROGRAM_FILE = 'cert-issuer/build/cert-issuer.mjs';

let program: string | undefined;

/** The program's text; an Error that says how to make it when a checkout has not built it. */
export function issuerProgram(): string {
  program ??= readFileSync(programFile(), 'utf8');
  return program;
}

/**
 * The bundle under the package's root, the nearest folder above this module with a package.json:
 * the module runs from src/ or lib/src/, and from the command line's bundles in lib/cli/ or in a
 * checkout's node_modules/.cache.
 */
function programFile(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; dir !== dirname(dir); dir = dirname(dir)) {
    if (!existsSync(join(dir, 'package.json'))) continue;
    const file = join(dir, ISSUER_PROGRAM_FILE);
    if (!existsSync(file)) throw new Error(`${file} is missing: build it with npm run build:job, or set issuer.image`);
    return file;
  }
  throw new Error(`no package.json above ${here}`);
}
