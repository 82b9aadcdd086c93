/**
 * One conformance suite for every ggml codec: byte identity with ggml's own reference
 * quantizers (the gguf-check binary, skipped with a message where it is absent), the same on a
 * pinned vector stored from ggml (no binary needed), and quantize -> dequantize error within the
 * type's bound.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ggmlQuantize, ggufCheckMissing } from '../../test/gguf-check.js';
import { DATA_KINDS, type DataKind, testRows } from '../../test/gguf-data.js';
import { createCodec, dequantizeRows, quantizeRows } from './codecs.js';
import { GGML_TYPE_INFO, GGML_TYPES, rowBytes, type GgmlType } from './ggml-types.js';
import pinned from './fixtures/ggml-pinned.json' with { type: 'json' };
import { errorBound } from '../../test/gguf-bounds.js';

const missing = ggufCheckMissing();
if (missing) console.warn(missing);

function firstDiff(a: Uint8Array, b: Uint8Array): string {
  if (a.length !== b.length) return `lengths ${a.length} vs ${b.length}`;
  let n = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++)
    if (a[i] !== b[i]) {
      n++;
      if (first < 0) first = i;
    }
  return n ? `${n} bytes differ, first at ${first}` : 'identical';
}

const ROWS = 8;
const COLS = 1024;

describe.each(GGML_TYPES.map((t) => [t]))('%s', (type: GgmlType) => {
  const info = GGML_TYPE_INFO[type];

  it.skipIf(missing !== null)(
    `is byte-identical to ggml on ${Object.keys(DATA_KINDS).length} kinds of data x 2 seeds x ${ROWS} rows (JavaScript and WebAssembly kernels)`,
    () => {
      // every kind and seed stacked into one matrix: one call of the checker per type
      const cases = (Object.keys(DATA_KINDS) as DataKind[]).flatMap((kind) => [1, 2].map((seed) => ({ kind, seed })));
      const x = new Float32Array(cases.length * ROWS * COLS);
      cases.forEach((c, i) => x.set(testRows(c.kind, ROWS, COLS, c.seed), i * ROWS * COLS));
      const rows = cases.length * ROWS;
      const ref = ggmlQuantize(info.ggmlName, x, rows, COLS);
      const rb = rowBytes(type, COLS);
      for (const k of ['js', 'auto'] as const) {
        const mine = quantizeRows(type, x, rows, COLS, createCodec(type, k));
        for (const [i, c] of cases.entries()) {
          const span = [i * ROWS * rb, (i + 1) * ROWS * rb] as const;
          expect(firstDiff(mine.subarray(...span), ref.subarray(...span)), `${c.kind}, seed ${c.seed}, ${k} kernels`).toBe('identical');
        }
      }
    },
  );

  it.skipIf(missing !== null)('is byte-identical to ggml on one-block rows', () => {
    const n = info.blockSize === 1 ? 32 : info.blockSize;
    for (const kind of ['gaussian', 'outliers', 'sparse'] as DataKind[]) {
      const x = testRows(kind, 64, n, 5);
      expect(firstDiff(quantizeRows(type, x, 64, n), ggmlQuantize(info.ggmlName, x, 64, n)), kind).toBe('identical');
    }
  });

  it('reproduces the pinned ggml bytes (stored from the reference quantizer), with both kernels', () => {
    const b = Buffer.from(pinned.input, 'base64');
    const x = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    const expected = new Uint8Array(Buffer.from((pinned.ggml as Record<string, string>)[type]!, 'hex'));
    expect(expected.length).toBe(rowBytes(type, pinned.cols) * pinned.rows);
    for (const k of ['js', 'auto'] as const)
      expect(firstDiff(quantizeRows(type, x, pinned.rows, pinned.cols, createCodec(type, k)), expected), k).toBe('identical');
  });

  it('gives the same bytes with the JavaScript and the WebAssembly kernels on arbitrary float32 rows', () => {
    const n = info.blockSize === 1 ? 64 : 2 * info.blockSize;
    const js = createCodec(type, 'js');
    const wasm = createCodec(type, 'auto');
    const a = new Uint8Array(rowBytes(type, n));
    const b = new Uint8Array(rowBytes(type, n));
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true }), { minLength: n, maxLength: n }), (vals) => {
        const x = Float32Array.from(vals);
        js.quantize(x, 0, n, a, 0);
        wasm.quantize(x, 0, n, b, 0);
        return firstDiff(a, b) === 'identical';
      }),
      { numRuns: 100 },
    );
  });

  it('dequantize(quantize(x)) stays within the type bound', () => {
    const n = info.blockSize === 1 ? 64 : 2 * info.blockSize;
    const codec = createCodec(type);
    const q = new Uint8Array(rowBytes(type, n));
    const y = new Float32Array(n);
    const scale = fc.constantFrom(1e-6, 1e-3, 0.02, 1, 30, 1000);
    fc.assert(
      fc.property(fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: n, maxLength: n }), scale, (vals, s) => {
        const x = Float32Array.from(vals, (v) => v * s);
        codec.quantize(x, 0, n, q, 0);
        codec.dequantize(q, 0, n, y, 0);
        const bound = errorBound(type, x, q);
        for (let i = 0; i < n; i++) {
          const err = Math.abs(x[i]! - y[i]!);
          if (!(err <= bound[i]!)) throw new Error(`value ${i}: |${x[i]} - ${y[i]}| = ${err} > bound ${bound[i]}`);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips rows of every data kind within the bound (finite, fp16-representable scales)', () => {
    for (const kind of ['gaussian', 'heavyTailed', 'uniform', 'positive', 'sparse', 'outliers', 'tiny', 'smallIntegers'] as DataKind[]) {
      const x = testRows(kind, ROWS, 256, 9);
      const q = quantizeRows(type, x, ROWS, 256);
      const y = dequantizeRows(type, q, ROWS, 256);
      const rb = rowBytes(type, 256);
      for (let r = 0; r < ROWS; r++) {
        const xr = x.subarray(r * 256, (r + 1) * 256);
        const bound = errorBound(type, xr, q.subarray(r * rb, (r + 1) * rb));
        for (let i = 0; i < 256; i++) {
          const err = Math.abs(xr[i]! - y[r * 256 + i]!);
          if (!(err <= bound[i]!)) throw new Error(`${kind} row ${r} value ${i}: error ${err} > bound ${bound[i]}`);
        }
      }
    }
  });
});
