// One style for the synth side (src/) and the issuer (cert-issuer/src/), checked in `npm test`.
import tseslint from 'typescript-eslint';

export default tseslint.config({
  // Generated or built: imports/ is cdk8s import's output, lib/ is tsc's.
  ignores: ['lib/', 'imports/', 'dist/', 'node_modules/', 'cert-issuer/build/'],
}, {
  files: ['src/**/*.ts', 'cert-issuer/src/**/*.ts'],
  languageOptions: {
    parser: tseslint.parser,
    parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
  },
  plugins: { '@typescript-eslint': tseslint.plugin },
  linterOptions: { noInlineConfig: true, reportUnusedDisableDirectives: 'error' },
  rules: {
    '@typescript-eslint/explicit-member-accessibility': ['error', { accessibility: 'explicit' }],
    '@typescript-eslint/prefer-readonly': 'error',
    '@typescript-eslint/naming-convention': ['error',
      { selector: 'default', format: ['camelCase'] },
      { selector: 'typeLike', format: ['PascalCase'] },
      { selector: 'variable', modifiers: ['const', 'global'], format: ['camelCase', 'UPPER_CASE', 'PascalCase'] },
      { selector: 'variable', format: ['camelCase'] },
      // A leading underscore marks what is left unused on purpose (`{ skipped: _skipped, ...rest }`).
      { selector: ['parameter', 'variable'], modifiers: ['unused'], format: ['camelCase'], leadingUnderscore: 'require' },
      { selector: 'parameter', format: ['camelCase'] },
      { selector: 'classProperty', modifiers: ['static', 'readonly'], format: ['UPPER_CASE'] },
      { selector: 'import', format: ['camelCase', 'PascalCase'] },
      // Kubernetes keys (`app.kubernetes.io/name`), HTTP headers and env names are not ours to name.
      { selector: ['objectLiteralProperty', 'typeProperty'], modifiers: ['requiresQuotes'], format: null },
    ],
    // Messages and patterns stay on one line, so that a grep for what a user saw finds them.
    'max-len': ['error', { code: 160, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true }],
  },
}, {
  files: ['cert-issuer/src/**/*.ts'],
  rules: {
    // V8's toISOString looks up the local time zone, and its first call loads ICU's time zone data
    // (BENCHMARKS.md, Why the code is shaped this way); cert-issuer/src/utc-time.ts writes the same
    // text without it.
    'no-restricted-properties': ['error', { property: 'toISOString', message: 'use isoTime or rfc3339 from cert-issuer/src/utc-time.ts' }],
  },
});
