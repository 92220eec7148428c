/**
 * Every bound the keepalived.conf reader enforces, in one place. A config is often generated,
 * sometimes by someone else: no file may hang `vigil check`, exhaust its memory or drown the
 * real problems in a million lines of output. Each bound that trips gives a diagnostic with
 * file:line (code `limit`), and reading goes on with what fits.
 *
 * The figures are far above what real configurations use (the largest published ones have a few
 * thousand lines, blocks nested five deep and a handful of includes) and keep `vigil check` on
 * any input under 2 s and 200 MB, measured by test/unit/keepalived-fuzz.test.ts.
 */

/**
 * keepalived reads a physical line with fgets() into a 1024-byte buffer (lib/parser.h MAXBUF):
 * a longer line is cut into 1023-byte pieces, each read as a line of its own. The same limit
 * caps a line after parameter substitution ("would exceed maximum line length").
 */
export const MAX_LINE_BYTES = 1023;

/** One configuration file (the entry file or an included one). */
export const MAX_FILE_BYTES = 512 * 1024;

/** All files together, includes counted each time they are read. */
export const MAX_TOTAL_BYTES = 1024 * 1024;

/** Files read in one run (keepalived has no limit until it runs out of file descriptors). */
export const MAX_FILES = 256;

/** Includes inside includes. */
export const MAX_INCLUDE_DEPTH = 16;

/** Patterns one `include` line may expand to with `{a,b}` alternatives, before globbing. */
export const MAX_BRACE_PATTERNS = 256;

/** Paths the includes of one configuration may match, together. */
export const MAX_GLOB_MATCHES = 1024;

/**
 * What globbing may cost for the whole configuration (every include together): directory
 * listings, entries kept per listing, and stat() calls. `include /*` `/*` `/*` ... repeated a
 * thousand times must not walk the file system a thousand times.
 */
export const MAX_GLOB_DIR_READS = 256;
export const MAX_DIR_ENTRIES = 4096;
export const MAX_GLOB_STATS = 4096;

/**
 * Statements (not counting `{` and `}`) in the whole configuration, after `~SEQ`/`~LST` and
 * multi-line parameters: a director with 2,600 real servers, each with a TCP_CHECK of three
 * settings, has 16,000. The bound is what keeps the worst file within 2 s of CPU.
 */
export const MAX_STATEMENTS = 16_000;

/** Statements, `{` and `}` together (that director has 27,000; a file of braces must stop too). */
export const MAX_PIECES = 32_000;

/**
 * Parameter substitutions in one line. keepalived substitutes again inside the text it has just
 * put in, so `$A=${A}` never ends there (it spins until killed); Vigil stops and says why.
 */
export const MAX_SUBSTITUTIONS_PER_LINE = 1024;

/**
 * Lines produced by `~SEQ`, `~LST` and multi-line parameters, per configuration. Expansion is
 * the costly path (every produced line is substituted and lexed again), so this stays below
 * what a file of plain lines may hold.
 */
export const MAX_EXPANSION_STEPS = 8_000;

/** `{ ... }` blocks nested inside each other (keepalived's own deepest is 4: virtual_server > real_server > HTTP_GET > url). */
export const MAX_BLOCK_DEPTH = 32;

/** Words considered for "did you mean": no keyword is longer than 40 characters. */
export const MAX_SUGGEST_LENGTH = 64;

/** Diagnostics kept for one run; the rest are counted in one final note. */
export const MAX_DIAGNOSTICS = 1000;
