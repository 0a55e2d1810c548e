import type { Principal } from './auth/principal';

/** Hono's type parameter for every app, sub-app and middleware of the worker. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** Set by the auth middleware on authenticated routes. */
    principal: Principal;
    /** Why the token `identify` saw was refused; `authenticate` raises it on routes that need sign-in. */
    authFailure?: Error;
  };
}
