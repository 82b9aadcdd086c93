import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { f32ToBf16, type DType } from '../quant/dtypes.js';
import { compressFile } from './container.js';
import { quantizeCheckpoint, type QuantizeOptions } from './convert.js';
import { inspectCheckpoint } from './inspect.js';
import { writeSafetensors, type TensorToWrite } from './safetensors.js';

const tmp = (p: string) => mkdtempSync(join(tmpdir(), `sinan-inspect-${p}-`));
const bf16 = (n: number) => {
  const b = new Uint8Array(2 * n);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < n; i++) dv.setUint16(2 * i, f32ToBf16(Math.sin(i * 0.37) * 0.05), true);
  return b;
};

/** A small Llama-like checkpoint: embeddings, three linear layers of different shapes, a norm, a biased layer and the head. */
function model(): { dir: string; parameters: number } {
  const dir = tmp('model');
  const t: [string, number[]][] = [
    ['model.embed_tokens.weight', [64, 128]],
    ['model.layers.0.self_attn.q_proj.weight', [128, 128]],
    ['model.layers.0.self_attn.q_proj.bias', [128]],
    ['model.layers.0.mlp.up_proj.weight', [256, 128]],
    ['model.layers.0.mlp.down_proj.weight', [128, 256]],
    ['model.layers.0.input_layernorm.weight', [128]],
    ['lm_head.weight', [64, 128]],
  ];
  writeSafetensors(
    join(dir, 'model.safetensors'),
    t.map(([name, shape]) => ({ name, dtype: 'BF16', shape, data: bf16(shape.reduce((a, b) => a * b, 1)) })),
  );
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', hidden_size: 128 }));
  return { dir, parameters: t.reduce((s, [, shape]) => s + shape.reduce((a, b) => a * b, 1), 0) };
}

/** A header-only file: tensors of zeros in the given dtypes and shapes (inspect reads their headers), plus some with given bytes. */
function file(tensors: [string, DType, number[], Uint8Array?][]): string {
  const bits: Partial<Record<DType, number>> = { I32: 32, I64: 64, F16: 16, BF16: 16, F32: 32, U8: 8, I8: 8, F8_E4M3: 8 };
  const p = join(tmp('file'), 'model.safetensors');
  const list: TensorToWrite[] = tensors.map(([name, dtype, shape, data]) => ({
    name,
    dtype,
    shape,
    data: data ?? new Uint8Array((shape.reduce((a, b) => a * b, 1) * bits[dtype]!) / 8),
  }));
  writeSafetensors(p, list);
  return p;
}

/** A UTF-8 text tensor (a bitsandbytes quant_state): its name, U8, [its length], its bytes. */
const text = (name: string, s: string): [string, DType, number[], Uint8Array] => {
  const b = new TextEncoder().encode(s);
  return [name, 'U8', [b.length], b];
};
const i64 = (...v: number[]) => new Uint8Array(BigInt64Array.from(v.map(BigInt)).buffer);

