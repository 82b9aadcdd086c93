import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTextFile, streamFileAtomic, writeFileAtomic } from './files.js';

describe('file helpers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sinan-files-'));
  it('refuses files over the limit without reading them', () => {
    const f = join(dir, 'big.txt');
    writeFileSync(f, 'x'.repeat(2000));
    expect(() => readTextFile(f, 1000)).toThrow(/limit/);
    expect(readTextFile(f, 4000).length).toBe(2000);
  });
  it('writes atomically and leaves no temporary file behind', () => {
    const f = join(dir, 'out.json');
    writeFileAtomic(f, '{"a":1}');
    writeFileAtomic(f, '{"a":2}');
    expect(readFileSync(f, 'utf8')).toBe('{"a":2}');
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
  it('leaves the old file intact when the write fails', () => {
    const f = join(dir, 'keep.json');
    writeFileAtomic(f, 'old');
    expect(() => writeFileAtomic(join(dir, 'missing-folder', 'x.json'), 'new')).toThrow();
    expect(readFileSync(f, 'utf8')).toBe('old');
  });
  it('streams a file atomically, and an error mid-stream keeps the old file and no temporary', () => {
    const f = join(dir, 'stream.bin');
    streamFileAtomic(f, (put) => {
      put(new Uint8Array([1, 2]));
      put(new Uint8Array([3]));
    });
    expect([...readFileSync(f)]).toEqual([1, 2, 3]);
    expect(() =>
      streamFileAtomic(f, (put) => {
        put(new Uint8Array([9, 9, 9, 9]));
        throw new Error('interrupted');
      }),
    ).toThrow('interrupted');
    expect([...readFileSync(f)]).toEqual([1, 2, 3]);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
