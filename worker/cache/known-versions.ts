import { Lru } from './lru';

/** The highest version of each user this isolate has seen committed (bounded). */
export class KnownVersions {
  readonly #versions: Lru<string, number>;
  constructor(capacity: number) {
    this.#versions = new Lru(capacity);
  }
  note(userId: string, version: number): void {
    if ((this.#versions.peek(userId) ?? 0) < version) this.#versions.set(userId, version);
  }
  of(userId: string): number {
    return this.#versions.peek(userId) ?? 0;
  }
  clear(): void {
    this.#versions.clear();
  }
}