describe('inspect: parameters of a quantized checkpoint', () => {
  const src = model();

  it('an unquantized checkpoint: every element is a parameter, no quantization', () => {
    const r = inspectCheckpoint(src.dir);
    expect(r.parameters).toBe(src.parameters);
    expect(r.storedElements).toBe(src.parameters);
    expect(r.quantization).toBeNull();
    expect(r.parametersUnknownBecause).toBeNull();
  });

  const cases: [Partial<QuantizeOptions>, string, number | null][] = [
    [{ format: 'nf4' }, 'bitsandbytes-nf4', 4],
    [{ format: 'nf4', doubleQuant: true }, 'bitsandbytes-nf4', 4],
    [{ format: 'fp4' }, 'bitsandbytes-fp4', 4],
    [{ format: 'int4' }, 'gptq', 4],
    [{ format: 'int8', sym: false }, 'gptq', 8],
    [{ format: 'int4', layout: 'compressed-tensors' }, 'compressed-tensors-packed', 4],
    [{ format: 'int8', layout: 'compressed-tensors', sym: false }, 'compressed-tensors-packed', 8],
    [{ format: 'fp8' }, 'fp8-scaled', 8],
    [{ format: 'fp8-channel' }, 'fp8-scaled', 8],
    [{ format: 'fp8-block' }, 'fp8-block-scaled', 8],
  ];
  it.each(cases)("sinan quantize %j: the source model's parameter count, the layout and Sinan's format", async (o, layout, bits) => {
    const out = join(tmp('q'), 'q');
    const q = await quantizeCheckpoint(src.dir, out, { format: 'nf4', workers: 1, ...o });
    const r = inspectCheckpoint(out);
    expect(r.parameters).toBe(src.parameters);
    expect(r.storedElements).not.toBe(src.parameters); // what inspect reported as "parameters" before
    expect(r.parametersUnknownBecause).toBeNull();
    expect(r.quantization).toEqual({ sinanFormat: q.format, layouts: [{ layout, bits, layers: 3 }] });
  });

  it('inside a Sinan container the bitsandbytes shapes (tensor values) are not read: null and the reason, never a wrong count', async () => {
    const out = join(tmp('q'), 'q.safetensors');
    await quantizeCheckpoint(src.dir, out, { format: 'nf4', workers: 1 });
    const z = join(tmp('z'), 'q.sinanz');
    await compressFile(out, z, { workers: 1 });
    const r = inspectCheckpoint(z);
    expect(r.kind).toBe('sinan-container');
    expect(r.parameters).toBeNull();
    expect(r.parametersUnknownBecause).toMatch(
      /quant_state ".*_proj\.weight\.quant_state\.bitsandbytes__nf4", which inspect reads only from a safetensors file/,
    );
    expect(r.quantization?.layouts).toEqual([{ layout: 'bitsandbytes-nf4', bits: 4, layers: 3 }]);
    // GPTQ's shapes are in the header: a container of it still counts exactly
    const g = join(tmp('q'), 'g.safetensors');
    await quantizeCheckpoint(src.dir, g, { format: 'int4', workers: 1 });
    const gz = join(tmp('z'), 'g.sinanz');
    await compressFile(g, gz, { workers: 1 });
    expect(inspectCheckpoint(gz).parameters).toBe(src.parameters);
  });
});

