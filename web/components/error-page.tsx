import { SiteHeader } from './site-header';

export interface ErrorPageProps {
  status: number;
  /** The problem's title, e.g. "Not found". */
  title: string;
  /** What happened and what to do, in a sentence or two. */
  detail: string;
  /** The X-Request-Id of this answer: what a person quotes when they report it. */
  requestId: string;
}

const HEADINGS: Record<number, string> = {
  404: 'Page not found',
  500: 'Something went wrong',
  503: 'Foyer is unavailable right now',
};

/** The page a browser gets for a 404 or 5xx instead of problem+json: what happened, the way home, the request id. */
export function ErrorPage({ status, title, detail, requestId }: ErrorPageProps) {
  return (
    <>
      <SiteHeader />
      <main id="main" class="page error-page" tabIndex={-1}>
        <div class="page-head">
          <p class="muted error-status">
            Error {status} · {title}
          </p>
          <h1>{HEADINGS[status] ?? title}</h1>
        </div>
        <div class="card">
          <p>{detail}</p>
          <p>
            <a class="btn btn-primary" href="/">
              Go to your page
            </a>
          </p>
          <p class="muted small">
            Request id <code class="request-id">{requestId}</code>: quote it if you report this.
          </p>
        </div>
      </main>
    </>
  );
}
