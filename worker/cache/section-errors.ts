import { log } from '../observability/log';
import type { SectionName } from '../sections';
import type { LookupCounts } from './lookup-counts';
import { Lru } from './lru';
import { BudgetExceeded } from './page-source';

/**
 * The last failure this isolate saw per fragment and section, for the health route. It holds a
 * reason, never the driver's message (that may carry SQL); the message goes to the log only.
 */
export class SectionErrors {
  readonly #last = new Lru<string, { at: number; reason: string }>(2000);

  constructor(
    readonly budgetMs: number,
    readonly counts: LookupCounts,
  ) {}

  /** Sections whose source failed: counted, logged with the driver's message, remembered with a reason. */
  record(errorKey: string, errors: Partial<Record<SectionName, Error>>, now: number): void {
    for (const [name, err] of Object.entries(errors)) {
      this.counts.count((c) => c.d1.failures++);
      this.#last.set(`${errorKey}/${name}`, { at: now, reason: this.reasonOf(err) });
      log.error('section source failed', { section: name, key: errorKey, error: err.message });
    }
  }

  /** Marks sections as failed for this request without logging again (the failure was logged where it happened). */
  mark(errorKey: string, sections: readonly SectionName[], err: unknown, now: number): void {
    const reason = this.reasonOf(err);
    for (const name of sections) this.#last.set(`${errorKey}/${name}`, { at: now, reason });
  }

  last(errorKey: string, section: SectionName): { at: number; reason: string } | undefined {
    return this.#last.peek(`${errorKey}/${section}`);
  }

  clear(): void {
    this.#last.clear();
  }

  /** Reasons shown on the health route: never the driver's message (it may carry SQL). */
  reasonOf(err: unknown): string {
    if (err instanceof BudgetExceeded) return `source exceeded the ${this.budgetMs} ms time budget`;
    return 'source failed (D1 returned an error)';
  }
}
