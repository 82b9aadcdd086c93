import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from '../cli/main.js';
import { f32ToBf16 } from '../quant/dtypes.js';
import { quantizeCheckpoint } from './convert.js';
import { CheckpointError } from './errors.js';
import { writeSafetensors } from './safetensors.js';

const corpus = fileURLToPath(new URL('../../test/fixtures/hostile-files/', import.meta.url));

function capture() {
  let out = '';
  let err = '';
  return { io: { out: (s: string) => (out += s), err: (s: string) => (err += s), readStdin: () => '' }, out: () => out, err: () => err };
}

const cases = readdirSync(corpus).filter((n) => n !== 'README.md' && n !== 'text-file.txt' && n !== 'symlink-loop-b.safetensors');

describe('the hostile-file corpus (test/fixtures/hostile-files)', () => {
  it('has every case the issue lists', () => {
    for (const n of [
      'bom.safetensors',
      'duplicate-metadata.safetensors',
      'shape-float.safetensors',
      'shape-negative-zero.safetensors',
      'header-over-limit.safetensors',
      'symlink-to-text.safetensors',
      'symlink-loop-a.safetensors',
      'index-missing-tensor',
      'shard-is-folder',
      'truncated.safetensors',
    ])
      expect(cases).toContain(n);
  });

  it.each(cases)('%s: inspect and quantize exit 2, name the file, quote nothing of it', async (name) => {
    const path = join(corpus, name);
    const out = join(mkdtempSync(join(tmpdir(), 'sinan-hostile-')), 'q');
    for (const args of [
      ['inspect', path],
      ['quantize', path, out, '--workers', '1'],
      ['compress', path, `${out}.z`, '--workers', '1'],
    ]) {
      if (args[0] === 'compress' && !name.endsWith('.safetensors')) continue;
      const c = capture();
      expect(await run(args, c.io), `${args[0]} ${name}`).toBe(2);
      expect(c.err()).toContain(name);
      expect(c.err()).not.toMatch(/TOP-SECRET|this is a text file/);
      expect(c.err()).not.toMatch(/at .*\.[jt]s:\d+/);
      expect(existsSync(out)).toBe(false);
    }
  });
});

describe('hostile cases git cannot store', () => {
  const bf16 = (n: number) => {
    const b = new Uint8Array(2 * n);
    for (let i = 0; i < n; i++) {
      const v = f32ToBf16(Math.sin(i) * 0.02);
      b[2 * i] = v & 0xff;
      b[2 * i + 1] = v >>> 8;
    }
    return b;
  };

  it.skipIf(process.platform === 'win32')('a FIFO is refused at once (no hang)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sinan-fifo-'));
    const fifo = join(dir, 'pipe.safetensors');
    execFileSync('mkfifo', [fifo]);
    const c = capture();
    const t0 = Date.now();
    expect(await run(['inspect', fifo], c.io)).toBe(2);
    expect(c.err()).toMatch(/FIFO/);
    expect(Date.now() - t0).toBeLessThan(5000);
    // a FIFO as a shard of a folder, too
    const sharded = join(dir, 'ck');
    execFileSync('mkdir', [sharded]);
    execFileSync('mkfifo', [join(sharded, 'model.safetensors')]);
    const d = capture();
    expect(await run(['quantize', sharded, join(dir, 'out'), '--workers', '1'], d.io)).toBe(2);
    expect(d.err()).toMatch(/FIFO/);
  });

  it('a file truncated while it is being read: exit 2 naming it, and no output left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sinan-trunc-'));
    const src = join(dir, 'model.safetensors');
    // several units of work per tensor (4 M values each), so the file can be cut between them
    writeSafetensors(src, [{ name: 'layers.0.mlp.up_proj.weight', dtype: 'BF16', shape: [2048, 4096], data: bf16(2048 * 4096) }]);
    const out = join(dir, 'q');
    let cut = false;
    const err = await quantizeCheckpoint(src, out, { format: 'nf4', workers: 1 }, () => {
      if (!cut) {
        truncateSync(src, 4096);
        cut = true;
      }
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toContain(src);
    expect((err as Error).message).toMatch(/ends at byte .* truncated or replaced during the run/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir)).toEqual(['model.safetensors']);
  });

  it('symlinks to real files keep working (the Hugging Face cache layout)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sinan-hf-'));
    execFileSync('mkdir', ['-p', join(dir, 'blobs'), join(dir, 'snapshots/abc')]);
    writeSafetensors(join(dir, 'blobs/1234'), [{ name: 'layers.0.mlp.up_proj.weight', dtype: 'BF16', shape: [64, 128], data: bf16(64 * 128) }]);
    writeFileSync(join(dir, 'blobs/5678'), JSON.stringify({ model_type: 'llama' }));
    execFileSync('ln', ['-s', '../../blobs/1234', join(dir, 'snapshots/abc/model.safetensors')]);
    execFileSync('ln', ['-s', '../../blobs/5678', join(dir, 'snapshots/abc/config.json')]);
    const c = capture();
    expect(await run(['quantize', join(dir, 'snapshots/abc'), join(dir, 'out'), '--format', 'nf4', '--workers', '1', '--json'], c.io)).toBe(0);
    expect(JSON.parse(c.out()).quantizedParameters).toBe(64 * 128);
    // and an output inside the blob folder is still an output inside an input's real location
    const d = capture();
    expect(await run(['quantize', join(dir, 'snapshots/abc'), join(dir, 'blobs/1234'), '--workers', '1'], d.io)).toBe(2);
    expect(d.err()).toMatch(/is the input/);
  });
});
