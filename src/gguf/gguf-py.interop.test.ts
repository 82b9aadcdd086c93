/**
 * Interop with gguf-py (llama.cpp's Python GGUF package, `gguf.GGUFReader`) as a second,
 * independent reader: the files Sinan writes parse there with the same metadata (whole
 * arrays, not just their heads), tensor types and shapes, and gguf-py's own numpy dequantizers
 * give the values Sinan's dequantizers give. Skips where the Python environment is absent
 * (/tmp/venv on the development machine, or SINAN_PYTHON).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeLlamaCheckpoint, makeQwen3Checkpoint } from '../../test/gguf-fixtures.js';
import { dequantizeRows } from './codecs.js';
import { llama3RopeFactors } from './hf-model.js';
import type { GgmlType } from './ggml-types.js';
import { convertHfFolderToGguf, type GgufWriteReport } from './write-gguf.js';

const PYTHON = process.env.SINAN_PYTHON ?? '/tmp/venv/bin/python';

function pythonMissing(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} is absent; skipping the gguf-py interop test`;
  try {
    execFileSync(PYTHON, ['-c', 'import gguf, numpy'], { stdio: 'pipe' });
    return null;
  } catch {
    return `${PYTHON} cannot import gguf and numpy; skipping the gguf-py interop test`;
  }
}
const missing = pythonMissing();
if (missing) console.warn(missing);

const READER = `
import json, sys, numpy as np
from gguf import GGUFReader, GGUFValueType
from gguf.quants import dequantize
r = GGUFReader(sys.argv[1])
fields = {}
for k, f in r.fields.items():
    if k.startswith('GGUF.'):
        continue
    t = f.types[0]
    if t == GGUFValueType.ARRAY:
        if f.types[-1] == GGUFValueType.STRING:
            v = [bytes(f.parts[i]).decode('utf-8') for i in f.data]
        else:
            v = [f.parts[i].tolist()[0] for i in f.data]
    elif t == GGUFValueType.STRING:
        v = bytes(f.parts[-1]).decode('utf-8')
    else:
        v = f.parts[-1].tolist()[0]
    fields[k] = {'types': [int(x) for x in f.types], 'value': v}
tensors = []
for i, t in enumerate(r.tensors):
    d = dequantize(t.data, t.tensor_type).astype(np.float32).reshape(-1)
    d.tofile(sys.argv[2] + '/' + str(i) + '.f32')
    tensors.append({'name': t.name, 'type': t.tensor_type.name, 'shape': [int(x) for x in t.shape], 'n': int(t.n_elements), 'offset': int(t.data_offset)})
print(json.dumps({'alignment': r.alignment, 'fields': fields, 'tensors': tensors}))
`;

interface PyRead {
  alignment: number;
  fields: Record<string, { types: number[]; value: unknown }>;
  tensors: { name: string; type: string; shape: number[]; n: number; offset: number }[];
}

describe.skipIf(missing !== null)('gguf-py reads what Sinan writes', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gguf-py-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const read = (path: string, out: string): PyRead => JSON.parse(execFileSync(PYTHON, ['-c', READER, path, out], { maxBuffer: 64 << 20 }).toString()) as PyRead;

  function compareValues(path: string, report: GgufWriteReport, py: PyRead, out: string): void {
    const file = readFileSync(path);
    expect(py.tensors.map((t) => t.name)).toEqual(report.tensors.map((t) => t.name));
    for (const [i, t] of py.tensors.entries()) {
      const rep = report.tensors[i]!;
      expect(t.type, t.name).toBe(rep.type);
      expect(t.shape, t.name).toEqual(rep.ne);
      const raw = readFileSync(join(out, `${i}.f32`));
      const theirs = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      const rows = t.n / rep.ne[0]!;
      const bytes = new Uint8Array(file.buffer, file.byteOffset + t.offset, rep.bytes);
      const ours = dequantizeRows(rep.type as GgmlType, bytes, rows, rep.ne[0]!);
      let worst = 0;
      for (let j = 0; j < ours.length; j++) worst = Math.max(worst, Math.abs(ours[j]! - theirs[j]!) / Math.max(1e-30, Math.abs(ours[j]!)));
      expect(worst, `${t.name}: largest relative difference from gguf-py's dequantizer`).toBeLessThan(1e-6);
    }
  }

  it('Llama-3 style: metadata, vocabulary arrays, tensors and values', () => {
    const fx = makeLlamaCheckpoint(join(dir, 'llama'));
    const path = join(dir, 'llama.gguf');
    const report = convertHfFolderToGguf(fx.folder, path, {
      types: (t) => (t.role === 'attn_v' ? 'Q6_K' : t.role.startsWith('ffn') ? 'Q4_K' : t.role === 'attn_output' ? 'Q5_0' : 'Q8_0'),
    });
    const py = read(path, dir);
    expect(py.alignment).toBe(32);
    const f = (k: string) => py.fields[k]?.value;
    expect(f('general.architecture')).toBe('llama');
    expect(f('llama.block_count')).toBe(2);
    expect(f('llama.attention.head_count_kv')).toBe(2);
    expect(py.fields['llama.rope.freq_base']!.types).toEqual([6]); // float32, as the converter writes it
    expect(py.fields['llama.block_count']!.types).toEqual([4]); // uint32
    const tokens = f('tokenizer.ggml.tokens') as string[];
    const types = f('tokenizer.ggml.token_type') as number[];
    expect(py.fields['tokenizer.ggml.token_type']!.types).toEqual([9, 5]); // array of int32
    expect(tokens.length).toBe(272);
    expect(tokens.slice(256, 266)).toEqual(['Ġt', 'he', 'Ġthe', 'in', 'Ġa', '[PAD261]', '[PAD262]', '[PAD263]', '<|begin_of_text|>', '<|end_of_text|>']);
    expect(types.slice(255, 272)).toEqual([1, 1, 1, 1, 1, 1, 5, 5, 5, 3, 3, 3, 5, 5, 5, 5, 5]);
    expect(f('tokenizer.ggml.merges')).toEqual(['Ġ t', 'h e', 'Ġt he', 'i n', 'Ġ a']);
    expect(f('tokenizer.ggml.add_bos_token')).toBe(true);
    compareValues(path, report, py, dir);
  });

  it('Qwen3 style: qwen3 keys and the Q5_0 fallback tensor', () => {
    const fx = makeQwen3Checkpoint(join(dir, 'qwen3'));
    const path = join(dir, 'qwen3.gguf');
    const report = convertHfFolderToGguf(fx.folder, path, { types: 'Q4_K' });
    const py = read(path, dir);
    expect(py.fields['qwen3.attention.key_length']!.value).toBe(64);
    expect(py.fields['tokenizer.ggml.pre']!.value).toBe('qwen2');
    expect(py.tensors.find((t) => t.name === 'blk.0.ffn_down.weight')!.type).toBe('Q5_0');
    compareValues(path, report, py, dir);
  });

  it('rope_freqs.weight factors equal the converter formula evaluated by torch in float32', () => {
    // LlamaModel.generate_extra_tensors: freqs = 1 / base ** (arange(0, dim, 2, float32) / dim), then the
    // llama3 wavelength bands; written here from that formula
    const cases = [
      [500000, 128, 8, 1, 4, 8192],
      [500000, 64, 8, 1, 4, 8192],
      [10000, 96, 32, 1, 4, 4096],
      [10000, 128, 4, 1, 2, 2048],
      [500000, 64, 16, 2, 8, 16384],
    ];
    const script = `
import json, math, sys, torch
res = []
for base, dim, factor, low, high, old in json.loads(sys.argv[1]):
    freqs = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    out = []
    for f in freqs:
        wl = 2 * math.pi / f
        if wl < old / high: out.append(1)
        elif wl > old / low: out.append(factor)
        else:
            s = (old / wl - low) / (high - low)
            out.append(1 / ((1 - s) / factor + s))
    res.append([float(v) for v in torch.tensor(out, dtype=torch.float32)])
print(json.dumps(res))
`;
    let torchValues: number[][];
    try {
      torchValues = JSON.parse(execFileSync(PYTHON, ['-c', script, JSON.stringify(cases)], { stdio: ['ignore', 'pipe', 'pipe'] }).toString()) as number[][];
    } catch {
      return console.warn('torch is not importable here; skipping the rope_freqs comparison');
    }
    cases.forEach((c, i) => {
      const [base, dim, factor, low, high, old] = c as [number, number, number, number, number, number];
      expect(Array.from(llama3RopeFactors(base, dim, factor, low, high, old)), c.join(',')).toEqual(torchValues[i]);
    });
  });
});
