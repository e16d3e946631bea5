import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { usage } from '../../cert-issuer/src/config.ts';
import {
  COMMON_NAME, DNS_LABEL, ExitCode, FINAL_EXIT_CODES, type IssuerArgs, KEY_BITS, LIMITS, LOG_FORMATS, parseIssuerArgs, SECRET_NAME,
  type TextRule, textProblem, toIssuerArgs,
} from '../../src/contract/issuer-contract.ts';

/** Strings that `rule` accepts, drawn from its own pattern. */
const valid = (rule: TextRule) => fc.stringMatching(rule.pattern).filter((value) => textProblem(rule, value) === undefined);
/** Any Unicode text the CN rule accepts (fast-check cannot draw from a pattern with lookarounds). */
const commonName = fc.string({ minLength: 1, maxLength: COMMON_NAME.maxLength, unit: 'grapheme' })
  .filter((value) => textProblem(COMMON_NAME, value) === undefined);

/** Every IssuerArgs the synth can write: the contract's own ranges, no duplicate namespaces. */
const issuerArgs: fc.Arbitrary<IssuerArgs> = fc.record({
  commonName,
  secretName: valid(SECRET_NAME),
  namespaces: fc.uniqueArray(valid(DNS_LABEL), { minLength: 1, maxLength: 5 }),
  signerName: fc.constant('kubernetes.io/kube-apiserver-client'),
  expirationSeconds: fc.integer(LIMITS.expirationSeconds),
  keyBits: fc.constantFrom(...KEY_BITS),
  timeoutSeconds: fc.integer(LIMITS.timeoutSeconds),
  refreshHelmRepositories: fc.uniqueArray(fc.record({ namespace: valid(DNS_LABEL), name: valid(DNS_LABEL) }), {
    maxLength: 4, selector: (ref) => `${ref.namespace}/${ref.name}`,
  }),
  logFormat: fc.constantFrom(...LOG_FORMATS),
  caFile: fc.option(fc.constantFrom('/etc/cert-issuer/ca/ca.crt', '/tmp/ca bundle.pem'), { nil: undefined }),
}, { requiredKeys: ['commonName', 'secretName', 'namespaces', 'signerName', 'expirationSeconds', 'keyBits', 'timeoutSeconds', 'refreshHelmRepositories', 'logFormat'] });

describe('GIVEN the issuer contract', () => {
  test('WHEN any settings are written as args THEN the issuer\'s parser reads back exactly them', () => {
    fc.assert(fc.property(issuerArgs, (args) => {
      const [command, ...flags] = toIssuerArgs(args);
      expect(command).toBe('ensure');
      const read = parseIssuerArgs(flags, {});
      expect(read).toEqual({ ...args, ...(args.caFile === undefined ? {} : { caFile: args.caFile }) });
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
      'timeout-seconds', 'refresh-helm-repositories', 'ca-file', 'log-format', 'kubeconfig',
    ]);
    for (const flag of listed) expect(() => parseIssuerArgs([`--${flag}=x`], {})).not.toThrow(/unknown flag/);
    const documented = [...readFileSync('README.md', 'utf8').matchAll(/^\| `--([a-z-]+)` \|/gm)].map((match) => match[1]);
    expect(documented).toEqual(listed);
  });
});

describe('GIVEN a text rule that has checked values before', () => {
  test('WHEN a value is checked again THEN the answer is the same: an accepted value stays accepted, a refused one stays refused', () => {
    const rule: TextRule = { what: 'two lowercase letters', pattern: /^[a-z]{2}$/, maxLength: 2 };
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 3 }), { maxLength: 20 }), (values) => {
      const first = values.map((value) => textProblem(rule, value));
      expect(values.map((value) => textProblem(rule, value))).toEqual(first);
      expect(first.map((problem) => problem === undefined)).toEqual(values.map((value) => /^[a-z]{2}$/.test(value)));
    }));
  });
});
