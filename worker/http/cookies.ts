/**
 * The attributes every cookie Foyer sets carries (the session and the read-your-writes token):
 * HttpOnly, SameSite=Lax, whole site, and Secure everywhere but on the local http://127.0.0.1
 * server, where a Secure cookie would never be sent back.
 */
export function cookieOptions(env: Pick<Env, 'ENVIRONMENT'>) {
  return { path: '/', httpOnly: true, sameSite: 'Lax', secure: env.ENVIRONMENT !== 'local' } as const;
}
