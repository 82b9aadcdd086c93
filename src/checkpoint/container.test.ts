import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trainedLike } from '../../test/quant-data.js';
import { compressFile, decompressFile } from './container.js';
import { FOOTER_BYTES, MAGIC } from './container-format.js';
import { inspectCheckpoint } from './inspect.js';
import { writeSafetensors } from './safetensors.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'sinan-z-'));

function source(dir: string): string {
  const src = join(dir, 'm.safetensors');
  let s = 7;
  const noise = Uint8Array.from({ length: 20_000 }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24);
  writeSafetensors(
    src,
    [
      { name: 'a.weight', dtype: 'BF16', shape: [1024, 2048], data: trainedLike(1024 * 2048, 0.02, 'bf16') },
      { name: 'b.weight', dtype: 'F16', shape: [1000], data: trainedLike(1000, 1, 'fp16') },
      { name: 'ids', dtype: 'I64', shape: [3], data: new Uint8Array(24).fill(7) },
      { name: 'noise', dtype: 'BF16', shape: [10_000], data: noise },
      { name: 'tiny', dtype: 'BF16', shape: [4], data: trainedLike(4, 0.02, 'bf16') },
      { name: 'empty', dtype: 'BF16', shape: [0, 8], data: new Uint8Array(0) },
    ],
    { format: 'pt' },
  );
  return src;
}

