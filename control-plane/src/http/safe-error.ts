/**
 * An error as it may be logged: name, message, database code and stack, but never the
 * parameters of a failed query (drizzle puts them in the message and on the error: a new
 * token's hash, a credential hash, an agent's payload) nor any other enumerable property.
 */
export interface SafeError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
  cause?: SafeError;
}

export function safeError(e: unknown, depth = 0): SafeError {
  if (!(e instanceof Error)) return { name: typeof e, message: typeof e === 'string' ? e.slice(0, 500) : 'non-error thrown' };
  const code = (e as { code?: unknown }).code;
  // "Failed query: <sql>\nparams: <values>": keep the statement, drop the values.
  const message = e.message.replace(/\nparams:[\s\S]*$/, '\nparams: [redacted]').slice(0, 2000);
  const stack = e.stack?.replace(/\nparams:[\s\S]*?(?=\n\s+at |$)/, '\nparams: [redacted]');
  return {
    name: e.name,
    message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(stack ? { stack } : {}),
    ...(e.cause !== undefined && depth < 3 ? { cause: safeError(e.cause, depth + 1) } : {}),
  };
}
