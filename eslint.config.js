// Lint is part of `npm test`. Module boundaries from the design are enforced here, not by
// convention: the pure agent core never touches node:* or the OS shell, and only control-plane
// services import drizzle.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', '**/build/**', 'schema/migrations/**', '.test-pg/**', '.scratch/**', 'agent/dist/**'] },
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
    // The `vigil` launcher's hot path is CommonJS (agent/bin/launch.cjs says why).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', __filename: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // Module boundaries. Each source file falls under exactly one `no-restricted-imports` block
  // (in flat config the last matching block's options win), so every block lists all it bans.
  ...boundaries(),
  {
    // Configuration is read once, where it is parsed: the control plane's config.ts, the agent's
    // command line (cli/), and the native addon's location (install.sh sets it).
    files: ['agent/src/**/*.ts', 'control-plane/src/**/*.ts', 'schema/src/**/*.ts'],
    ignores: ['**/*.test.ts', 'control-plane/src/config.ts', 'control-plane/src/main.ts', 'agent/src/cli/**', 'agent/src/os/native.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read the environment in config (control-plane/src/config.ts, agent/src/cli/) and pass what is needed down.' }],
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

function boundaries() {
  const ban = (group, message) => ({ group, message });
  const CONTROL_PLANE = ban(['**/control-plane/**', '#cp/*'], 'The agent never imports the control plane: what they share is in schema/ (the wire contract is schema/src/wire).');
  const AGENT = ban(['**/agent/src/**', '#agent/*'], 'The control plane never imports the agent: what they share is in schema/ (the wire contract is schema/src/wire).');
  const CLI = ban(['**/cli/**'], 'Nothing imports the command line (cli/); the composition root is host/.');
  const MANAGED = ban(['**/managed/**'], 'Only the command line starts the managed loops.');
  const HOST = ban(['**/host/**'], 'The host composes the runtime; the runtime never reaches up to it.');
  const RUNTIME = ban(['**/runtime/**'], 'The runtime uses this module, not the reverse (checks/ defines HealthSource in checks/source.ts).');
  const OS = ban(['**/os/**'], 'The pure core must not depend on the shell.');
  const NODE = ban(['node:*'], 'The pure core takes `now` and returns effects; I/O belongs in os/ or runtime/.');
  const PURE = ['agent/src/vrrp/**/*.ts', 'agent/src/lb/**/*.ts', 'agent/src/checks/checker-state.ts', 'agent/src/checks/plan.ts', 'agent/src/checks/timing.ts', 'agent/src/runtime/diff.ts', 'agent/src/runtime/script-state.ts'];
  const block = (files, patterns, ignores = []) => ({ files, ignores: ['**/*.test.ts', ...ignores], rules: { 'no-restricted-imports': ['error', { patterns }] } });
  const ROUTES = ['control-plane/src/routes/**/*.ts', 'control-plane/src/http/**/*.ts', 'control-plane/src/ws/**/*.ts', 'control-plane/src/agent-ws.ts'];
  return [
    // The agent's layers: cli -> managed -> host -> runtime -> (checks, os) -> pure cores.
    block(PURE, [NODE, OS, RUNTIME, HOST, MANAGED, CLI, CONTROL_PLANE]),
    block(['agent/src/checks/**/*.ts'], [RUNTIME, HOST, MANAGED, CLI, CONTROL_PLANE], PURE),
    block(['agent/src/runtime/**/*.ts', 'agent/src/os/**/*.ts'], [HOST, MANAGED, CLI, CONTROL_PLANE], PURE),
    block(['agent/src/keepalived/**/*.ts'], [RUNTIME, HOST, MANAGED, CLI, CONTROL_PLANE]),
    block(['agent/src/host/**/*.ts'], [MANAGED, CLI, CONTROL_PLANE]),
    block(['agent/src/managed/**/*.ts'], [CLI, CONTROL_PLANE]),
    // cli/main.ts is the one place both halves meet (`vigil control-plane` loads it lazily).
    block(['agent/src/cli/**/*.ts'], [CONTROL_PLANE], ['agent/src/cli/main.ts']),
    // The control plane: routes validate and call services; only services know drizzle and the tables.
    block(ROUTES, [
      ban(['drizzle-orm', 'drizzle-orm/*'], 'Routes call services; only services touch drizzle.'),
      ban(['**/schema/src/tables', '**/schema/src/tables/**', '#schema/tables', '#schema/tables/*'], 'Routes call services; only services know the tables.'),
      AGENT,
    ]),
    // agent-bundle.ts builds the agent's bundle from its sources (paths, not imports).
    block(['control-plane/src/**/*.ts'], [AGENT], [...ROUTES, 'control-plane/src/agent-bundle.ts']),
  ];
}
