import { closeSync, ftruncateSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/files.js';
import { weightFormat, type StoredTensor } from '../formats/weights.js';
import { TorchSumF32 } from '../quant/torch-sum.js';
import { weightCodec, type CodecId, type CodecParams, type CodecStats } from '../quant/weight-codecs.js';
import { CheckpointError, ioError, quoted } from './errors.js';
import type { AtomicOutput } from './files.js';
import type { Pool } from './pool.js';
import { INDEX_FILE, layoutHeader, type Checkpoint, type PlannedTensor, type TensorInfo } from './safetensors.js';
import { writeAt, type CopyResult, type CopyTask, type EncodeResult, type EncodeTask, type ScanResult, type ScanTask } from './tasks.js';

/**
 * Writing a checkpoint from per-tensor decisions (keep, or quantize with a codec), shared by
 * `sinan quantize` and `sinan mixed`: the whole-tensor prepass, the size-sharded layout from
 * the registry's exact sizes, preallocated files filled by the pool's workers a bounded unit at a
 * time, the once-per-weight tensors, a byte-coverage check and the index.
 */

/** Values per unit of work: 4 M (8 MB of BF16 read, ~16 MB of float32 in flight). */
export const UNIT_ELEMENTS = 1 << 22;
const COPY_BYTES = 64 * 1024 * 1024;

export interface Quantized {
  kind: 'quantize';
  t: TensorInfo;
  module: string;
  codec: CodecId;
  params: CodecParams;
  stats: CodecStats;
}
export type Decision = Quantized | { kind: 'keep'; t: TensorInfo; note?: string };

export function registryOptions(p: CodecParams, stats: CodecStats) {
  return {
    blocksize: p.blocksize,
    groupSize: p.groupSize,
    sym: p.sym,
    layout: p.layout,
    sourceDtype: p.source,
    ...(stats.nestedOffset !== undefined ? { nestedOffset: stats.nestedOffset } : {}),
  };
}

/** The tensors one decision writes, with their exact sizes (the registry's, for quantized weights). */
export function outputTensors(d: Decision): (PlannedTensor & { bytes: number })[] {
  if (d.kind === 'keep') return [{ name: d.t.name, dtype: d.t.dtype, shape: d.t.shape, bytes: d.t.end - d.t.begin }];
  return weightFormat(d.codec)!
    .tensors(d.params.out, d.params.in, registryOptions(d.params, d.stats))
    .map((s: StoredTensor) => ({ name: `${d.module}.${s.suffix}`, dtype: s.dtype, shape: s.shape, bytes: s.bytes }));
}

export interface OutFile {
  name: string;
  path: string;
  tensors: PlannedTensor[];
  dataStart: number;
  offsets: Map<string, { begin: number; end: number }>;
}

/** Groups tensors into shards of at most `shardBytes` (a larger tensor gets a shard of its own), in order. */
export function shardBySize(sizes: number[], shardBytes: number): number[][] {
  const shards: number[][] = [];
  let cur: number[] = [];
  let bytes = 0;
  sizes.forEach((s, i) => {
    if (cur.length && bytes + s > shardBytes) {
      shards.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(i);
    bytes += s;
  });
  if (cur.length || !shards.length) shards.push(cur);
  return shards;
}

/** Elements per unit: UNIT_ELEMENTS rounded down to the alignment (at least one aligned block). */
export function unitStep(align: number): number {
  return Math.max(align, Math.floor(UNIT_ELEMENTS / align) * align);
}

export function* units(total: number, align: number): Generator<[number, number]> {
  const step = unitStep(align);
  for (let e0 = 0; e0 < total; e0 += step) yield [e0, Math.min(total, e0 + step)];
}

export function sourceOf(ck: Checkpoint, t: TensorInfo, b0: number, len: number) {
  const f = ck.fileOf(t.name)!;
  return { path: f.path, position: f.header.dataStart + t.begin + b0, length: len, tensor: t.name };
}

export function nonFinite(t: TensorInfo, index: number): CheckpointError {
  const cols = t.shape[1] ?? 1;
  return new CheckpointError(
    'non_finite',
    `tensor ${quoted(t.name)} holds a NaN or infinity (first at row ${Math.floor(index / cols)}, column ${index % cols}); quantizing it would write NaN blocks, so nothing was written. Repair the checkpoint first`,
  );
}

/** First pass for the codecs that need whole-tensor statistics. */
export async function prepass(ck: Checkpoint, quantized: Quantized[], pool: Pool, onNonFinite?: (d: Quantized) => void): Promise<void> {
  const need = quantized.filter((d) => weightCodec(d.codec).prepass);
  if (!need.length) return;
  const sums = new Map<Quantized, { sum: TorchSumF32; next: number; parked: Map<number, Float32Array> }>();
  const failed = new Set<Quantized>();
  function* tasks(): Generator<ScanTask & { d: Quantized; e0: number }> {
    for (const d of need) {
      const c = weightCodec(d.codec);
      const bytesPer = d.t.dtype === 'F32' ? 4 : 2;
      if (c.prepass === 'absmax-mean')
        sums.set(d, { sum: new TorchSumF32(Math.ceil((d.params.out * d.params.in) / d.params.blocksize)), next: 0, parked: new Map() });
      else d.stats.amax = 0;
      for (const [e0, e1] of units(d.params.out * d.params.in, c.align(d.params)))
        yield { kind: 'scan', src: sourceOf(ck, d.t, e0 * bytesPer, (e1 - e0) * bytesPer), codec: d.codec, params: d.params, d, e0 };
    }
  }
  await pool.runAll(tasks(), (task, r: ScanResult) => {
    const { d, e0 } = task;
    if (failed.has(d)) return;
    if (r.nonFinite >= 0) {
      if (!onNonFinite) throw nonFinite(d.t, e0 + r.nonFinite);
      failed.add(d);
      sums.delete(d);
      onNonFinite(d);
      return;
    }
    if (r.amax !== undefined) d.stats.amax = Math.max(d.stats.amax!, r.amax);
    else {
      // the mean must add the block scales in order (torch's cascade); park ranges that finish early
      const s = sums.get(d)!;
      s.parked.set(e0, r.absmax!);
      const step = unitStep(weightCodec(d.codec).align(d.params));
      while (s.parked.has(s.next)) {
        s.sum.push(s.parked.get(s.next)!);
        s.parked.delete(s.next);
        s.next += step;
      }
    }
  });
  for (const [d, s] of sums) d.stats.nestedOffset = Math.fround(s.sum.result() / Math.fround(s.sum.n));
}

/** The weight files a set of decisions becomes: which decisions go in each, their tensors and header layout. */
function layoutShards(
  ck: Checkpoint,
  decisions: Decision[],
  single: boolean,
  shardBytes: number,
  metadata: Record<string, string>,
  pathOf: (name: string) => string,
) {
  const planned = decisions.map((d) => outputTensors(d));
  const sizes = planned.map((ts) => ts.reduce((sum, t) => sum + t.bytes, 0));
  const groups = single ? [decisions.map((_, i) => i)] : shardBySize(sizes, shardBytes);
  const meta = { ...ck.metadata(), format: 'pt', quantized_by: 'sinan', ...metadata };
  const shards = groups.map((g, k) => {
    const name = single
      ? ''
      : groups.length === 1
        ? 'model.safetensors'
        : `model-${String(k + 1).padStart(5, '0')}-of-${String(groups.length).padStart(5, '0')}.safetensors`;
    const path = pathOf(name);
    const ts = g.flatMap((i) => planned[i]!);
    return { name, path, ts, layout: layoutHeader(ts, meta, path) };
  });
  return { groups, shards };
}

/** Bytes of the weight files writeWeights would write for these decisions, headers included (exactly). */
export function plannedWeightBytes(ck: Checkpoint, decisions: Decision[], single: boolean, shardBytes: number, metadata: Record<string, string>): number {
  const { shards } = layoutShards(ck, decisions, single, shardBytes, metadata, (name) => name || 'model.safetensors');
  return shards.reduce((s, f) => s + f.layout.prefix.length + f.layout.dataBytes, 0);
}

export async function writeWeights(
  ck: Checkpoint,
  decisions: Decision[],
  out: AtomicOutput,
  single: boolean,
  shardBytes: number,
  pool: Pool,
  metadata: Record<string, string>,
  onProgress?: (done: number, total: number) => void,
): Promise<OutFile[]> {
  const { groups, shards } = layoutShards(ck, decisions, single, shardBytes, metadata, (name) => (single ? out.file() : out.file(name)));
  const files: OutFile[] = shards.map(({ name, path, ts, layout }) => {
    let fd: number;
    try {
      fd = openSync(path, 'w');
      writeAt(fd, layout.prefix, 0, path);
      ftruncateSync(fd, layout.prefix.length + layout.dataBytes);
      closeSync(fd);
    } catch (e) {
      throw e instanceof CheckpointError ? e : ioError(e, path, 'cannot create the output');
    }
    return { name, path, tensors: ts, dataStart: layout.prefix.length, offsets: new Map(layout.offsets.map((x) => [x.name, x])) };
  });
  const fileOf = new Map<number, OutFile>();
  groups.forEach((g, k) => g.forEach((i) => fileOf.set(i, files[k]!)));
  const written = new Map<string, number>();
  const add = (name: string, n: number) => written.set(name, (written.get(name) ?? 0) + n);
  const errors = new Map<Quantized, { e: number; s: number }>();
  const tasksOf = (d: Decision): number =>
    d.kind === 'keep'
      ? Math.ceil((d.t.end - d.t.begin) / COPY_BYTES)
      : Math.ceil((d.params.out * d.params.in) / unitStep(weightCodec(d.codec).align(d.params)));
  const total = decisions.reduce((s, d) => s + tasksOf(d), 0);
  let done = 0;
  function* tasks(): Generator<(EncodeTask | CopyTask) & { d: Decision; e0?: number }> {
    for (let i = 0; i < decisions.length; i++) {
      const d = decisions[i]!;
      const f = fileOf.get(i)!;
      if (d.kind === 'keep') {
        const len = d.t.end - d.t.begin;
        const at = f.dataStart + f.offsets.get(d.t.name)!.begin;
        for (let b0 = 0; b0 < len; b0 += COPY_BYTES)
          yield { kind: 'copy', src: sourceOf(ck, d.t, b0, Math.min(COPY_BYTES, len - b0)), out: f.path, position: at + b0, d };
        continue;
      }
      const c = weightCodec(d.codec);
      const bytesPer = d.t.dtype === 'F32' ? 4 : 2;
      const targets: Record<string, number> = {};
      for (const s of weightFormat(d.codec)!.tensors(d.params.out, d.params.in, registryOptions(d.params, d.stats)))
        targets[s.suffix] = f.dataStart + f.offsets.get(`${d.module}.${s.suffix}`)!.begin;
      errors.set(d, { e: 0, s: 0 });
      for (const [e0, e1] of units(d.params.out * d.params.in, c.align(d.params)))
        yield {
          kind: 'encode',
          src: sourceOf(ck, d.t, e0 * bytesPer, (e1 - e0) * bytesPer),
          e0,
          codec: d.codec,
          params: d.params,
          stats: d.stats,
          out: f.path,
          targets,
          d,
        };
    }
  }
  await pool.runAll(tasks(), (task, r: EncodeResult | CopyResult) => {
    const d = task.d;
    if (task.kind === 'copy') add(d.t.name, (r as CopyResult).written);
    else {
      const q = d as Quantized;
      const er = r as EncodeResult;
      if (er.nonFinite >= 0) throw nonFinite(q.t, task.e0! + er.nonFinite);
      for (const [s, n] of Object.entries(er.written)) add(`${q.module}.${s}`, n);
      const acc = errors.get(q)!;
      acc.e += er.sqErr;
      acc.s += er.sqRef;
    }
    onProgress?.(++done, total);
  });
  // tensors written once per weight, by this thread
  for (let i = 0; i < decisions.length; i++) {
    const d = decisions[i]!;
    if (d.kind !== 'quantize') continue;
    const f = fileOf.get(i)!;
    const fd = openSync(f.path, 'r+');
    try {
      for (const p of weightCodec(d.codec).fixed(d.params, d.stats)) {
        writeAt(fd, p.data, f.dataStart + f.offsets.get(`${d.module}.${p.suffix}`)!.begin + p.offset, f.path);
        add(`${d.module}.${p.suffix}`, p.data.byteLength);
      }
    } finally {
      closeSync(fd);
    }
    const acc = errors.get(d)!;
    (d as Quantized & { error?: { e: number; s: number } }).error = acc;
  }
  // every byte of every tensor was written exactly once
  for (const f of files)
    for (const t of f.tensors) {
      const o = f.offsets.get(t.name)!;
      if ((written.get(t.name) ?? 0) !== o.end - o.begin)
        throw new Error(`internal: tensor ${t.name} got ${written.get(t.name) ?? 0} of ${o.end - o.begin} bytes`);
    }
  if (files.length > 1) {
    const weightMap: Record<string, string> = {};
    let totalSize = 0;
    for (const f of files)
      for (const t of f.tensors) {
        weightMap[t.name] = f.name;
        const o = f.offsets.get(t.name)!;
        totalSize += o.end - o.begin;
      }
    writeFileAtomic(join(out.temp, INDEX_FILE), JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2) + '\n');
  }
  return files;
}
