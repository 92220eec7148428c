/**
 * `vigil config show|set|unset|path`: the CLI's own settings file (~/.config/vigil/config).
 * `set token -` reads the token from stdin, so it never sits in shell history or `ps`.
 */
import { parseArgs } from './args.ts';
import { CONFIG_KEYS, configPath, readConfigFile, resolveSettings, writeConfigKey, type ConfigKey } from './config.ts';
import { run, type Io } from './context.ts';
import { EXIT, UsageError } from './errors.ts';

export const CONFIG_USAGE = `usage: vigil config show          the settings in effect and where each comes from (the token masked)
       vigil config set api URL
       vigil config set token -   (reads the token from stdin)
       vigil config set ca FILE
       vigil config unset KEY
       vigil config path

The file is $VIGIL_CONFIG, else $XDG_CONFIG_HOME/vigil/config, else ~/.config/vigil/config
("key = value" lines; written 0600). Flags (--api, --token) and VIGIL_API / VIGIL_TOKEN win over it.
`;

export const runConfig = (argv: string[], io: Io) => run(io, CONFIG_USAGE, argv, async () => {
  const { positionals } = parseArgs(argv, { help: { short: 'h' } }, 'vigil config');
  const [verb, key, value] = positionals;
  const path = configPath(io.env);
  const checkKey = (k: string | undefined): ConfigKey => {
    if (!k || !(CONFIG_KEYS as readonly string[]).includes(k)) throw new UsageError(`vigil config: KEY is one of ${CONFIG_KEYS.join(', ')}`);
    return k as ConfigKey;
  };
  switch (verb) {
    case 'path':
      io.out(`${path}\n`);
      return EXIT.OK;
    case 'set': {
      const k = checkKey(key);
      if (value === undefined) throw new UsageError('vigil config set: give the VALUE (for the token: "-" and the token on stdin)');
      let v = value;
      if (v === '-') v = (await io.stdin()).trim();
      if (k === 'token' && value !== '-') io.err('warning: the token is now in your shell history; "vigil config set token -" reads it from stdin\n');
      if (k === 'api') resolveSettings({ api: v }, {}, false);
      if (!v || /[\r\n]/.test(v)) throw new UsageError(`vigil config set ${k}: an empty value or one with line breaks`);
      writeConfigKey(path, k, v);
      io.out(`${k} saved in ${path}\n`);
      return EXIT.OK;
    }
    case 'unset':
      writeConfigKey(path, checkKey(key), undefined);
      io.out(`${key} removed from ${path}\n`);
      return EXIT.OK;
    case 'show':
    case undefined: {
      readConfigFile(path);
      let s;
      try {
        s = resolveSettings({}, io.env, false);
      } catch {
        s = undefined;
      }
      io.out(`config file: ${path}\n`);
      io.out(`api:   ${s?.api ?? '(not set)'}${s?.from.api ? `   (from ${s.from.api})` : ''}\n`);
      io.out(`token: ${s?.token ? `${s.token.slice(0, 8)}…` : '(not set)'}${s?.from.token ? `   (from ${s.from.token})` : ''}\n`);
      io.out(`ca:    ${s?.ca ?? '(not set)'}${s?.from.ca ? `   (from ${s.from.ca})` : ''}\n`);
      return EXIT.OK;
    }
    default:
      throw new UsageError(`vigil config: unknown verb "${verb}"`);
  }
});
