import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { usage } from '../../cert-issuer/src/config.ts';
import { COMMON_NAME, ORGANIZATION } from '../../src/contract/formats.ts';
import { ExitCode, FINAL_EXIT_CODES, KEY_BITS, LOG_FORMATS } from '../../src/contract/issuer-api.ts';
import { type IssuerArgs, parseIssuerArgs, toIssuerArgs } from '../../src/contract/issuer-flags.ts';
import { DNS_LABEL, DNS_SUBDOMAIN, SECRET_NAME, type TextRule, textProblem } from '../../src/contract/names.ts';
import { CERTIFICATE_FIELDS, ISSUER_FIELDS } from '../../src/contract/settings.ts';

/** The range an integer setting's own schema states. */
const range = (json: Readonly<Record<string, unknown>>) => ({ min: json.minimum as number, max: json.maximum as number });

/** Strings that `rule` accepts, drawn from its own pattern. */
const valid = (rule: TextRule) => fc.stringMatching(rule.pattern).filter((value) => textProblem(rule, value) === undefined);
/** Any Unicode text the CN rule accepts (fast-check cannot draw from a pattern with lookarounds). */
const certificateName = (rule: TextRule) => fc.string({ minLength: 1, maxLength: rule.maxLength, unit: 'grapheme' })
  .filter((value) => textProblem(rule, value) === undefined);

/** Every IssuerArgs the synth can write: the contract's own ranges, no duplicate namespaces. */
const issuerArgs: fc.Arbitrary<IssuerArgs> = fc.record({
  commonName: certificateName(COMMON_NAME),
  organization: fc.option(certificateName(ORGANIZATION), { nil: undefined }),
  secretName: valid(SECRET_NAME),
  namespaces: fc.uniqueArray(valid(DNS_LABEL), { minLength: 1, maxLength: 5 }),
  signerName: fc.constant('kubernetes.io/kube-apiserver-client'),
  expirationSeconds: fc.integer(range(CERTIFICATE_FIELDS.expirationSeconds.schema.json)),
  keyBits: fc.constantFrom(...KEY_BITS),
  timeoutSeconds: fc.integer(range(ISSUER_FIELDS.timeoutSeconds.schema.json)),
  refreshHelmRepositories: fc.uniqueArray(fc.record({ namespace: valid(DNS_LABEL), name: valid(DNS_LABEL) }), {
    maxLength: 4, selector: (ref) => `${ref.namespace}/${ref.name}`,
  }),
  logFormat: fc.constantFrom(...LOG_FORMATS),
  caFile: fc.option(fc.constantFrom('/etc/cert-issuer/ca/ca.crt', '/tmp/ca bundle.pem'), { nil: undefined }),
  runName: fc.option(valid(DNS_SUBDOMAIN), { nil: undefined }),
  kubeconfig: fc.constant(undefined),
});

describe('GIVEN the issuer contract', () => {
  test('WHEN any settings are written as args THEN the issuer\'s parser reads back exactly them', () => {
    fc.assert(fc.property(issuerArgs, (args) => {
      const [command, ...flags] = toIssuerArgs(args);
      expect(command).toBe('ensure');
      const read = parseIssuerArgs(flags, {});
      expect(read).toEqual(args);
    }), { numRuns: 300 });
  });

  test('WHEN the pod failure policy asks which exit codes are final THEN they are bad config, denied and refused', () => {
    expect(FINAL_EXIT_CODES).toEqual([ExitCode.badConfig, ExitCode.csrDenied, ExitCode.refusedToApprove]);
    expect(FINAL_EXIT_CODES).toEqual([2, 4, 7]);
  });

  test('WHEN the usage is printed THEN it lists every flag the parser knows, from the same table', () => {
    const listed = [...usage.matchAll(/^ {2}--([a-z-]+)=/gm)].map((match) => match[1]);
    expect(listed).toEqual([
      'common-name', 'organization', 'secret-name', 'namespaces', 'signer-name', 'expiration-seconds', 'key-bits',
      'timeout-seconds', 'refresh-helm-repositories', 'ca-file', 'log-format', 'run-name', 'kubeconfig',
    ]);
    for (const flag of listed) expect(() => parseIssuerArgs([`--${flag}=x`], {})).not.toThrow(/unknown flag/);
    const documented = [...readFileSync('README.md', 'utf8').matchAll(/^\| `--([a-z-]+)` \|/gm)].map((match) => match[1]);
    expect(documented).toEqual(listed);
  });
});
