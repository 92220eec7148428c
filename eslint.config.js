// Lint is part of `npm test`. Module boundaries from the design are enforced here, not by
// convention: the pure agent core never touches node:* or the OS shell, and only control-plane
// services import drizzle.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', '**/build/**', 'schema/migrations/**', '.test-pg/**', '.scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', performance: 'readonly', fetch: 'readonly', AbortController: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly', setImmediate: 'readonly', Response: 'readonly', Request: 'readonly', Headers: 'readonly', crypto: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['agent/src/vrrp/**/*.ts', 'agent/src/lb/**/*.ts', 'agent/src/health/state.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['node:*'], message: 'The pure core takes `now` and returns effects; I/O belongs in os/ or runtime/.' },
        { group: ['**/os/**', '**/runtime/**'], message: 'The pure core must not depend on the shell.' },
      ] }],
    },
  },
  {
    files: ['control-plane/src/routes/**/*.ts', 'control-plane/src/http/**/*.ts', 'control-plane/src/ws/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['drizzle-orm', 'drizzle-orm/*'], message: 'Routes call services; only services touch drizzle.' },
      ] }],
    },
  },
  {
    // The dashboard runs in the browser and builds the page only from text nodes and named
    // attributes (ui/dom.js): an HTML-string sink would turn a hostile name into markup.
    files: ['control-plane/dashboard/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', location: 'readonly', history: 'readonly', navigator: 'readonly', EventSource: 'readonly', HTMLElement: 'readonly', Element: 'readonly', Node: 'readonly', Event: 'readonly', MessageEvent: 'readonly', URLSearchParams: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off', // JSDoc `any` for API JSON the server documents
      'no-restricted-properties': ['error',
        ...['innerHTML', 'outerHTML'].map((property) => ({ property, message: 'Build nodes with h() (ui/dom.js): never parse HTML.' })),
        { property: 'insertAdjacentHTML', message: 'Build nodes with h() (ui/dom.js): never parse HTML.' },
        { object: 'document', property: 'write', message: 'Build nodes with h() (ui/dom.js).' },
      ],
      'no-restricted-globals': ['error', { name: 'eval', message: 'The CSP forbids it.' }, { name: 'localStorage', message: 'Nothing of the session is stored by the page (the cookie is HttpOnly).' }, { name: 'sessionStorage', message: 'Nothing of the session is stored by the page (the cookie is HttpOnly).' }],
    },
  },
);
