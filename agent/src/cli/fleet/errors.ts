/**
 * Exit codes every `vigil` command that talks to the control plane (and import/export/plan)
 * keeps, so scripts can branch on them:
 *
 * | code | meaning |
 * |---|---|
 * | 0 | done (a list may be empty) |
 * | 1 | refused: the input is invalid (a spec or file with errors, a 400) — nothing was changed |
 * | 2 | usage: unknown command or option, missing argument |
 * | 3 | not found (404): a site, cluster, director, revision or token that does not exist |
 * | 4 | not allowed: no token, or a token that is unknown, expired, revoked (401) or lacks the role (403) |
 * | 5 | conflict (409/412): the state moved (`--if-revision`), a name is taken, the resource is in use |
 * | 6 | the control plane could not be reached, timed out, or failed (5xx, 429) — retry later |
 */
export const EXIT = { OK: 0, INVALID: 1, USAGE: 2, NOT_FOUND: 3, AUTH: 4, CONFLICT: 5, UNAVAILABLE: 6 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A usage mistake: printed with the command's usage, exit 2. */
export class UsageError extends Error {
  readonly exitCode = EXIT.USAGE;
}

/** An error the CLI explains and exits with `exitCode`. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: ExitCode, readonly details?: unknown) {
    super(message);
  }
}

/** The exit code for an HTTP status from the control plane. */
export function exitForStatus(status: number): ExitCode {
  if (status === 404) return EXIT.NOT_FOUND;
  if (status === 401 || status === 403) return EXIT.AUTH;
  if (status === 409 || status === 412) return EXIT.CONFLICT;
  if (status === 429 || status >= 500) return EXIT.UNAVAILABLE;
  return EXIT.INVALID;
}
