import { losslessKernel } from './wasm-lossless.js';

/**
 * XXH64 (Yann Collet's xxHash, 64-bit, seed 0): the lossless container's checksum. The
 * WebAssembly kernel computes it at memory speed; this BigInt version is the reference the tests
 * hold the kernel to, and the fallback where WebAssembly is missing.
 */

const M = (1n << 64n) - 1n;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;
const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & M;
const round = (acc: bigint, x: bigint) => (rotl((acc + x * P2) & M, 31n) * P1) & M;

export function xxh64Js(b: Uint8Array): bigint {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = b.length;
  let p = 0;
  let h: bigint;
  if (n >= 32) {
    let v1 = (P1 + P2) & M;
    let v2 = P2;
    let v3 = 0n;
    let v4 = (M + 1n - P1) & M;
    for (; p + 32 <= n; p += 32) {
      v1 = round(v1, dv.getBigUint64(p, true));
      v2 = round(v2, dv.getBigUint64(p + 8, true));
      v3 = round(v3, dv.getBigUint64(p + 16, true));
      v4 = round(v4, dv.getBigUint64(p + 24, true));
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & M;
    for (const v of [v1, v2, v3, v4]) h = ((((h ^ round(0n, v)) * P1) & M) + P4) & M;
  } else h = P5;
  h = (h + BigInt(n)) & M;
  for (; p + 8 <= n; p += 8) h = (((rotl(h ^ round(0n, dv.getBigUint64(p, true)), 27n) * P1) & M) + P4) & M;
  if (p + 4 <= n) {
    h = (((rotl(h ^ ((BigInt(dv.getUint32(p, true)) * P1) & M), 23n) * P2) & M) + P3) & M;
    p += 4;
  }
  for (; p < n; p++) h = (rotl(h ^ ((BigInt(b[p]!) * P5) & M), 11n) * P1) & M;
  h = ((h ^ (h >> 33n)) * P2) & M;
  h = ((h ^ (h >> 29n)) * P3) & M;
  return h ^ (h >> 32n);
}

/** XXH64 of bytes, through the WebAssembly kernel where it runs. */
export function xxh64(b: Uint8Array): bigint {
  const k = losslessKernel();
  return k ? k.xxh64(b) : xxh64Js(b);
}
