/**
 * A small schema language for the bootstrap's settings. One definition gives every form of a
 * setting, so they cannot drift apart:
 * - the check, which reports every problem it finds, each with the dotted path of its field,
 *   instead of stopping at the first one (a user fixing a config wants the whole list in one run);
 * - the value with its defaults filled in;
 * - the TypeScript types of the config and of the constructs' props (`Input`, `Output`);
 * - a JSON Schema (draft-07) of the same rules, for editors, and the README's reference rows.
 */
import { type TextRule, textProblem } from './names.ts';

/** A problem in a config value: where it is and what is wrong with it. */
export interface ConfigIssue {
  /** Dotted path of the field, for example `repositories[1].namespace`. */
  readonly path: string;
  readonly message: string;
}

export type JsonSchema = Readonly<Record<string, unknown>>;

/** A schema of values of type `T`, written by users as `I` (with optional fields where `T` has defaults). */
export interface Schema<T, I = T> {
  /** Checks `value` found at `path`; returns the converted value, or undefined after reporting issues. */
  readonly parse: (value: unknown, path: string, issues: ConfigIssue[]) => T | undefined;
  /** The value with the defaults of its absent fields filled in, without checking it. */
  fill?(value: I): T;
  /** Carries the input type; never set. */
  readonly input?: I;
  /** The same rules as JSON Schema; a rule it cannot state (see `unstated`) is only in the check. */
  readonly json: JsonSchema;
  /** The fields of an object schema, for the reference; none for other schemas. */
  readonly fields?: Readonly<Record<string, Field<unknown, unknown, boolean>>>;
  /** The item schema of a list, for the reference. */
  readonly item?: Schema<unknown>;
}

/** One field of an object schema; `R` says whether it is required. */
export interface Field<T, I = T, R extends boolean = boolean> {
  readonly schema: Schema<T, I>;
  readonly required: R;
  /** What the field means, for the README and the editor. */
  readonly doc: string;
  /** The value used when the field is absent. */
  readonly fallback?: T;
  /** The default as the reference shows it, when it is a behaviour rather than a value. */
  readonly defaultDoc?: string;
}

/** A field that must be present. */
export function required<T, I>(schema: Schema<T, I>, doc: string): Field<T, I, true> {
  return { schema, required: true, doc };
}

/** A field that may be absent; `fallback` is used then, and `defaultDoc` describes a default that is not a value. */
export function optional<T, I>(schema: Schema<T, I>, doc: string, fallback: T, defaultDoc?: string): Field<T, I, false>;
export function optional<T, I>(schema: Schema<T, I>, doc: string, fallback?: undefined, defaultDoc?: string): Field<T | undefined, I, false>;
export function optional<T, I>(schema: Schema<T, I>, doc: string, fallback?: T, defaultDoc?: string): Field<T | undefined, I, false> {
  return { schema, required: false, doc, fallback, defaultDoc };
}

/**
 * A string checked by `rule`, and further by `check` for what a pattern cannot say (a range in a
 * cron field, an IPv6 address), which returns a message when the value is wrong.
 */
export function text(rule?: TextRule, check: (value: string) => string | undefined = () => undefined): Schema<string> {
  return {
    parse: (value, path, issues) => {
      if (typeof value !== 'string') return report(issues, path, `must be a string (got ${describe(value)})`);
      // Without a rule, the JSON Schema still asks for one character; so does the check.
      const problem = (rule ? textProblem(rule, value) : value === '' ? 'must not be empty' : undefined) ?? check(value);
      return problem === undefined ? value : report(issues, path, problem);
    },
    json: rule
      ? { type: 'string', minLength: rule.minLength ?? 1, maxLength: rule.maxLength, pattern: rule.pattern.source }
      : { type: 'string', minLength: 1 },
  };
}

/**
 * A value converted from a string by `convert`, which throws an Error with a message for the user;
 * `pattern` states for JSON Schema the same shape that `convert` accepts. A value that is already
 * converted (`isConverted`, as a typed caller passes it) is taken as it is.
 */
