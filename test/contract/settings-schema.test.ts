import { loadClusterConfig } from '../../src/config/cluster-config.ts';
import { asChecked, checkProps, integer, isChecked, object, optional, required, text } from '../../src/contract/settings-schema.ts';

const PORTED = object({
  name: required(text(), 'A name.'),
  port: optional(integer({ min: 1024, max: 65535 }), 'A port.', 8080),
});

describe('GIVEN props that no schema has checked', () => {
  test('WHEN they are valid THEN the defaults are filled in, other props pass through, and the result counts as checked', () => {
    const server = { kind: 'not a setting' };
    const { value, issues } = checkProps(PORTED, { name: 'assets', server } as never);
    expect(issues).toEqual([]);
    expect(value).toEqual({ name: 'assets', port: 8080, server });
    expect(isChecked(value)).toBe(true);
  });

  test('WHEN they are invalid THEN every problem is reported with its prop and value, and the defaults are still filled in', () => {
    const { value, issues } = checkProps(PORTED, { name: '', port: 80 });
    expect(issues).toEqual([
      { path: 'name', message: 'must not be empty' },
      { path: 'port', message: 'must be an integer from 1024 to 65535 (got 80)' },
    ]);
    expect(value).toEqual({ name: '', port: 80 });
    expect(isChecked(value)).toBe(false);
  });
});

describe('GIVEN props a schema has checked already', () => {
  test('WHEN they are checked again THEN they are taken as they are, without a second check', () => {
    // A value no check would pass proves that none ran.
    const props = asChecked({ name: 'assets', port: 80 });
    const { value, issues } = checkProps(PORTED, props);
    expect(value).toBe(props);
    expect(issues).toEqual([]);
  });

  test('WHEN a cluster config is loaded THEN it and each of its sections count as checked', () => {
    const cluster = loadClusterConfig('clusters/prod.yaml');
    expect([cluster, cluster.assets, cluster.certificate, cluster.issuer, ...cluster.repositories].map(isChecked)).toEqual([true, true, true, true, true, true, true]);
  });
});