describe('the lossless container', () => {
  it('rebuilds the original file byte for byte, with one worker or several (same container bytes)', async () => {
    const dir = tmp();
    const src = source(dir);
    const r = await compressFile(src, join(dir, 'one.sinanz'), { workers: 1 });
    await compressFile(src, join(dir, 'two.sinanz'), { workers: 2 });
    expect(readFileSync(join(dir, 'one.sinanz')).equals(readFileSync(join(dir, 'two.sinanz')))).toBe(true);
    expect(r.ratio).toBeGreaterThan(1.4);
    const a = r.tensors.find((t) => t.name === 'a.weight')!;
    expect(a.bitsPerWeight).toBeLessThanOrEqual(a.boundBitsPerWeight * 1.01);
    // random bits do not compress: stored raw (16 bits per value, bound reported as 16)
    expect(r.tensors.find((t) => t.name === 'noise')!.bitsPerWeight).toBe(16);
    for (const w of [1, 2]) {
      const back = join(dir, `back${w}.safetensors`);
      const d = await decompressFile(join(dir, 'one.sinanz'), back, { workers: w });
      expect(readFileSync(back).equals(readFileSync(src))).toBe(true);
      // the timing it reports: decoding threads are busy for part of the run, never longer than they exist
      expect(d.threads).toBe(w);
      expect(d.bytes).toBe(readFileSync(src).length);
      expect(d.decodingSeconds).toBeGreaterThan(0);
      expect(d.decodingSeconds).toBeLessThanOrEqual(d.seconds * w);
    }
    const i = inspectCheckpoint(join(dir, 'one.sinanz'));
    expect(i.kind).toBe('sinan-container');
    expect(i.tensors.map((t) => t.name)).toContain('a.weight');
  });

  it('detects a flipped byte anywhere and leaves no output file', async () => {
    const dir = tmp();
    const src = source(dir);
    const z = join(dir, 'm.sinanz');
    await compressFile(src, z, { workers: 1 });
    const good = readFileSync(z);
    const header = 8 + Number(good.readBigUInt64LE(8)) + 8;
    // a byte inside a coded chunk's exponent streams, one in the raw run, one in the original header, one in the index
    for (const [where, at] of [
      ['a coded chunk', header + 1_000_000],
      ['the raw run', good.length - FOOTER_BYTES - 200],
      ['the stored header', 40],
      ['the index', good.length - FOOTER_BYTES - 5],
    ] as const) {
      const bad = Buffer.from(good);
      bad[at] = bad[at]! ^ 0x04;
      const p = join(dir, 'bad.sinanz');
      writeFileSync(p, bad);
      const out = join(dir, `restored-${where.replace(/ /g, '-')}.safetensors`);
      const e = await decompressFile(p, out, { workers: 1 }).catch((x: unknown) => x);
      expect(e, where).toBeInstanceOf(Error);
      expect(await decompressFile(p, out, { workers: 2 }).catch((x: unknown) => (x as Error).message)).toBe((e as Error).message);
      expect((e as Error).message, where).toMatch(/checksum|damaged/);
      expect(existsSync(out)).toBe(false);
    }
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const cut = join(dir, 'cut.sinanz');
    writeFileSync(cut, good.subarray(0, good.length - 100));
    await expect(decompressFile(cut, join(dir, 'x.safetensors'))).rejects.toThrow(/no valid footer|do not fit together/);
  });

  it('a damaged chunk in the middle of a pipelined run stops it with the chunk named, nothing in flight, no output', async () => {
    const dir = tmp();
    const src = join(dir, 'long.safetensors');
    // three 8 MiB chunks of one tensor, and a raw tensor after it
    const n = 3 * 4 * 1024 * 1024;
    writeSafetensors(src, [
      { name: 'big.weight', dtype: 'BF16', shape: [n / 4096, 4096], data: trainedLike(n, 0.02, 'bf16', 3) },
      { name: 'ids', dtype: 'I64', shape: [4], data: new Uint8Array(32).fill(1) },
    ]);
    const z = join(dir, 'long.sinanz');
    await compressFile(src, z, { workers: 1 });
    const good = readFileSync(z);
    for (const w of [1, 2]) {
      const ok = join(dir, `ok${w}.safetensors`);
      let calls = 0;
      await decompressFile(z, ok, { workers: w }, () => calls++);
      expect(readFileSync(ok).equals(readFileSync(src))).toBe(true);
      expect(calls).toBeGreaterThan(0);
      const bad = Buffer.from(good);
      const at = Math.floor(good.length * 0.5); // inside the second chunk
      bad[at] = bad[at]! ^ 0x10;
      const p = join(dir, `bad${w}.sinanz`);
      writeFileSync(p, bad);
      const out = join(dir, `out${w}.safetensors`);
      const e = await decompressFile(p, out, { workers: w }).catch((x: unknown) => x);
      expect((e as Error).message).toMatch(/the chunk of tensor "big.weight" at byte \d+ (does not match its checksum|is damaged)/);
      expect(existsSync(out)).toBe(false);
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps many small tensors raw, with a few dozen bytes of overhead (no per-tensor tables)', async () => {
    const dir = tmp();
    const src = join(dir, 'small.safetensors');
    writeSafetensors(
      src,
      Array.from({ length: 100 }, (_, i) => ({
        name: `layers.${i}.norm.weight`,
        dtype: 'BF16' as const,
        shape: [64],
        data: trainedLike(64, 1, 'bf16', i + 1),
      })),
    );
    const r = await compressFile(src, join(dir, 'small.sinanz'), { workers: 1 });
    const before = statSync(src).size;
    expect(r.bytesOut).toBeLessThanOrEqual(before + MAGIC.length + FOOTER_BYTES + 16);
    expect(r.overheadBytes).toBeLessThan(before - 100 * 128 + 64);
  });

  it('refuses to write over its input, and over an existing output without --force', async () => {
    const dir = tmp();
    const src = source(dir);
    await expect(compressFile(src, src)).rejects.toThrow(/the output is the input/);
    const z = join(dir, 'z.sinanz');
    await compressFile(src, z, { workers: 1 });
    await expect(compressFile(src, z, { workers: 1 })).rejects.toThrow(/already exists; pass --force/);
    await compressFile(src, z, { workers: 1, force: true });
    await expect(decompressFile(z, z)).rejects.toThrow(/the output is the input/);
    await expect(decompressFile(src, join(dir, 'y.safetensors'))).rejects.toThrow(/not a file written by sinan compress/);
    await expect(compressFile(z, join(dir, 'again.sinanz'))).rejects.toThrow(/is a Sinan lossless container .* sinan decompress first/);
  });
});
