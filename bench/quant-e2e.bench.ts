/**
 * The checkpoint engine end to end, through the built CLI (run `npm run build` first), on files it
 * generates (trained-like BF16 weights):
 *
 * 1. speed: `sinan compress` / `decompress` with one worker and with every core, against
 *    `zstd -1` / `zstd -d` and `cp` on the same bytes in the same run (each timed run after a
 *    `sync`, into a new file, runs interleaved, medians of --reps), as wall-clock GB/s and as GB
 *    per CPU-second (user + system time of every thread: the per-core rate); zstd rows are
 *    skipped where zstd is absent;
 * 2. memory (--big): peak resident memory (the process's maxRSS, worker threads included) of
 *    quantize, compress, decompress and mixed on a file holding one 32768 x 32768 BF16 tensor
 *    (2 GiB), with one and two workers: the constant per worker is the difference.
 *
 * Usage: npx tsx bench/quant-e2e.bench.ts [--size-mb 512] [--reps 3] [--big] [--dir /tmp/sinan-bench]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { layoutHeader } from '../src/checkpoint/safetensors.js';
import { f32ToBf16 } from '../src/quant/dtypes.js';

const args = process.argv.slice(2);
const opt = (name: string, d: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : d;
};
const sizeMb = Number(opt('size-mb', '512'));
const reps = Number(opt('reps', '3'));
const dir = opt('dir', '/tmp/sinan-bench');
const big = args.includes('--big');
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
if (!existsSync(cli)) throw new Error('build first: npm run build');
const zstd = ['/usr/bin/zstd', '/usr/local/bin/zstd'].find(existsSync) ?? null;
const cores = availableParallelism();
mkdirSync(dir, { recursive: true });

/** A safetensors file of BF16 N(0, 0.02^2) weights, tensors of [rows, cols], written a band at a time. */
function generate(path: string, tensors: [string, number, number][]): void {
  const bytes = tensors.reduce((s, [, r, c]) => s + 2 * r * c, 0);
  if (existsSync(path) && statSync(path).size > bytes) return;
  const l = layoutHeader(tensors.map(([name, r, c]) => ({ name, dtype: 'BF16', shape: [r, c] })));
  const fd = openSync(path, 'w');
  writeSync(fd, l.prefix);
  let s = 1;
  const band = new Uint16Array(1 << 22);
  for (const [, rows, cols] of tensors) {
    let left = rows * cols;
    while (left > 0) {
      const n = Math.min(band.length, left);
      for (let i = 0; i < n; i += 2) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        const u1 = (s + 0.5) / 4294967296;
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        const u2 = (s + 0.5) / 4294967296;
        const m = Math.sqrt(-2 * Math.log(u1)) * 0.02;
        band[i] = f32ToBf16(m * Math.cos(2 * Math.PI * u2));
        band[i + 1] = f32ToBf16(m * Math.sin(2 * Math.PI * u2));
      }
      writeSync(fd, new Uint8Array(band.buffer, 0, 2 * n));
      left -= n;
    }
  }
  closeSync(fd);
}

/** A wrapper that runs the built CLI and reports its peak RSS (worker threads included) on stderr. */
const wrapper = join(dir, 'rss-run.mjs');
writeFileSync(
  wrapper,
  `const t0 = performance.now();\nconst m = await import(${JSON.stringify('file://' + cli)});\nconst c = await m.run(process.argv.slice(2));\nprocess.stderr.write('\\nRSS ' + process.resourceUsage().maxRSS * 1024 + '\\nIN ' + (performance.now() - t0) / 1000 + '\\n');\nprocess.exit(c);\n`,
);

/**
 * CPU seconds (user + system, every thread) of this process's waited-for children so far, from
 * /proc/self/stat (cutime, cstime; Linux); NaN elsewhere.
 */
