import type { Principal } from '../../worker/auth/principal';

/** The top bar: brand, who is signed in, sign out (a plain form: works without JavaScript). */
export function SiteHeader({ viewer }: { viewer?: Principal }) {
  return (
    <header class="topbar">
      <a class="brand" href="/">
        <span class="brand-mark" aria-hidden="true">
          ◧
        </span>
        Foyer
      </a>
      {viewer && (
        <div class="viewer">
          <span class="viewer-name">
            <span class="visually-hidden">Signed in as </span>
            {viewer.userId}
            {viewer.role === 'admin' && <span class="badge badge-admin">admin</span>}
          </span>
          {viewer.role === 'admin' && (
            <a class="btn btn-quiet" href="/admin">
              Operations
            </a>
          )}
          <form method="post" action="/logout">
            <button type="submit" class="btn btn-quiet">
              Sign out
            </button>
          </form>
        </div>
      )}
    </header>
  );
}