export function converted<T>(schema: Schema<string>, convert: (value: string) => T, pattern: RegExp, isConverted: (value: unknown) => value is T): Schema<T> {
  return {
    parse: (value, path, issues) => {
      if (isConverted(value)) return value;
      const valid = schema.parse(value, path, issues);
      if (valid === undefined) return undefined;
      try {
        return convert(valid);
      } catch (error) {
        return report(issues, path, (error as Error).message);
      }
    },
    json: { ...schema.json, pattern: pattern.source },
  };
}

/** A YAML boolean; a quoted "false" is a string, refused rather than taken as true. */
export function boolean(): Schema<boolean> {
  return {
    parse: (value, path, issues) =>
      typeof value === 'boolean' ? value : report(issues, path, `must be true or false (got ${describe(value)})`),
    json: { type: 'boolean' },
  };
}

/**
 * A free-form mapping passed on as it is (a chart's values): only its shape is checked, since
 * its keys belong to someone else's schema.
 */
export function mapping(): Schema<Readonly<Record<string, unknown>>> {
  return {
    parse: (value, path, issues) => (isMapping(value) ? value : report(issues, path, `must be a mapping (got ${describe(value)})`)),
    json: { type: 'object' },
  };
}

/**
 * A mapping of strings to strings, such as a node selector's labels: each key is checked by
 * `keyRule` and each value by `valueRule`, and a problem with either is reported at the key.
 */
export function stringMap(keyRule: TextRule, valueRule: TextRule): Schema<Readonly<Record<string, string>>> {
  const value = text(valueRule);
  return {
    parse: (raw, path, issues) => {
      if (!isMapping(raw)) return report(issues, path, `must be a mapping (got ${describe(raw)})`);
      const before = issues.length;
      for (const [key, entry] of Object.entries(raw)) {
        const keyProblem = textProblem(keyRule, key);
        if (keyProblem !== undefined) report(issues, join(path, key), `key ${keyProblem}`);
        value.parse(entry, join(path, key), issues);
      }
      return issues.length === before ? (raw as Record<string, string>) : undefined;
    },
    json: { type: 'object', propertyNames: text(keyRule).json, additionalProperties: value.json },
  };
}

/** A whole number from `min` to `max`, inclusive. */
export function integer(range: { readonly min: number; readonly max: number }): Schema<number> {
  return {
    parse: (value, path, issues) =>
      Number.isInteger(value) && (value as number) >= range.min && (value as number) <= range.max
        ? (value as number)
        : report(issues, path, `must be an integer from ${range.min} to ${range.max} (got ${describe(value)})`),
    json: { type: 'integer', minimum: range.min, maximum: range.max },
  };
}

/** One of a fixed set of values. */
export function oneOf<T extends string | number>(allowed: readonly T[]): Schema<T> {
  return {
    parse: (value, path, issues) =>
      allowed.includes(value as T)
        ? (value as T)
        : report(issues, path, `must be one of ${allowed.join(', ')} (got ${describe(value)})`),
    json: { enum: [...allowed] },
  };
}

/**
 * A list whose items all match `item`. With `uniqueItems`, no two items may be equal (items that
 * are strings). With `uniqueBy`, no two items may have the same value of that field; JSON Schema
 * cannot state this, so only the check enforces it.
 */
