import type { Logger } from 'pino';
import type { Actor } from '../services/context.ts';

/** Per-request variables set by the middleware. */
export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    actor: Actor;
    /** Set when the request was authenticated by the dashboard's session cookie. */
    session: { csrf: string } | undefined;
  };
}
