import { registryOptions } from '../src/checkpoint/writer.js';
import { weightFormat } from '../src/formats/weights.js';
import { fromFloat32 } from '../src/quant/dtypes.js';
import { TorchSumF32 } from '../src/quant/torch-sum.js';
import { weightCodec, type CodecId, type CodecParams, type CodecStats, type Piece } from '../src/quant/weight-codecs.js';

/**
 * Runs a weight codec the way the checkpoint engine does (prepass, ranges, pieces placed at
 * their offsets) but into memory, for tests: the stored tensors by suffix.
 */
export function runCodec(
  codec: CodecId,
  p: CodecParams,
  x: Float32Array,
  rangeElements?: number,
): { tensors: Map<string, Uint8Array>; written: Map<string, number>; stats: CodecStats; sqErr: number; sqRef: number } {
  const c = weightCodec(codec);
  const n = p.out * p.in;
  const align = c.align(p);
  const step = Math.max(align, Math.floor((rangeElements ?? n) / align) * align) || align;
  const stats: CodecStats = {};
  const raw = p.source === 'F32' ? null : fromFloat32(x, p.source);
  if (c.prepass === 'amax') {
    stats.amax = 0;
    for (let e0 = 0; e0 < n; e0 += step) stats.amax = Math.max(stats.amax, c.scan!(x.subarray(e0, Math.min(n, e0 + step)), p) as number);
  } else if (c.prepass === 'absmax-mean') {
    const s = new TorchSumF32(Math.ceil(n / p.blocksize));
    for (let e0 = 0; e0 < n; e0 += step) s.push(c.scan!(x.subarray(e0, Math.min(n, e0 + step)), p) as Float32Array);
    stats.nestedOffset = Math.fround(s.result() / Math.fround(s.n));
  }
  const layout = weightFormat(codec)!.tensors(p.out, p.in, registryOptions(p, stats));
  const tensors = new Map(layout.map((t) => [t.suffix, new Uint8Array(t.bytes)]));
  const written = new Map<string, number>();
  const put = (q: Piece) => {
    const dst = tensors.get(q.suffix);
    if (!dst) throw new Error(`unplanned tensor ${q.suffix}`);
    if (q.rowBytes === undefined) dst.set(q.data, q.offset);
    else for (let k = 0; k < q.data.length / q.rowBytes; k++) dst.set(q.data.subarray(k * q.rowBytes, (k + 1) * q.rowBytes), q.offset + k * q.stride!);
    written.set(q.suffix, (written.get(q.suffix) ?? 0) + q.data.length);
  };
  let sqErr = 0;
  let sqRef = 0;
  for (let e0 = 0; e0 < n; e0 += step) {
    const e1 = Math.min(n, e0 + step);
    const rawPart = raw ? raw.subarray(e0 * 2, e1 * 2) : null;
    const r = c.encode(x.subarray(e0, e1), rawPart, e0, p, stats);
    r.pieces.forEach(put);
    sqErr += r.sqErr;
    sqRef += r.sqRef;
  }
  c.fixed(p, stats).forEach(put);
  return { tensors, written, stats, sqErr, sqRef };
}

export function params(out: number, inF: number, o: Partial<CodecParams> = {}): CodecParams {
  return { out, in: inF, source: 'BF16', blocksize: 64, groupSize: 128, sym: true, layout: 'gptq', ...o };
}