export function array<T, I>(
  item: Schema<T, I>,
  options: { readonly minItems?: number; readonly uniqueItems?: boolean; readonly uniqueBy?: string; readonly why?: string } = {},
): Schema<T[], readonly I[]> {
  const minItems = options.minItems ?? 0;
  return {
    parse: (value, path, issues) => {
      if (!Array.isArray(value)) return report(issues, path, `must be a list (got ${describe(value)})`);
      const before = issues.length;
      if (value.length < minItems) report(issues, path, `must list at least ${minItems} item(s)`);
      const items = value.map((element, index) => item.parse(element, `${path}[${index}]`, issues));
      if (options.uniqueItems) reportDuplicates(value, path, undefined, options.why ?? '', issues);
      if (options.uniqueBy !== undefined) reportDuplicates(value, path, options.uniqueBy, options.why ?? '', issues);
      return issues.length === before ? (items as T[]) : undefined;
    },
    fill: (value) => value.map((element) => (item.fill ? item.fill(element) : (element as unknown as T))),
    json: { type: 'array', items: item.json, ...(minItems > 0 ? { minItems } : {}), ...(options.uniqueItems ? { uniqueItems: true } : {}) },
    item,
  };
}

/** Reports each item whose string, or whose string field `key`, an earlier item already has. */
function reportDuplicates(items: readonly unknown[], path: string, key: string | undefined, why: string, issues: ConfigIssue[]): void {
  const firstIndex = new Map<unknown, number>();
  const at = (index: number) => `${path}[${index}]${key === undefined ? '' : `.${key}`}`;
  items.forEach((element, index) => {
    const value = key === undefined ? element : isMapping(element) ? element[key] : undefined;
    if (typeof value !== 'string') return;
    const earlier = firstIndex.get(value);
    if (earlier === undefined) firstIndex.set(value, index);
    else report(issues, at(index), `duplicates ${at(earlier)} ${JSON.stringify(value)}${why ? `: ${why}` : ''}`);
  });
}

/** A condition on one field of a mapping, as the raw config holds it. */
export type Condition =
  | { readonly field: string; readonly is: 'present' | 'absent' }
  | { readonly field: string; readonly equals: string }
  | { readonly field: string; readonly notEquals: string };

/** A rule across the fields of one mapping: when `when` holds, `then` must hold too. */
export interface FieldRule {
  readonly when: Condition;
  readonly then: Condition;
  /** The message, reported at `then.field`. */
  readonly message: string;
}

function holds(condition: Condition, mapping: Readonly<Record<string, unknown>>): boolean {
  const value = mapping[condition.field];
  const present = value !== undefined && value !== null;
  if ('is' in condition) return condition.is === 'present' ? present : !present;
  if ('equals' in condition) return value === condition.equals;
  return value !== condition.notEquals;
}

function conditionJson(condition: Condition): JsonSchema {
  const { field } = condition;
  if ('is' in condition) return condition.is === 'present' ? { required: [field] } : { not: { required: [field] } };
  const equals = { required: [field], properties: { [field]: { const: 'equals' in condition ? condition.equals : condition.notEquals } } };
  return 'equals' in condition ? equals : { not: equals };
}

// Any field, whatever its types.
type AnyField = Field<any, any, boolean>;
export type Fields = Record<string, AnyField>;
type FieldValues<F extends Fields> = { readonly [K in keyof F]: F[K] extends Field<infer T, infer _I, boolean> ? T : never };
type InputOf<F> = F extends Field<infer _T, infer I, boolean> ? I : never;
type RequiredKeys<F extends Fields> = { [K in keyof F]: F[K] extends Field<unknown, unknown, true> ? K : never }[keyof F];
type FieldInputs<F extends Fields> =
  & { readonly [K in RequiredKeys<F>]: InputOf<F[K]> }
  & { readonly [K in Exclude<keyof F, RequiredKeys<F>>]?: InputOf<F[K]> };

/** The type a schema checks and fills: the config after loading, a construct's props after defaults. */
export type Output<S> = S extends Schema<infer T, infer _I> ? T : never;
/** The type users write for a schema: optional where a field has a default or may be absent. */
export type Input<S> = S extends Schema<infer _T, infer I> ? I : never;

/**
 * Every object value a schema has checked. A value checked once (a loaded config, or props a
 * construct has checked) is not checked again by the constructs it is handed to.
 */
const checkedValues = new WeakSet<object>();

/** Whether `value` is an object that a schema has checked, with its defaults filled in. */
export function isChecked(value: unknown): boolean {
  return typeof value === 'object' && value !== null && checkedValues.has(value);
}

