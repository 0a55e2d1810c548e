import { LRU_ENTRY_BYTES, Lru, NUMBER_BYTES, stringBytes } from '../isolate';

/** The highest version of each user this isolate has seen committed (bounded by bytes). */
export class KnownVersions {
  readonly #versions: Lru<string, number>;
  constructor(maxBytes: number) {
    this.#versions = new Lru({ maxBytes, sizeOf: (userId) => LRU_ENTRY_BYTES + stringBytes(userId) + NUMBER_BYTES });
  }
  get bytes(): number {
    return this.#versions.bytes;
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
