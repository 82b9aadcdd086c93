/**
 * Regenerates src/gguf/fixtures/ggml-pinned.json: a small float32 input and the bytes ggml's
 * reference quantizers produce for it (via the gguf-check binary), so the unit tests can check
 * byte identity on machines without the binary. Usage: npx tsx test/make-gguf-pinned.ts
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GGML_TYPES, GGML_TYPE_INFO } from '../src/gguf/ggml-types.js';
import { ggmlQuantize, ggufCheckMissing } from './gguf-check.js';
import { testRows } from './gguf-data.js';

const why = ggufCheckMissing();
if (why) throw new Error(why);
const rows = 2;
const cols = 512;
const a = testRows('gaussian', 1, cols, 3);
const b = testRows('heavyTailed', 1, cols, 4);
const x = new Float32Array(rows * cols);
x.set(a, 0);
x.set(b, cols);
x.fill(0, cols, cols + 32); // one all-zero block
const ggml: Record<string, string> = {};
for (const t of GGML_TYPES) ggml[t] = Buffer.from(ggmlQuantize(GGML_TYPE_INFO[t].ggmlName, x, rows, cols)).toString('hex');
const fixture = {
  about: 'ggml reference quantization (gguf-check quant, no importance matrix) of `input` (little-endian float32, base64)',
  checker: 'shared/tools/gguf-check, built from ggml commit d99724f2b141fed9e1a9f402213506c081433465',
  rows,
  cols,
  input: Buffer.from(x.buffer).toString('base64'),
  ggml,
};
writeFileSync(resolve(import.meta.dirname, '../src/gguf/fixtures/ggml-pinned.json'), JSON.stringify(fixture, null, 1) + '\n');
console.log(`wrote ${GGML_TYPES.length} types for ${rows}x${cols} values`);