/** Marks `value`, made only of checked values, as checked too. */
export function asChecked<T extends object>(value: T): T {
  checkedValues.add(value);
  return value;
}

/** An object schema: its fields are known, and it fills any value in. */
export type ObjectSchema<F extends Fields> = Schema<FieldValues<F>, FieldInputs<F>> & { readonly fields: F; fill(value: FieldInputs<F>): FieldValues<F> };

/**
 * A mapping with exactly these fields; an unknown field is an error, because it is almost always a
 * typo. `rules` span several fields; they are checked on the mapping as written, so a rule's
 * problem is reported together with any problem of the fields themselves.
 */
export function object<F extends Fields>(fields: F, rules: readonly FieldRule[] = []): ObjectSchema<F> {
  const known = Object.keys(fields);
  const requiredKeys = known.filter((key) => fields[key]!.required);
  return {
    parse: (value, path, issues) => {
      if (!isMapping(value)) return report(issues, path || '(top level)', `must be a mapping (got ${describe(value)})`);
      const before = issues.length;
      for (const key of Object.keys(value)) {
        if (!known.includes(key)) report(issues, join(path, key), `unknown field (allowed: ${known.join(', ')})`);
      }
      const result: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(fields)) {
        const raw = value[key];
        if (raw === undefined || raw === null) {
          if (field.required) report(issues, join(path, key), 'is required');
          result[key] = field.fallback;
        } else {
          result[key] = field.schema.parse(raw, join(path, key), issues);
        }
      }
      for (const rule of rules) {
        if (holds(rule.when, value) && !holds(rule.then, value)) report(issues, join(path, rule.then.field), rule.message);
      }
      return issues.length === before ? asChecked(result as FieldValues<F>) : undefined;
    },
    fill: (value) => {
      const given = value as Readonly<Record<string, unknown>>;
      const filled = Object.entries(fields).map(([key, field]) => {
        const raw = given[key];
        if (raw === undefined || raw === null) return [key, field.fallback];
        return [key, field.schema.fill ? field.schema.fill(raw) : raw];
      });
      return { ...given, ...Object.fromEntries(filled) } as FieldValues<F>;
    },
    json: {
      type: 'object',
      properties: Object.fromEntries(Object.entries(fields).map(([key, field]) => [key, {
        description: field.doc,
        ...(field.fallback === undefined ? {} : { default: field.fallback }),
        ...field.schema.json,
      }])),
      ...(requiredKeys.length > 0 ? { required: requiredKeys } : {}),
      additionalProperties: false,
      ...(rules.length > 0 ? { allOf: rules.map((rule) => ({ if: conditionJson(rule.when), then: conditionJson(rule.then) })) } : {}),
    },
    fields,
  };
}

/**
 * The problems of a construct's props under `schema`, and the props with their defaults filled in.
 * Only the schema's fields are read: a typed caller may pass richer objects, and props that are
 * not settings (another construct, say) are passed through. Props already checked are taken as
 * they are, so a config checked when it was loaded is not checked again.
 */
export function checkProps<F extends Fields>(
  schema: ObjectSchema<F>,
  props: FieldInputs<F>,
): { readonly value: FieldValues<F>; readonly issues: readonly ConfigIssue[] } {
  if (isChecked(props)) return { value: props as unknown as FieldValues<F>, issues: [] };
  const issues: ConfigIssue[] = [];
  const known = Object.keys(schema.fields);
  const given = props as Readonly<Record<string, unknown>>;
  const settings = Object.fromEntries(known.filter((key) => given[key] !== undefined).map((key) => [key, given[key]]));
  const parsed = schema.parse(settings, '', issues);
  const value = parsed === undefined ? schema.fill(props) : asChecked({ ...given, ...parsed });
  return { value, issues };
}

export function report(issues: ConfigIssue[], path: string, message: string): undefined {
  issues.push({ path, message });
  return undefined;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