const ticks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
function childCpu(): number {
  try {
    const f = readFileSync('/proc/self/stat', 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    // fields 16 and 17 of stat(5), counted from 1 with the pid as field 1 ("state" is field 3 = rest[0])
    return (Number(rest[13]) + Number(rest[14])) / ticks;
  } catch {
    return NaN;
  }
}

interface Timing {
  seconds: number;
  /** CPU seconds the run used on all its threads, user and system */
  cpu: number;
}

/** Runs the built CLI in a child process; returns seconds, CPU seconds and peak RSS (bytes). */
function sinan(cmd: string[]): Timing & { rss: number; inside: number; stdout: string } {
  execFileSync('sync');
  const c0 = childCpu();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [wrapper, ...cmd], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = childCpu() - c0;
  if (r.status !== 0) throw new Error(`sinan ${cmd.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return { seconds, cpu, stdout: r.stdout, rss: Number(/RSS (\d+)/.exec(r.stderr)?.[1] ?? NaN), inside: Number(/IN ([\d.e+-]+)/.exec(r.stderr)?.[1] ?? NaN) };
}

function timed(bin: string, a: string[]): Timing {
  execFileSync('sync');
  const c0 = childCpu();
  const t0 = performance.now();
  execFileSync(bin, a, { stdio: 'ignore' });
  return { seconds: (performance.now() - t0) / 1000, cpu: childCpu() - c0 };
}

const median = (x: number[]) => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)]!;
const gbs = (bytes: number, s: number) => `${(bytes / 1e9 / s).toFixed(2)} GB/s`;

// ---- 1. speed ----
const src = join(dir, `speed-${sizeMb}.safetensors`);
const rows = Math.max(1, Math.round((sizeMb * 1e6) / 2 / 8192));
generate(src, [['model.layers.0.mlp.up_proj.weight', rows, 8192]]);
const bytes = statSync(src).size;
const z = join(dir, 'speed.sinanz');
const back = join(dir, 'speed-back.safetensors');
const zs = join(dir, 'speed.zst');
const runs: Record<string, Timing[]> = {};
/** the same runs timed inside the process: from the first line of the script, so without node's own start-up */
const inside: Record<string, number[]> = {};
const add = (k: string, t: Timing) => (runs[k] ??= []).push(t);
/** decompress --json: seconds its decoding threads were busy (restoring and verifying, I/O waits excluded) */
const decoding: Record<string, number[]> = {};
const addSinan = (k: string, cmd: string[]) => {
  const r = sinan(cmd);
  add(k, r);
  (inside[k] ??= []).push(r.inside);
  if (cmd.includes('--json')) {
    // summed over the threads: bytes / that is the rate of one decoding thread
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { decodingSeconds?: number };
    if (j.decodingSeconds) (decoding[k] ??= []).push(j.decodingSeconds);
  }
};
// every run writes a new file: the previous output is removed before the clock starts (freeing a
// replaced file's pages is the file system's work, and would be charged to whichever tool ran)
const fresh = (p: string) => rmSync(p, { force: true });
for (let r = 0; r < reps; r++) {
  if (zstd) add('zstd -1', (fresh(zs), timed(zstd, ['-q', '-1', '-f', src, '-o', zs])));
  fresh(z);
  addSinan('sinan compress, 1 worker', ['compress', src, z, '--workers', '1']);
  fresh(z);
  addSinan(`sinan compress, ${cores} workers`, ['compress', src, z, '--workers', String(cores)]);
  if (zstd) add('zstd -d', (fresh(back), timed(zstd, ['-q', '-d', '-f', zs, '-o', back])));
  fresh(back);
  addSinan('sinan decompress, 1 thread', ['decompress', z, back, '--workers', '1', '--json']);
  fresh(back);
  addSinan(`sinan decompress, ${cores} threads`, ['decompress', z, back, '--workers', String(cores), '--json']);
  add('cp', (fresh(back), timed('cp', [src, back])));
}
console.log(
  `speed: ${(bytes / 1e6).toFixed(0)} MB of BF16, ${cores} cores, medians of ${reps} (GB/s of the original file, wall clock, node's start included; ` +
    `"per CPU-s": GB per CPU-second, user + system on every thread, the per-core rate; in brackets: timed inside the process)`,
);
const med = (k: string, f: (t: Timing) => number) => (runs[k] ? median(runs[k].map(f)) : NaN);
const perCpu = (t: Timing) => bytes / 1e9 / t.cpu;
const ref = (k: string) => (k.includes('decompress') ? 'zstd -d' : k.includes('compress') ? 'zstd -1' : null);
for (const k of Object.keys(runs)) {
  const m = med(k, (t) => t.seconds);
  const c = med(k, perCpu);
  const r = ref(k);
  const vs = r && runs[r] ? `  (${(med(r, (t) => t.seconds) / m).toFixed(2)}x zstd's speed, ${(c / med(r, perCpu)).toFixed(2)}x per CPU-s)` : '';
  const busy = decoding[k] ? `; ${gbs(bytes, median(decoding[k]))} per decoding thread, of its busy time` : '';
  const inner = inside[k] ? `  [in process ${median(inside[k]).toFixed(2)} s, ${gbs(bytes, median(inside[k]))}${busy}]` : '';
  const cpu = Number.isFinite(c) ? `, ${c.toFixed(2)} GB per CPU-s` : '';
  console.log(`  ${k.padEnd(34)} ${m.toFixed(2)} s  ${gbs(bytes, m)}${cpu}${vs}${inner}`);
}
console.log(`  ratio: sinan ${(bytes / statSync(z).size).toFixed(3)}x${zstd ? `, zstd -1 ${(bytes / statSync(zs).size).toFixed(3)}x` : ''}`);
for (const p of [z, back, zs]) rmSync(p, { force: true });

// ---- 2. memory on a 2 GiB tensor ----
if (big) {
  const bigSrc = join(dir, 'big-2GiB.safetensors');
  generate(bigSrc, [
    ['model.layers.0.mlp.down_proj.weight', 32768, 32768],
    ['model.layers.0.input_layernorm.weight', 1, 4096],
  ]);
  const gib = statSync(bigSrc).size;
  const out = join(dir, 'big-out');
  console.log(`memory: ${(gib / 2 ** 30).toFixed(2)} GiB file, one 32768 x 32768 BF16 tensor (2 GiB); peak RSS of the whole process`);
  const cases: [string, string[]][] = [
    ['quantize nf4', ['quantize', bigSrc, out, '--format', 'nf4']],
    ['quantize nf4 --double-quant', ['quantize', bigSrc, out, '--format', 'nf4', '--double-quant']],
    ['quantize fp8 (per tensor)', ['quantize', bigSrc, out, '--format', 'fp8']],
    ['quantize int4 (compressed-tensors)', ['quantize', bigSrc, out, '--format', 'int4', '--layout', 'compressed-tensors']],
    ['compress', ['compress', bigSrc, `${out}.sinanz`]],
    ['decompress', ['decompress', `${out}.sinanz`, `${out}.back.safetensors`]],
    ['mixed (keep, fp8-channel, int4)', ['mixed', bigSrc, `${out}-mixed`, '--budget', String(Math.round(gib * 0.4)), '--formats', 'keep,fp8-channel,int4']],
  ];
  for (const [name, cmd] of cases) {
    const res: string[] = [];
    const rss: number[] = [];
    for (const w of [1, 2]) {
      rmSync(out, { recursive: true, force: true });
      rmSync(`${out}-mixed`, { recursive: true, force: true });
      rmSync(`${out}.back.safetensors`, { force: true });
      const r = sinan([...cmd, '--workers', String(w), '--force']);
      rss.push(r.rss);
      res.push(
        `${w} worker${w > 1 ? 's' : ''}: ${(r.rss / 2 ** 20).toFixed(0)} MiB, ${r.seconds.toFixed(1)} s (${gbs(gib, r.seconds)}, ${(gib / 1e9 / r.cpu).toFixed(2)} GB per CPU-s)`,
      );
    }
    console.log(`  ${name.padEnd(36)} ${res.join('; ')}; per extra worker ${((rss[1]! - rss[0]!) / 2 ** 20).toFixed(0)} MiB`);
  }
  for (const p of [out, `${out}-mixed`, `${out}.sinanz`, `${out}.back.safetensors`]) rmSync(p, { recursive: true, force: true });
}