describe('inspect: layouts written by other tools, and ones that do not give the count', () => {
  it('AWQ (qweight [in, out*bits/32]) and GPTQ (qweight [in*bits/32, out]) with no Sinan metadata', () => {
    // out 256, in 128, group 128, 4 bits: GPTQ qweight [16, 256], AWQ qweight [128, 32]; qzeros [1, 32]; scales [1, 256]
    const gptq = inspectCheckpoint(
      file([
        ['l.qweight', 'I32', [16, 256]],
        ['l.qzeros', 'I32', [1, 32]],
        ['l.scales', 'F16', [1, 256]],
        ['l.g_idx', 'I32', [128]],
        ['l.bias', 'F16', [256]],
      ]),
    );
    expect(gptq.parameters).toBe(128 * 256 + 256);
    expect(gptq.quantization).toEqual({ sinanFormat: null, layouts: [{ layout: 'gptq', bits: 4, layers: 1 }] });
    const awq = inspectCheckpoint(
      file([
        ['l.qweight', 'I32', [128, 32]],
        ['l.qzeros', 'I32', [1, 32]],
        ['l.scales', 'F16', [1, 256]],
      ]),
    );
    expect(awq.parameters).toBe(128 * 256);
    expect(awq.quantization?.layouts).toEqual([{ layout: 'awq', bits: 4, layers: 1 }]);
  });

  it("MXFP4 as GPT-OSS stores it: 32 FP4 values per 16-byte block, the blocks' E8M0 scales not counted", () => {
    // 4 experts, gate_up [2 x 64, 256]: blocks [4, 128, 8, 16], scales [4, 128, 8]
    const r = inspectCheckpoint(
      file([
        ['model.layers.0.mlp.experts.gate_up_proj_blocks', 'U8', [4, 128, 8, 16]],
        ['model.layers.0.mlp.experts.gate_up_proj_scales', 'U8', [4, 128, 8]],
        ['model.layers.0.mlp.experts.gate_up_proj_bias', 'BF16', [4, 128]],
      ]),
    );
    expect(r.parameters).toBe(4 * 128 * 256 + 4 * 128);
    expect(r.quantization?.layouts).toEqual([{ layout: 'mxfp4', bits: 4, layers: 1 }]);
    const bad = inspectCheckpoint(
      file([
        ['e.w_blocks', 'U8', [4, 8, 15]],
        ['e.w_scales', 'U8', [4, 8]],
      ]),
    );
    expect(bad.parameters).toBeNull();
  });

  it('bitsandbytes LLM.int8 (SCB) and FP8 with activation scales: the weights in their own shape, scales not counted', () => {
    const r = inspectCheckpoint(
      file([
        ['a.weight', 'I8', [32, 64]],
        ['a.SCB', 'F32', [32]],
        ['b.weight', 'F8_E4M3', [16, 64]],
        ['b.weight_scale', 'F32', [1]],
        ['b.input_scale', 'F32', [1]],
        ['norm.weight', 'BF16', [64]],
      ]),
    );
    expect(r.parameters).toBe(32 * 64 + 16 * 64 + 64);
    expect(r.quantization?.layouts).toEqual([
      { layout: 'bitsandbytes-int8', bits: 8, layers: 1 },
      { layout: 'fp8-scaled', bits: 8, layers: 1 },
    ]);
  });

  const unknown: [string, [string, DType, number[], Uint8Array?][], RegExp][] = [
    ['GPTQ without scales or qzeros', [['l.qweight', 'I32', [16, 256]]], /"l\.qweight" \[16, 256\]: its bits and output size need "l\.scales"/],
    [
      'a qweight that is neither GPTQ nor AWQ',
      [
        ['l.qweight', 'I32', [16, 100]],
        ['l.qzeros', 'I32', [1, 32]],
        ['l.scales', 'F16', [1, 256]],
      ],
      /neither GPTQ \[in\*4\/32, 256\] nor AWQ/,
    ],
    [
      'bitsandbytes 4-bit without a quant_state',
      [
        ['l.weight', 'U8', [4096, 1]],
        ['l.weight.absmax', 'F32', [128]],
      ],
      /"l\.weight" is a bitsandbytes 4-bit weight without a quant_state tensor/,
    ],
    [
      'a quant_state whose shape does not fit the packed bytes',
      [
        ['l.weight', 'U8', [4096, 1]],
        ['l.weight.absmax', 'F32', [128]],
        text('l.weight.quant_state.bitsandbytes__nf4', '{"quant_type": "nf4", "shape": [128, 128]}'),
      ],
      /"l\.weight" holds 4096 bytes, not the 8192 its quant_state shape \[128, 128\] packs into/,
    ],
    [
      'a quant_state that is not JSON',
      [['l.weight', 'U8', [4096, 1]], text('l.weight.quant_state.bitsandbytes__nf4', '{"s')],
      /holds no valid JSON with a shape/,
    ],
    ['compressed-tensors packed without weight_shape', [['l.weight_packed', 'I32', [256, 16]]], /has no "l\.weight_shape", which holds its \[out, in\]/],
    [
      'a weight_shape that does not match',
      [
        ['l.weight_packed', 'I32', [256, 16]],
        ['l.weight_shape', 'I64', [2], i64(128, 128)],
      ],
      /"l\.weight_shape" does not hold the \[out, in\] of "l\.weight_packed"/,
    ],
  ];
  it.each(unknown)('%s: parameters null, the reason given', (_, tensors, why) => {
    const r = inspectCheckpoint(file(tensors));
    expect(r.parameters).toBeNull();
    expect(r.parametersUnknownBecause).toMatch(why);
    expect(r.quantization).not.toBeNull();
  });

  it('reads a bitsandbytes quant_state and a weight_shape written by hand (the layouts of bitsandbytes and compressed-tensors)', () => {
    const r = inspectCheckpoint(
      file([
        ['a.weight', 'U8', [4096, 1]],
        ['a.weight.absmax', 'F32', [128]],
        ['a.weight.quant_map', 'F32', [16]],
        text('a.weight.quant_state.bitsandbytes__fp4', '{"quant_type": "fp4", "blocksize": 64, "dtype": "bfloat16", "shape": [64, 128]}'),
        ['b.weight_packed', 'I32', [256, 16]],
        ['b.weight_shape', 'I64', [2], i64(256, 128)],
        ['b.weight_scale', 'BF16', [256, 1]],
      ]),
    );
    expect(r.parameters).toBe(64 * 128 + 256 * 128);
    expect(r.quantization?.layouts).toEqual([
      { layout: 'bitsandbytes-fp4', bits: 4, layers: 1 },
      { layout: 'compressed-tensors-packed', bits: 4, layers: 1 },
    ]);
  });
});
