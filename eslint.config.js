// Lint: @eslint/js recommended plus typescript-eslint's recommended type-checked rules (issue 25, item 6).
// https://typescript-eslint.io/getting-started/typed-linting — projectService reads tsconfig.json,
// so the rules see the same types `tsc --noEmit` does. `make lint` runs it with a cache in .cache/eslint/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.cache/', 'eslint.config.js'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    files: ['agent/**/*.ts', 'test/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `const { secret: _s, ...rest } = x` is how the code drops a field from a copy: the dropped
      // binding is unused on purpose (https://eslint.org/docs/latest/rules/no-unused-vars#ignorerestsiblings).
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      // A caught error (`unknown`) and an AbortSignal's `reason` (`any`) are passed on as they are,
      // as fetch rejects with signal.reason; only-throw-error allows the same for `throw` by default.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // node:test's describe/it/test return promises the runner itself awaits and reports
      // (https://nodejs.org/api/test.html#describename-options-fn): awaiting them by hand is not needed.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
    },
  },
);
