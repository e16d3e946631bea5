/**
 * The shape every command of the CLI shares (synth, init, doctor, status): `--help`/`-h` and `--version`, one
 * line and a hint at `--help` for a flag it does not know, and exit codes that tell a config error
 * (1) from a usage error (2). A user's mistake never prints a stack trace; only a bug of ours does.
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import packageJson from '../../package.json' with { type: 'json' };
import { ClusterConfigError } from '../config/cluster-config.ts';

/** A command line the user got wrong: an unknown flag, a missing value, a folder with nothing in it. */
export class UsageError extends Error {}

export interface CommandLine<O extends ParseArgsOptionsConfig> {
  /** The name in messages: `synth: ...`. */
  readonly name: string;
  /** How the user runs it, for the hint at its help: `flux-assets-bootstrap doctor`. */
  readonly invocation: string;
  readonly usage: string;
  readonly options: O;
  /** Said after a config error, for example that nothing was written. */
  readonly afterConfigError: string;
  /**
   * The exit code of a usage or config error, for a command whose own codes follow another
   * convention (status: a monitoring check's, where 1 and 2 are warning and critical); by default
   * 2 and 1.
   */
  readonly failureExitCode?: number;
  /** Runs the command with the parsed options; returns the exit code. */
  readonly run: (values: ParsedValues<O>) => number | Promise<number>;
}

type ParsedValues<O extends ParseArgsOptionsConfig> = {
  [K in keyof O]: O[K] extends { multiple: true } ? string[] | undefined : O[K] extends { default: string } ? string : string | undefined;
};

/** What `--version` and the `version` command print. */
export const VERSION_LINE = `flux-assets-bootstrap ${packageJson.version}`;

export const EXIT_CONFIG_ERROR = 1;
export const EXIT_USAGE_ERROR = 2;
/** EX_SOFTWARE of sysexits.h: a bug of ours, the only failure that prints a stack trace. */
export const EXIT_INTERNAL_ERROR = 70;

/** Parses `argv` for `command` and runs it; every expected failure ends as a message and an exit code. */
export async function runCommand<O extends ParseArgsOptionsConfig>(command: CommandLine<O>, argv: readonly string[]): Promise<number> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      args: [...argv],
      options: { ...command.options, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    // parseArgs's own messages name the flag and add advice about '--' that does not apply here.
    const message = (error as Error).message.split('. ')[0]!.replace(/\.$/, '');
    const unknown = (error as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(-[^']*)'/.exec(message)?.[1] : undefined;
    const flags = Object.keys(command.options).map((name) => `--${name}`);
    const hint = unknown === undefined ? '' : didYouMean(unknown.split('=')[0]!, flags);
    return usageFailure(command, `${message[0]!.toLowerCase()}${message.slice(1)}${hint}`);
  }
  if (values.help) {
    console.log(command.usage);
    return 0;
  }
  if (values.version) {
    console.log(VERSION_LINE);
    return 0;
  }
  try {
    return await command.run(values as ParsedValues<O>);
  } catch (error) {
    return reportFailure(command as unknown as CommandLine<ParseArgsOptionsConfig>, error);
  }
}

/** Says in one line what the user got wrong and where the help is; the usage error's exit code. */
export function usageFailure(
  { name, invocation, failureExitCode }: { readonly name: string; readonly invocation: string; readonly failureExitCode?: number },
  message: string,
): number {
  console.error(`${name}: ${message}; see ${invocation} --help`);
  return failureExitCode ?? EXIT_USAGE_ERROR;
}

/**
 * ` (did you mean X?)` for the one of `candidates` nearest to a misspelt `word`, when one is near
 * enough to be what was meant (at most a third of its letters wrong); otherwise nothing.
 */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const nearest = candidates
    .map((candidate) => ({ candidate, distance: editDistance(word, candidate) }))
    .filter(({ distance }) => distance > 0 && distance <= Math.max(1, Math.floor(word.length / 3)))
    .sort((a, b) => a.distance - b.distance)[0];
  return nearest === undefined ? '' : ` (did you mean ${nearest.candidate}?)`;
}

/**
 * The fewest letters inserted, deleted, replaced or swapped with their neighbour to turn `a` into
 * `b` (Damerau-Levenshtein, as each letter is edited once): `snyth` is one from `synth`.
 */
function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      let distance = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, before[j - 2]! + 1);
      next.push(distance);
    }
    [before, row] = [row, next];
  }
  return row[b.length]!;
}

function reportFailure(command: CommandLine<ParseArgsOptionsConfig>, error: unknown): number {
  const { name, afterConfigError } = command;
  if (error instanceof UsageError) return usageFailure(command, error.message);
  if (error instanceof ClusterConfigError || (error instanceof AggregateError && error.errors.every((e) => e instanceof ClusterConfigError))) {
    console.error(error.message);
    console.error(`${name}: failed; ${afterConfigError}`);
    return command.failureExitCode ?? EXIT_CONFIG_ERROR;
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && code.startsWith('E')) {
    // The file system refused (a folder that is not there, no permission): the message names the path.
    console.error(`${name}: ${(error as Error).message}`);
    console.error(`${name}: failed; ${afterConfigError}`);
    return command.failureExitCode ?? EXIT_CONFIG_ERROR;
  }
  console.error(`${name}: internal error, please report it:`, error);
  return EXIT_INTERNAL_ERROR;
}
