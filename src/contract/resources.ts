/**
 * A container's CPU and memory, as the API server reads them: quantities, and the rule that a
 * request is at most its limit.
 */
import { type TextRule, textProblem } from './names.ts';
import { type Input, object, optional, type Output, report, type Schema, text } from './settings-schema.ts';

/**
 * A request or limit, as the API server parses a quantity (k8s.io/apimachinery resource.ParseQuantity):
 * a decimal number, then a decimal or binary SI suffix or a decimal exponent. Without a sign, as
 * neither may be negative. An exponent of at most 3 digits holds every number YAML can write (a
 * double reaches e308); the API server would cut a longer one to 32 bits. No real amount comes
 * near 64 characters.
 */
const QUANTITY: TextRule = {
  what: 'a quantity such as 100m, 0.5, 64Mi or 1e9 (a number without sign, then n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent e<n> of 1 to 3 digits)',
  pattern: /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[KMGTPE]i|[numkMGTPE]|[eE][-+]?[0-9]{1,3})?$/,
  maxLength: 64,
};
/** The SI suffixes, from 10^-9 up in steps of 10^3, and the binary ones, from 2^10 up in steps of 2^10. */
const DECIMAL_SUFFIXES = ['n', 'u', 'm', '', 'k', 'M', 'G', 'T', 'P', 'E'];
const BINARY_SUFFIXES = ['Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
/** The API server caps a quantity with a binary suffix at 2^63 - 1 (in billionths here). */
const MAX_BINARY_NANOS = (2n ** 63n - 1n) * 10n ** 9n;

/** YAML reads `cpu: 1` or `cpu: 0.5` as a number; it is the quantity its text is. */
const quantityText = (value: unknown): unknown => (typeof value === 'number' ? String(value) : value);

const QUANTITY_VALUE: Schema<string> = {
  parse: (value, path, issues) => text(QUANTITY).parse(quantityText(value), path, issues),
  json: { anyOf: [text(QUANTITY).json, { type: 'number', minimum: 0 }] },
};

/**
 * The amount the API server reads a valid `quantity` as, in billionths: rounded up to a whole
 * billionth and, with a binary suffix, capped, as ParseQuantity does. So a request is above its
 * limit here exactly when the API server says so.
 */
function nanos(quantity: string): bigint {
  const [, whole, fraction = '', suffix = ''] = /^([0-9]*)(?:\.([0-9]*))?(.*)$/.exec(quantity)!;
  const binaryPower = (BINARY_SUFFIXES.indexOf(suffix) + 1) * 10;
  const decimal = DECIMAL_SUFFIXES.indexOf(suffix);
  const exponent = binaryPower > 0 ? 0 : decimal >= 0 ? (decimal - 3) * 3 : Number(suffix.slice(1));
  const scale = 9 - fraction.length + exponent;
  const amount = BigInt(`${whole}${fraction}` || '0') * 2n ** BigInt(binaryPower);
  const divisor = 10n ** BigInt(Math.max(-scale, 0));
  const rounded = (amount * 10n ** BigInt(Math.max(scale, 0)) + divisor - 1n) / divisor;
  return binaryPower > 0 && rounded > MAX_BINARY_NANOS ? MAX_BINARY_NANOS : rounded;
}

const COMPUTE_RESOURCES = object({
  cpu: optional(QUANTITY_VALUE, 'CPU in cores, e.g. `100m` or `0.5`.'),
  memory: optional(QUANTITY_VALUE, 'Memory in bytes, e.g. `64Mi` or `1G`.'),
});
const RESOURCE_REQUIREMENTS = object({
  requests: optional(COMPUTE_RESOURCES, 'What the scheduler reserves for the container.'),
  limits: optional(COMPUTE_RESOURCES, 'What the container may use at most.'),
});
export type ResourceRequirements = Input<typeof RESOURCE_REQUIREMENTS>;

/**
 * A container's resources, with the API's rule that a request is at most its limit, checked on
 * the value as written so that it is reported beside any other problem. It has no `fields`: a
 * value replaces the default as a whole, so the reference shows it as one field.
 */
export const RESOURCES: Schema<Output<typeof RESOURCE_REQUIREMENTS>, ResourceRequirements> = {
  parse: (value, path, issues) => {
    const before = issues.length;
    const parsed = RESOURCE_REQUIREMENTS.parse(value, path, issues);
    const written = (section: 'requests' | 'limits', resource: 'cpu' | 'memory'): string | undefined => {
      const amount = quantityText((value as Record<string, Record<string, unknown> | undefined> | undefined)?.[section]?.[resource]);
      return typeof amount === 'string' && textProblem(QUANTITY, amount) === undefined ? amount : undefined;
    };
    for (const resource of ['cpu', 'memory'] as const) {
      const request = written('requests', resource);
      const limit = written('limits', resource);
      if (request !== undefined && limit !== undefined && nanos(request) > nanos(limit)) {
        report(issues, `${path}.requests.${resource}`, `must be at most the ${resource} limit ${limit}, as the API requires (got ${JSON.stringify(request)})`);
      }
    }
    return issues.length === before ? parsed : undefined;
  },
  fill: RESOURCE_REQUIREMENTS.fill,
  json: RESOURCE_REQUIREMENTS.json,
};

/** A value as YAML's flow style writes it, for the reference: `{requests: {cpu: 10m}}`. */
const flowText = (value: object): string =>
  `{${Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${typeof v === 'object' ? flowText(v) : String(v)}`).join(', ')}}`;

/** The `resources` setting of one bootstrap pod's container, `defaults` when it is absent. */
export function resourcesField(pod: string, defaults: ResourceRequirements) {
  return optional(
    RESOURCES,
    `CPU and memory of ${pod}'s container: \`requests\` and \`limits\`, each with \`cpu\` and \`memory\`, quantities such as \`100m\`, \`0.5\` or \`64Mi\`; a request at most its limit. A value replaces the default as a whole: what it leaves out is not set.`,
    RESOURCE_REQUIREMENTS.fill(defaults),
    `\`${flowText(defaults)}\``,
  );
}
