import type { Logger } from 'pino';
import type { Actor } from '../services/context.ts';

/** Per-request variables set by the middleware. */
export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    actor: Actor;
  };
}
