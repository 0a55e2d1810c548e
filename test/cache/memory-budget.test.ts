import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Fragment } from '../../worker/cache/fragment';
import { FragmentCache } from '../../worker/cache/fragment-cache';
import { KnownVersions } from '../../worker/cache/known-versions';
import { readFragment } from '../../worker/cache/page-source';
import { fragmentBytes, IsolateStore, SHARED_FRAGMENT_BYTES } from '../../worker/cache/stores';
import { ISOLATE_CACHE_BYTES, Lru, OTHER_BYTES, PAGE_DATA_BYTES, RENDERED_PAGE_BYTES } from '../../worker/isolate';
import { assembleFromIsolate, assembleIntroPage } from '../../worker/services/intro-page';
import { byDepth } from '../helpers/depth';
import { seed } from '../helpers/seed';

/** 50,000 in test:deep; 20,000 in npm test still overflow the page budget several times over. */
const USERS = byDepth(20_000, 50_000);
const users = USERS.toLocaleString('en');
const MiB = 1024 * 1024;
const userId = (i: number) => `user-${String(i).padStart(5, '0')}`;
const slot = (i: number) => ({ kind: 'personal' as const, epoch: 0, userId: userId(i) });
const waitUntil = (p: Promise<unknown>) => void p.catch(() => undefined);

/** Real personal bundles, read from the seeded D1 the way a miss reads them. */
let templates: Fragment[] = [];

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 8 });
  const now = Date.now();
  templates = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => (await readFragment(env, 'personal', userId(i + 1), now)).fragment),
  );
});

/** User i's page: one of the real bundles under i's own version and hash (sections shared: the accounting measures each entry's JSON). */
const generated = (i: number): Fragment => ({ ...templates[i % templates.length]!, v: i, h: i.toString(16).padStart(16, '0') });

/** 50,000 stores and their accounting take seconds in workerd on a busy machine. */
const FILL_TIMEOUT_MS = 120_000;

describe('isolate memory budget (docs/capacity.md#isolate-memory-budget)', () => {
  it('is one budget: 36 MiB of pages and 8 MiB for everything else', () => {
    expect(PAGE_DATA_BYTES + RENDERED_PAGE_BYTES).toBe(36 * MiB);
    expect(Object.values(OTHER_BYTES).reduce((a, b) => a + b, 0)).toBe(8 * MiB);
    expect(ISOLATE_CACHE_BYTES).toBe(44 * MiB);
  });

  it(
    `holds ${users} generated users’ pages within the page budget, keeping the newest`,
    () => {
      const store = new IsolateStore(PAGE_DATA_BYTES);
      store.put({ kind: 'shared', epoch: 0, userId: '*' }, templates[0]!);
      let peak = 0;
      for (let i = 1; i <= USERS; i++) {
        store.put(slot(i), generated(i));
        peak = Math.max(peak, store.bytes);
      }
      expect(peak).toBeLessThanOrEqual(PAGE_DATA_BYTES);
      // Filled, not starved: the personal pages' share of the budget (all but the shared fragment's
      // reserve, which holds one small fragment here) is used, and holds about as many pages as
      // their sizes allow. Against the whole budget the fill moved with the seeded data's sizes,
      // which follow the day the test runs.
      expect(store.bytes).toBeGreaterThan((PAGE_DATA_BYTES - SHARED_FRAGMENT_BYTES) * 0.95);
      const perUser = fragmentBytes(`0|${userId(USERS)}`, generated(USERS), JSON.stringify(templates[0]!.s).length);
      const held = store.size - 1;
      expect(held).toBeGreaterThan(PAGE_DATA_BYTES / perUser / 2);
      expect(held).toBeLessThan(USERS);
      // The newest `held` users are all there; everyone older was evicted.
      for (let i = USERS; i > USERS - held; i--) expect(store.peek(slot(i))?.v, userId(i)).toBe(i);
      for (let i = USERS - held; i > 0; i -= 97) expect(store.peek(slot(i)), userId(i)).toBeUndefined();
      // A page read is used again: it outlives pages stored after it.
      const reread = USERS - held + 1;
      expect(store.get(slot(reread))).toBeDefined();
      store.put(slot(USERS + 1), generated(USERS + 1));
      expect(store.peek(slot(reread))).toBeDefined();
      expect(store.peek(slot(reread + 1))).toBeUndefined();
    },
    FILL_TIMEOUT_MS,
  );

  it(
    `keeps the versions of ${users} users within their budget, newest first`,
    () => {
      const versions = new KnownVersions(OTHER_BYTES.knownVersions);
      for (let i = 1; i <= USERS; i++) {
        versions.note(userId(i), i);
        expect(versions.bytes).toBeLessThanOrEqual(OTHER_BYTES.knownVersions);
      }
      expect(versions.of(userId(USERS))).toBe(USERS);
      expect(versions.of(userId(1))).toBe(0);
    },
    FILL_TIMEOUT_MS,
  );

  it('serves the newest users’ pages from the isolate through the real path, and sends older ones back to KV or D1', async () => {
    // A budget of a few pages (a quarter of it for the shared fragment), so that 8 real users overflow it.
    const one = fragmentBytes(`0|${userId(1)}`, templates[0]!, 2000);
    const cache = new FragmentCache({ isolateBytes: 6 * one });
    const input = (i: number) => ({ env, waitUntil, userId: userId(i) });
    for (let i = 1; i <= 8; i++) await assembleIntroPage(input(i), cache);
    await cache.purgeState(env);
    expect(cache.isolateBytes).toBeLessThanOrEqual(cache.config.isolateBytes);
    expect(assembleFromIsolate(input(8), cache)).toBeDefined();
    expect(assembleFromIsolate(input(1), cache)).toBeUndefined();
    const page = await assembleIntroPage(input(1), cache);
    expect(page.cacheStatus).toMatch(/foyer-isolate; fwd=miss; stored$/);
    expect(assembleFromIsolate(input(1), cache)).toBeDefined();
  });
});

describe('Lru bounded by bytes', () => {
  const sized = (maxBytes: number) => new Lru<string, string>({ maxBytes, sizeOf: (_k, v) => v.length });

  it('evicts the least recently used past its budget, and counts what it holds', () => {
    const lru = sized(10);
    lru.set('a', 'aaaa');
    lru.set('b', 'bbbb');
    lru.get('a');
    lru.set('c', 'cccc');
    expect([...lru.keys()]).toEqual(['a', 'c']);
    expect(lru.bytes).toBe(8);
    lru.set('a', 'a');
    expect(lru.bytes).toBe(5);
    lru.delete('c');
    expect(lru.bytes).toBe(1);
    lru.clear();
    expect(lru.bytes).toBe(0);
    expect(lru.size).toBe(0);
  });

  it('does not keep an entry larger than the whole budget, and forgets the old value of its key', () => {
    const lru = sized(10);
    lru.set('a', 'aaaa');
    lru.set('a', 'x'.repeat(11));
    expect(lru.peek('a')).toBeUndefined();
    expect(lru.bytes).toBe(0);
  });

  it('peek does not refresh recency', () => {
    const lru = sized(8);
    lru.set('a', 'aaaa');
    lru.set('b', 'bbbb');
    lru.peek('a');
    lru.set('c', 'cccc');
    expect(lru.peek('a')).toBeUndefined();
  });
});
