import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { JSON_SCHEMA_PATH, jsonSchemaText, withReference } from '../../src/config/config-reference.ts';
import { BAD_CONFIGS } from './bad-configs.ts';

describe('GIVEN the committed JSON Schema and README reference', () => {
  test('THEN both are what the settings in src/contract/settings.ts generates (run npm run reference after a change)', () => {
    expect(readFileSync(JSON_SCHEMA_PATH, 'utf8')).toBe(jsonSchemaText());
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toBe(withReference(readme));
  });

  test('THEN every example config points editors at it', () => {
    for (const file of ['clusters/dev.yaml', 'clusters/prod.yaml']) {
      expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../schema/cluster-config.schema.json');
    }
  });
});

describe('GIVEN the JSON Schema in a standard validator', () => {
  const validate = new Ajv({ strict: true, strictRequired: false, allErrors: true }).compile(JSON.parse(jsonSchemaText()));

  test.each(['clusters/dev.yaml', 'clusters/prod.yaml'])('WHEN it checks %s THEN it accepts it', (file) => {
    expect(validate(parse(readFileSync(file, 'utf8')))).toBe(true);
  });

  const stated = BAD_CONFIGS.filter((bad) => bad.beyondJsonSchema === undefined);
  test.each(stated.map((bad) => [bad.what, bad] as const))('WHEN a config has %s THEN it refuses it, as synth does', (_, bad) => {
    expect(validate(parse(bad.text))).toBe(false);
  });

  test('THEN only rules that JSON Schema cannot state are left to synth alone', () => {
    const left = BAD_CONFIGS.filter((bad) => bad.beyondJsonSchema !== undefined);
    expect(left.map((bad) => bad.beyondJsonSchema)).toEqual([
      'the groups of an IPv6 address', 'comparing two quantities', 'comparing two numbers', 'uniqueness by one field of the items',
      'a reference to another section', 'a reference to another item', 'a reference to another item', 'a cycle through references', 'uniqueness by one field of the items',
      'a semver range parser (range rewriting, then patterns and 64-bit numbers)', 'a semver range parser (range rewriting, then patterns and 64-bit numbers)',
      'the file system', 'the file system',
    ]);
    // Each of them really passes the JSON Schema: otherwise it belongs with the stated ones.
    for (const bad of left) expect(validate(parse(bad.text))).toBe(true);
  });
});
