// Lint: @eslint/js recommended plus typescript-eslint's recommended type-checked rules (issue 25, item 6).
// https://typescript-eslint.io/getting-started/typed-linting — projectService reads tsconfig.json,
// so the rules see the same types `tsc --noEmit` does. `make lint` runs it with a cache in .cache/eslint/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // test/port-github-action-*/: port-labs/port-github-action's built code, vendored as it ships (issue 26).
  { ignores: ['dist/', 'node_modules/', '.cache/', 'eslint.config.js', 'test/port-github-action-*/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  // A JavaScript file is outside tsconfig.json, so the type-aware rules cannot run on it. Vendored
  // third-party code (a built action, say) belongs in `ignores` above instead.
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], extends: [tseslint.configs.disableTypeChecked] },
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
  {
    // Tests, simulators and the bench read JSON and YAML they did not type (simulator answers, helm
    // template output, release manifests) and poke at it field by field; typing each such read would
    // add code the agent never runs. The agent's own code (agent/) keeps every one of these rules.
    // Fakes stand in for async interfaces with `async () => value`, the plain way to write a promise
    // that answers at once, hence require-await too; String(x) of such an untyped field is what the
    // tests and simulators mean (no-base-to-string).
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
);
