/** FNV-1a over UTF-16 code units, then a murmur-style finaliser: a stable 32-bit hash. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A stable number in [0, 1) for `key` under `seed`: the same key lands on the same side of a split. */
export function unitHash(seed: number, key: string): number {
  return hash32(`${seed}\u0000${key}`) / 4294967296;
}
