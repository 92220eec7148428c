/**
 * Shapes of the keyword tables. One table per keepalived block lists every keyword keepalived
 * 2.2.7 accepts there (from its `install_keyword` calls), the arguments each takes, the old
 * aliases, and which ones Vigil does not implement (`unsupported`: reported by name, never as a
 * syntax error).
 */

export type Arg =
  | { type: 'int'; min?: number; max?: number }
  /** Seconds, fractional allowed (keepalived timers resolve to µs). */
  | { type: 'seconds'; min?: number; max?: number }
  | { type: 'enum'; values: readonly string[]; caseInsensitive?: boolean }
  | { type: 'ip' }
  /** IP or IP/prefix. */
  | { type: 'prefix' }
  /** on|off|true|false|yes|no */
  | { type: 'bool' }
  | { type: 'word' };

/** What happens with words after the last argument a keyword takes. */
export type Rest =
  /** free-form (commands, option lists): accepted as is */
  | 'free'
  /** keepalived silently ignores them; Vigil warns */
  | 'ignored'
  /** keepalived rejects them (e.g. `lb_kind DR junk` -> "Invalid tunnel option") */
  | 'error';

/** Which kind of lines a list block holds (`virtual_ipaddress { ... }` etc.). */
export type ListKind =
  | 'address' // IP[/len] [brd X] [dev IF] [scope S] [label L] ...
  | 'tracked' // NAME [weight W [reverse|noreverse]]
  | 'names' // one or more names per line
  | 'peer' // IP [min_ttl N] [max_ttl N]
  | 'route' // ip route syntax
  | 'free'; // anything (rules, notification addresses, ...)

export interface KeywordSpec {
  /** Required positional arguments. */
  args?: readonly Arg[];
  /** Optional positional arguments after the required ones. */
  optional?: readonly Arg[];
  /** Default 'ignored'. */
  rest?: Rest;
  /** Name of the block table this keyword opens. */
  block?: string;
  /** The block may be omitted (e.g. `persistence_timeout` has none; `notify_fifo` none). */
  blockOptional?: boolean;
  /** This is an old name; the canonical one is given. */
  aliasOf?: string;
  /** 'warning' (keepalived itself complains) or 'info' (accepted silently by keepalived). */
  aliasSeverity?: 'warning' | 'info';
  /** Gone from keepalived 2.x (keepalived rejects it): an error, with this explanation. */
  removed?: string;
  /** Vigil does not implement it: reported by name, value ignored. String = extra explanation. */
  unsupported?: true | string;
  /** keepalived keeps the first occurrence in a block and ignores later ones ("already specified - ignoring"). */
  firstWins?: true;
  /** keepalived does not know it in this block and skips it: a warning, and the value is not used. */
  ignored?: { because: string; hint: string };
}

export interface BlockSpec {
  /** Human name used in messages ("vrrp_instance", "real_server", ...). */
  name: string;
  keywords?: Record<string, KeywordSpec>;
  /** For list blocks, how each line is read. */
  list?: ListKind;
}

export const U = { unsupported: true } as const;
export const flag: KeywordSpec = { args: [] };
export const int = (min?: number, max?: number): Arg => ({ type: 'int', ...(min !== undefined && { min }), ...(max !== undefined && { max }) });
export const secs = (min?: number, max?: number): Arg => ({ type: 'seconds', ...(min !== undefined && { min }), ...(max !== undefined && { max }) });
export const oneOf = (...values: string[]): Arg => ({ type: 'enum', values });
export const word: Arg = { type: 'word' };
export const ip: Arg = { type: 'ip' };
export const bool: Arg = { type: 'bool' };
/** Keyword taking one argument of the given type. */
export const one = (a: Arg, extra: Partial<KeywordSpec> = {}): KeywordSpec => ({ args: [a], ...extra });
/** A command line (`notify_master /path arg ...`, `script "..."`). */
export const command: KeywordSpec = { args: [word], rest: 'free' };
/** A command keepalived takes only once per block (notify_*, quorum_*, startup_script, ...). */
export const firstCommand: KeywordSpec = { ...command, firstWins: true };
export const unsupportedFree: KeywordSpec = { rest: 'free', unsupported: true };
