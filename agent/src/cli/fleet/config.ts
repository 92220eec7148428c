/**
 * Where the CLI finds the control plane and its token, first match wins:
 *
 *   1. flags: `--api URL`, `--token TOKEN` (visible in `ps`: prefer the others), `--token-file FILE`
 *   2. environment: `VIGIL_API`, `VIGIL_TOKEN`, `VIGIL_CA`
 *   3. the config file: `$VIGIL_CONFIG`, else `$XDG_CONFIG_HOME/vigil/config`, else
 *      `~/.config/vigil/config` — `key = value` lines (`api`, `token`, `ca`), `#` comments.
 *
 * A config file holding a token must be private (mode 0600, owned by the user), like ssh keys:
 * a group- or world-readable one is refused with the chmod that fixes it. `vigil config set`
 * writes it that way.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, EXIT, UsageError } from './errors.ts';

export interface ApiSettings {
  api: string;
  token?: string;
  /** PEM file of the CA (or the self-signed certificate) the control plane's TLS chains to. */
  ca?: string;
  /** Where each setting came from, for `vigil config show`. */
  from: Record<string, string>;
}

export const CONFIG_KEYS = ['api', 'token', 'ca'] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];
const MAX_CONFIG_BYTES = 64 * 1024;

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VIGIL_CONFIG) return env.VIGIL_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'vigil', 'config');
}

/** Reads the config file (empty when absent). Throws CliError on a bad or unsafe file. */
export function readConfigFile(path: string): Partial<Record<ConfigKey, string>> {
  let text: string;
  let mode: number;
  let uid: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new CliError(`${path}: not a regular file`, EXIT.INVALID);
    if (st.size > MAX_CONFIG_BYTES) throw new CliError(`${path}: larger than ${MAX_CONFIG_BYTES} bytes; is this the vigil config?`, EXIT.INVALID);
    mode = st.mode;
    uid = st.uid;
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof CliError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`${path}: ${(e as Error).message}`, EXIT.INVALID);
  }
  const out: Partial<Record<ConfigKey, string>> = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const m = /^([a-z-]+)\s*=\s*(.*)$/.exec(line);
    if (!m || !(CONFIG_KEYS as readonly string[]).includes(m[1]!)) {
      throw new CliError(`${path}:${i + 1}: expected "key = value" with key one of ${CONFIG_KEYS.join(', ')}`, EXIT.INVALID);
    }
    out[m[1] as ConfigKey] = m[2]!.replace(/^"(.*)"$/, '$1');
  });
  if (out.token !== undefined && ((mode & 0o077) !== 0 || (typeof process.getuid === 'function' && uid !== process.getuid()))) {
    throw new CliError(`${path} holds a token but is readable by others (mode ${(mode & 0o777).toString(8)}); refusing to use it`, EXIT.AUTH, { hint: `chmod 600 ${path}` });
  }
  return out;
}

/** Writes one key (0600, directory 0700), keeping the others. */
export function writeConfigKey(path: string, key: ConfigKey, value: string | undefined): void {
  const current = readConfigFile(path);
  if (value === undefined) delete current[key];
  else current[key] = value;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const body = `# vigil CLI settings (vigil config set KEY VALUE); keep this file private\n${CONFIG_KEYS.filter((k) => current[k] !== undefined).map((k) => `${k} = ${current[k]}`).join('\n')}\n`;
  writeFileSync(path, body, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function checkUrl(api: string, from: string): string {
  let u: URL;
  try {
    u = new URL(api);
  } catch {
    throw new UsageError(`the control plane URL from ${from} is not a URL: "${api}" (expected e.g. http://localhost:8080)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`the control plane URL from ${from} must be http:// or https://, not ${u.protocol}`);
  if (u.username || u.password) throw new UsageError(`the control plane URL from ${from} must not carry credentials: use --token-file, VIGIL_TOKEN or the config file`);
  return api.replace(/\/+$/, '');
}

export interface SettingsFlags { api?: string | undefined; token?: string | undefined; tokenFile?: string | undefined; ca?: string | undefined }

/** Resolves the control plane URL and token (flags > environment > config file). */
export function resolveSettings(flags: SettingsFlags, env: NodeJS.ProcessEnv = process.env, needToken = true): ApiSettings {
  const path = configPath(env);
  const file = readConfigFile(path);
  const from: Record<string, string> = {};
  const pick = (key: string, flag: string | undefined, envName: string, fileValue: string | undefined): string | undefined => {
    if (flag !== undefined) return (from[key] = `--${key}`), flag;
    if (env[envName]) return (from[key] = envName), env[envName];
    if (fileValue !== undefined) return (from[key] = path), fileValue;
    return undefined;
  };
  const api = pick('api', flags.api, 'VIGIL_API', file.api);
  if (!api) throw new UsageError(`no control plane URL: give --api URL, set VIGIL_API, or write "api = URL" in ${path} (vigil config set api URL)`);
  let token: string | undefined;
  if (flags.tokenFile !== undefined) {
    try {
      token = readFileSync(flags.tokenFile, 'utf8').trim();
      from.token = '--token-file';
    } catch (e) {
      throw new UsageError(`--token-file ${flags.tokenFile}: ${(e as Error).message}`);
    }
  } else token = pick('token', flags.token, 'VIGIL_TOKEN', file.token);
  if (needToken && !token) throw new CliError(`no API token: set VIGIL_TOKEN, give --token-file FILE, or store one with "vigil config set token -" (reads stdin)`, EXIT.AUTH);
  if (token !== undefined && !/^[\x21-\x7e]{1,512}$/.test(token)) throw new UsageError(`the API token from ${from.token} has spaces or control characters; it is the whole "vgl_..." secret`);
  const ca = pick('ca', flags.ca, 'VIGIL_CA', file.ca);
  return { api: checkUrl(api, from.api!), ...(token && { token }), ...(ca && { ca }), from };
}
