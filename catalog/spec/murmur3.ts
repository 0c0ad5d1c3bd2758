/**
 * 32-bit Murmur3, x86 variant, seed 0 — the hash behind Iceberg's `bucket[N]` transform
 * (spec Appendix B). Inputs are the bytes the spec prescribes per type; see `hashValue` in
 * transforms.ts. Pure.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

export function murmur3(bytes: Uint8Array, seed = 0): number {
  let h = seed | 0;
  const n = bytes.byteLength;
  const blocks = n >>> 2;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, n);
  for (let b = 0; b < blocks; b++) {
    let k = dv.getInt32(b * 4, true);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = blocks * 4;
  const rem = n & 3;
  if (rem > 0) {
    let k = 0;
    if (rem === 3) k ^= bytes[tail + 2]! << 16;
    if (rem >= 2) k ^= bytes[tail + 1]! << 8;
    k ^= bytes[tail]!;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}
