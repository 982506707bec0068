// ESLint flat config. Type-aware rules from typescript-eslint, plus the package boundaries of
// docs/architecture.md §2: pki ← jpki ← platform ← cli; jlis-sim uses pki and jpki; nothing but tests and the
// CLI imports jlis-sim; pki and jpki import no HTTP or database code and no node: modules outside
// their explicitly Node-only files.
import tseslint from 'typescript-eslint';

const nodeOnly = ['**/node/**', '**/pcsc-transport.ts', '**/vpcd-bridge.ts', '**/*.test.ts', '**/test/**'];

export default tseslint.config(
  { ignores: ['node_modules/**', '**/dist/**', '.data/**', '.tmp/**', 'bench/.out/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    files: ['packages/pki/src/**/*.ts', 'packages/jpki/src/**/*.ts'],
    ignores: nodeOnly,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'crypto', 'http', 'https', 'net'],
              message: 'pki and jpki are isomorphic: no Node built-ins outside node-only files.',
            },
            {
              group: [
                'fastify',
                'pg',
                'kysely',
                '@electric-sql/*',
                '@watashi/jlis-sim',
                '@watashi/platform',
                '@watashi/cli',
              ],
              message: 'pki/jpki must not depend outward (docs/architecture.md §2).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/pki/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@watashi/*'], message: 'pki is the innermost package (docs/architecture.md §2).' },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/platform/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@watashi/jlis-sim', '@watashi/jlis-sim/*'],
              message: 'platform reaches J-LIS only through the JpkiBackend port (docs/architecture.md §2).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
