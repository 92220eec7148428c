/**
 * HTTP_GET/SSL_GET `regex`: keepalived matches a PCRE2 pattern against the body, optionally
 * from `regex_min_offset` and with the match having to start at or before `regex_max_offset`
 * (PCRE2_USE_OFFSET_LIMIT). Here the pattern is a JavaScript RegExp: the common syntax is the
 * same; PCRE-only syntax fails to compile and the probe says so.
 *
 * The body is matched as latin1 text (one character per byte, so offsets are byte offsets as in
 * keepalived), or as UTF-8 with the `utf`/`ucp` options.
 */

/** regex_options that map to RegExp flags; the rest of PCRE2's options have no JS equivalent. */
const FLAG_OF: Record<string, string> = { caseless: 'i', multiline: 'm', dotall: 's', utf: 'u', ucp: 'u' };
/** Options that only tune PCRE2's engine or forbid syntax: no effect on what matches here. */
const NO_EFFECT = new Set(['no_auto_capture', 'no_auto_possess', 'no_dotstar_anchor', 'no_start_optimize', 'auto_callout', 'use_offset_limit', 'never_backslash_c', 'never_ucp', 'never_utf']);

export interface BodyRegex {
  regex: RegExp;
  /** Decode the body as UTF-8 rather than latin1. */
  utf8: boolean;
}

/** Compiles the url's regex, or returns why it cannot run here. */
export function compileBodyRegex(pattern: string, options: readonly string[] = []): BodyRegex | string {
  let flags = 'g';
  for (const o of options) {
    const f = FLAG_OF[o];
    if (f) {
      if (!flags.includes(f)) flags += f;
    } else if (!NO_EFFECT.has(o)) {
      return `regex_options "${o}" has no JavaScript equivalent (supported: ${Object.keys(FLAG_OF).join(', ')})`;
    }
  }
  try {
    return { regex: new RegExp(pattern, flags), utf8: flags.includes('u') };
  } catch (err) {
    return `regex /${pattern}/ does not compile: ${(err as Error).message}`;
  }
}

/** Whether the pattern matches `body` starting within [minOffset, maxOffset]. */
export function bodyMatches(re: BodyRegex, body: Buffer, minOffset = 0, maxOffset?: number): boolean {
  const text = body.toString(re.utf8 ? 'utf8' : 'latin1');
  const regex = new RegExp(re.regex.source, re.regex.flags);
  regex.lastIndex = minOffset;
  const m = regex.exec(text);
  return m !== null && (maxOffset === undefined || m.index <= maxOffset);
}
