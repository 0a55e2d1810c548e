/**
 * 32-bit FNV-1a over UTF-16 code units, then murmur3's finaliser so that ids differing only in
 * their last digit (user-00001, user-00002 …) still land far apart. Pure and the same in every
 * isolate, so what it decides for a user (a flag bucket, when their cached page
 * expires) never depends on where the request ran.
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
