import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AtomicOutput, singleFileOutput } from './files.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'sinan-files-'));

describe('AtomicOutput', () => {
  it('replaces a folder with --force only when it holds nothing this output would not write', () => {
    const dir = tmp();
    const target = join(dir, 'q');
    mkdirSync(target);
    for (const f of ['model.safetensors', 'model.safetensors.index.json', 'config.json', 'tokenizer.json', 'generation_config.json'])
      writeFileSync(join(target, f), '{}');
    const out = new AtomicOutput(target, 'folder', true);
    out.abort();
    // user files Sinan does not write: refused, named, and left alone
    for (const f of ['notes.txt', 'README', 'notes.md', 'important.json', 'run.py']) {
      writeFileSync(join(target, f), 'mine');
      expect(() => new AtomicOutput(target, 'folder', true)).toThrow(
        new RegExp(`holds a file this output does not \\("${f.replace('.', '\\.')}"\\), which --force would delete`),
      );
      // unless this run writes that name too (a companion file it copies from its input)
      new AtomicOutput(target, 'folder', true, new Set([f])).abort();
      expect(existsSync(join(target, f))).toBe(true);
      rmSync(join(target, f));
    }
  });

  it('removes temporaries a killed run left for the same target, and only those', () => {
    const dir = tmp();
    const target = join(dir, 'out.safetensors');
    // a process that has exited (its pid is free) and this test's parent (alive)
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const stale = join(dir, `.out.safetensors.sinan-${dead}-abc123.tmp`);
    const staleOld = join(dir, `.out.safetensors.sinan-${dead}-abc124.tmp.old`);
    const live = join(dir, `.out.safetensors.sinan-${process.ppid}-abc125.tmp`);
    const other = join(dir, `.other.safetensors.sinan-${dead}-abc126.tmp`);
    const unrelated = join(dir, '.out.safetensors.backup');
    for (const p of [stale, staleOld, live, other, unrelated]) writeFileSync(p, 'x');
    writeFileSync(target, 'current'); // in place, so the .old copy is not needed back
    const out = new AtomicOutput(target, 'file', true);
    out.abort();
    const left = readdirSync(dir).sort();
    expect(left).toEqual(
      [
        '.other.safetensors.sinan-' + dead + '-abc126.tmp',
        '.out.safetensors.backup',
        `.out.safetensors.sinan-${process.ppid}-abc125.tmp`,
        'out.safetensors',
      ].sort(),
    );
  });
});

describe('singleFileOutput', () => {
  it('one file for .safetensors, a folder otherwise, and an error for a name like another file format', () => {
    expect(singleFileOutput('/x/model.safetensors')).toBe(true);
    expect(singleFileOutput('/x/llama-3.1-8b-nf4')).toBe(false);
    expect(singleFileOutput('out')).toBe(false);
    for (const n of ['q/out.bin', 'model.gguf', 'w.pt', 'x.safetensor'])
      expect(() => singleFileOutput(n)).toThrow(/is named like a .* file, but this command writes a checkpoint folder/);
  });
});

describe('a run killed between the two renames of commit', () => {
  it('gets the previous output back from its .old copy on the next run for that target', () => {
    const dir = tmp();
    const target = join(dir, 'out.safetensors');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(join(dir, `.out.safetensors.sinan-${dead}-abc1.tmp.old`), 'previous');
    writeFileSync(join(dir, `.out.safetensors.sinan-${dead}-abc1.tmp`), 'new, never moved into place');
    new AtomicOutput(target, 'file', true).abort();
    expect(readFileSync(target, 'utf8')).toBe('previous');
    expect(readdirSync(dir)).toEqual(['out.safetensors']);
  });
});
