/**
 * A small schema language for the cluster configs. Each schema checks and converts one value and
 * reports every problem it finds, with the dotted path of the field, instead of stopping at the
 * first one: a user fixing a config wants the whole list in one run.
 */

/** A problem in a config value: where it is and what is wrong with it. */
export interface ConfigIssue {
  /** Dotted path of the field, for example `repositories[1].namespace`. */
  readonly path: string;
  readonly message: string;
}

/** Checks `value` found at `path`; returns the converted value, or undefined after reporting issues. */
export type Schema<T> = (value: unknown, path: string, issues: ConfigIssue[]) => T | undefined;

/** One field of an object schema: its value schema and what to use when the field is absent. */
export interface Field<T> {
  readonly schema: Schema<T>;
  readonly required: boolean;
  readonly fallback?: T;
}

/** A field that must be present. */
export function required<T>(schema: Schema<T>): Field<T> {
  return { schema, required: true };
}

/** A field that may be absent; `fallback` is used then. */
export function optional<T>(schema: Schema<T>, fallback: T): Field<T>;
export function optional<T>(schema: Schema<T>): Field<T | undefined>;
export function optional<T>(schema: Schema<T>, fallback?: T): Field<T | undefined> {
  return { schema, required: false, fallback };
}

/** A string, optionally checked further by `check`, which returns a message when it is wrong. */
export function string(check: (value: string) => string | undefined = () => undefined): Schema<string> {
  return (value, path, issues) => {
    if (typeof value !== 'string') return report(issues, path, `must be a string (got ${describe(value)})`);
    const problem = check(value);
    return problem === undefined ? value : report(issues, path, problem);
  };
}

/** A YAML boolean; a quoted "false" is a string, refused rather than taken as true. */
export function boolean(): Schema<boolean> {
  return (value, path, issues) =>
    typeof value === 'boolean' ? value : report(issues, path, `must be true or false (got ${describe(value)})`);
}

/** A whole number from `min` to `max`, inclusive. */
export function integer(min: number, max: number): Schema<number> {
  return (value, path, issues) =>
    Number.isInteger(value) && (value as number) >= min && (value as number) <= max
      ? (value as number)
      : report(issues, path, `must be an integer from ${min} to ${max} (got ${describe(value)})`);
}

/** One of a fixed set of values. */
export function oneOf<T extends string | number>(allowed: readonly T[]): Schema<T> {
  return (value, path, issues) =>
    allowed.includes(value as T)
      ? (value as T)
      : report(issues, path, `must be one of ${allowed.join(', ')} (got ${describe(value)})`);
}

/** A list whose items all match `item`. */
export function array<T>(item: Schema<T>, minItems = 0): Schema<T[]> {
  return (value, path, issues) => {
    if (!Array.isArray(value)) return report(issues, path, `must be a list (got ${describe(value)})`);
    if (value.length < minItems) return report(issues, path, `must list at least ${minItems} item(s)`);
    const before = issues.length;
    const items = value.map((element, index) => item(element, `${path}[${index}]`, issues));
    return issues.length === before ? (items as T[]) : undefined;
  };
}

type FieldValues<F> = { readonly [K in keyof F]: F[K] extends Field<infer T> ? T : never };

/** A mapping with exactly these fields; an unknown field is an error, because it is almost always a typo. */
export function object<F extends Record<string, Field<unknown>>>(fields: F): Schema<FieldValues<F>> {
  return (value, path, issues) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return report(issues, path || '(top level)', `must be a mapping (got ${describe(value)})`);
    }
    const before = issues.length;
    const known = Object.keys(fields);
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) report(issues, join(path, key), `unknown field (allowed: ${known.join(', ')})`);
    }
    const result: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(fields)) {
      const raw = (value as Record<string, unknown>)[key];
      if (raw === undefined || raw === null) {
        if (field.required) report(issues, join(path, key), 'is required');
        result[key] = field.fallback;
      } else {
        result[key] = field.schema(raw, join(path, key), issues);
      }
    }
    return issues.length === before ? (result as FieldValues<F>) : undefined;
  };
}

/** Runs a whole-value `check` after `schema` succeeded; used for rules that span several fields. */
export function refine<T>(schema: Schema<T>, check: (value: T, path: string, issues: ConfigIssue[]) => void): Schema<T> {
  return (value, path, issues) => {
    const result = schema(value, path, issues);
    if (result !== undefined) {
      const before = issues.length;
      check(result, path, issues);
      if (issues.length !== before) return undefined;
    }
    return result;
  };
}

export function report(issues: ConfigIssue[], path: string, message: string): undefined {
  issues.push({ path, message });
  return undefined;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}
