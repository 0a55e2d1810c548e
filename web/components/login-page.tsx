import { SiteHeader } from './site-header';

export interface DemoUser {
  id: string;
  name: string;
  role: 'user' | 'admin';
}

/** The local/dev sign-in page: one button per demo user, a plain form (no JavaScript). */
export function LoginPage({ users, message }: { users: readonly DemoUser[]; message?: string }) {
  return (
    <>
      <SiteHeader />
      <main id="main" class="page login" tabIndex={-1}>
        <div class="page-head">
          <h1>Sign in to Foyer</h1>
          <p class="muted">Local development: pick a demo user. Production signs in through the identity provider instead.</p>
        </div>
        {message && (
          <p class="notice notice-error" role="alert">
            {message}
          </p>
        )}
        <form method="post" action="/login" class="card login-card">
          <h2 id="demo-users">Demo users</h2>
          <ul class="login-users" aria-labelledby="demo-users">
            {users.map((u) => (
              <li key={u.id}>
                <button type="submit" name="user" value={u.id} class="btn btn-login">
                  <span class="login-name">{u.name}</span>
                  <span class="muted">
                    {u.id}
                    {u.role === 'admin' ? ' · admin' : ''}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </form>
      </main>
    </>
  );
}
