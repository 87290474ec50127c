// ESLint (flat config) with typescript-eslint's type-checked rules: floating and misused promises, unsafe `any`
// and the rest of `recommendedTypeChecked`. Run by `npm test` (and `npm run lint`) over every TypeScript source.
'use strict';
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      // Unused names are the compiler's job (noUnusedLocals/Parameters), with `_` for deliberately ignored ones.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // An async function without `await` is how a synchronous body implements a promise-returning port; the
      // promise bugs that matter (floating, misused) have rules of their own, which stay on.
      '@typescript-eslint/require-await': 'off',
      // tsc (the build) decides which assertions are needed; this rule disagreed with it on narrowing across awaits.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
  {
    // Tests read untyped JSON answers (Graph's, the API's) and poke at them; `any` there is the test's business.
    // Product code (functions/, shared/, local/, bench/) keeps every no-unsafe rule.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
