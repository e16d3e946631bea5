// renderCluster orders a cluster's files (and the kustomization's list) by localeCompare; for the
// names synth makes it compares code units instead, which must give the same order.
import fc from 'fast-check';
import { fileNameOrder } from '../../src/cli/synth.ts';

const plainName = fc.stringMatching(/^[a-z0-9.-]{1,24}$/);
const sorted = (names: string[], order: (a: { file: string }, b: { file: string }) => number) =>
  names.map((file) => ({ file })).sort(order).map(({ file }) => file);
const byLocale = (a: { file: string }, b: { file: string }) => a.file.localeCompare(b.file);

describe('GIVEN file names of lowercase letters, digits, dashes and dots', () => {
  test('WHEN ordered THEN the order is localeCompare\'s', () => {
    fc.assert(fc.property(fc.array(plainName, { maxLength: 30 }), (names) => {
      expect(sorted(names, fileNameOrder(names))).toEqual(sorted(names, byLocale));
    }), { numRuns: 2000 });
  });

  test('WHEN one name is a prefix of another or they differ only in punctuation THEN the order is still localeCompare\'s', () => {
    const names = ['05-role-a', '05-role-a.b', '05-role-a-b', '05-role-ab', '05-role-a0', '05-role-a.yaml', '05-role-a-.yaml', '05-role-9', '10-job-x.yaml'];
    expect(sorted(names, fileNameOrder(names))).toEqual(sorted(names, byLocale));
  });
});

describe('GIVEN a name with any other character', () => {
  test('WHEN ordered THEN localeCompare orders the list', () => {
    const names = ['05-role-B.yaml', '05-role-a.yaml', '05-role-_x.yaml'];
    expect(sorted(names, fileNameOrder(names))).toEqual(sorted(names, byLocale));
    expect(sorted(names, fileNameOrder(names))).toEqual(['05-role-_x.yaml', '05-role-a.yaml', '05-role-B.yaml']);
  });
});
