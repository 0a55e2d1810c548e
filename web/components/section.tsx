import type { ComponentChildren, VNode } from 'preact';
import { SECTION_TITLES, type SectionName } from '../page-data';
import type { SectionState } from '../signal-store';

export interface SectionProps<T> {
  name: SectionName;
  state: SectionState<T>;
  /** Listed in the page's `degraded`: the data shown is a saved copy (or missing). */
  degraded: boolean;
  skeleton: VNode;
  isEmpty(data: T): boolean;
  empty: ComponentChildren;
  children(data: T): ComponentChildren;
  /** Rendered next to the heading (e.g. the feed's connection state). */
  aside?: ComponentChildren;
  /** Rendered after the content once loaded, whatever its state (e.g. a form that adds to it). */
  footer?: ComponentChildren;
}

/**
 * The frame every section shares: a labelled region with its heading, then exactly one of
 * skeleton, error, empty or content, and a notice when the page marked it degraded.
 */
export function Section<T>({ name, state, degraded, skeleton, isEmpty, empty, children, aside, footer }: SectionProps<T>) {
  const busy = state.status === 'loading';
  // The streamed loading shell and the real section coexist in the DOM for a moment: distinct ids.
  const headingId = busy ? `${name}-heading-loading` : `${name}-heading`;
  return (
    <section class={`card card-${name}`} aria-labelledby={headingId} aria-busy={busy ? 'true' : undefined} data-state={state.status}>
      <div class="card-head">
        <h2 id={headingId}>{SECTION_TITLES[name]}</h2>
        {aside}
      </div>
      {degraded && state.status === 'ready' && (
        <p class="notice notice-degraded">
          <span aria-hidden="true">⚠ </span>Showing a saved copy: fresh data is temporarily unavailable.
        </p>
      )}
      {state.status === 'loading' ? (
        <div class="skeleton-wrap">
          <span class="visually-hidden">Loading…</span>
          {skeleton}
        </div>
      ) : state.status === 'error' ? (
        <p class="notice notice-error">
          <span aria-hidden="true">✕ </span>
          {state.message}
        </p>
      ) : isEmpty(state.data) ? (
        <div class="empty">{empty}</div>
      ) : (
        children(state.data)
      )}
      {!busy && footer}
    </section>
  );
}

/** Grey placeholder bars in the shape of the content to come. */
export function SkeletonLines({ count, class: className }: { count: number; class?: string }) {
  return (
    <div class={`skeleton ${className ?? ''}`} aria-hidden="true">
      {Array.from({ length: count }, (_, i) => (
        <span key={i} class="skeleton-line" />
      ))}
    </div>
  );
}
