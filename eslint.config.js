// ESLint: the recommended JavaScript rules and typescript-eslint's recommended
// rules. Only the rules that read syntax: the type-aware set took 66 s against
// 15 s for these on this machine, and most of what it reports is the deliberate
// `any` of the generated-code helpers.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // What .gitignore leaves out, and the golden files: the code generator's
  // expected output, compared as text.
  { ignores: ['dist/', 'coverage/', '.jit-dump/', 'bench/data/', 'test/inspect/artifacts/', 'test/jit/golden/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A leading underscore names a binding that only holds a place (`for (const _ of chain)`).
      '@typescript-eslint/no-unused-vars': ['error', {
        argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_',
      }],
      // A variable that a closure reads before its one assignment is declared first, with `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Generated code is a security boundary: only the sandbox's own tests may call eval.
      'no-eval': 'error',
      // `const membrane = this` is how a wrapper with a `this` of its own reaches its owner.
      '@typescript-eslint/no-this-alias': 'off',
    },
  },
  { files: ['**/*.{js,mjs,cjs}'], languageOptions: { globals: globals.node } },
);
