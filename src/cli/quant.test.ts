import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../test/ctx.js';
import { writeSafetensors } from '../checkpoint/safetensors.js';
import { f32ToBf16 } from '../quant/dtypes.js';
import { run } from './main.js';

const tmp = (p: string) => mkdtempSync(join(tmpdir(), `sinan-${p}-`));
const bf16 = (n: number) => {
  const b = new Uint8Array(2 * n);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < n; i++) dv.setUint16(2 * i, f32ToBf16(Math.sin(i * 0.7) * 0.05), true);
  return b;
};

async function cli(args: string[], color = false) {
  const c = captureIo();
  const code = await run(args, { ...c.io, color });
  return { code, out: c.out(), err: c.err() };
}

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/**
 * Text with every line break removed and, when Sinan styled it, its own colour codes (SGR)
 * removed: what is left must hold no control character. Uncoloured output is checked whole, so a
 * raw ESC[31m from a name cannot hide among the codes Sinan emits.
 */
// eslint-disable-next-line no-control-regex
const rest = (s: string, color = false) => (color ? s.replace(/\u001b\[[0-9;]*m/g, '') : s).replace(/\n/g, '');

describe('names from a file never reach the terminal raw', () => {
  // a recolouring SGR, an OSC title change ended by BEL, NUL, a C1 CSI, DEL and a right-to-left override
  const hostile = 'model.layers.0.\u001b[31mred\u001b]0;pwned\u0007\u0000\u009b2J\u007f\u202eevil';
  const names = {
    quantized: `${hostile}.mlp.down_proj.weight`,
    kept: `${hostile}.mlp.up_proj.weight`, // 96 inputs: int4's 128-group does not divide it, so it is kept with a note naming it
    other: `${hostile}.norm.weight`,
  };
  function model(): string {
    const dir = tmp('hostile');
    writeSafetensors(
      join(dir, 'model.safetensors'),
      [
        { name: names.quantized, dtype: 'BF16', shape: [64, 128], data: bf16(64 * 128) },
        { name: names.kept, dtype: 'BF16', shape: [64, 96], data: bf16(64 * 96) },
        { name: names.other, dtype: 'BF16', shape: [64], data: bf16(64) },
      ],
      { note: `metadata too: \u001b]0;x\u0007 \u202e` },
    );
    return dir;
  }

  it('inspect, quantize, compress and mixed escape them in text (tables, notes, metadata), with and without colour', async () => {
    const src = model();
    const w = tmp('hostile-out');
    for (const color of [false, true]) {
      const runs = [
        await cli(['inspect', src, '--all'], color),
        await cli(['quantize', src, join(w, `q${color}`), '--format', 'int4', '--workers', '1'], color),
        await cli(['compress', join(src, 'model.safetensors'), join(w, `z${color}.safetensors`), '--workers', '1'], color),
        await cli(['mixed', src, join(w, `m${color}`), '--budget', '40kB', '--workers', '1'], color),
      ];
      for (const r of runs) {
        expect(r.code, r.err).toBe(0);
        expect(UNSAFE.test(rest(r.out + r.err, color)), r.out).toBe(false);
        expect(r.out).toContain('model.layers.0.\\u001b[31mred\\u001b]0;pwned\\u0007\\u0000\\u009b2J\\u007f\\u202eevil');
      }
      // the quantize note names the kept weight; inspect shows the metadata
      expect(runs[1]!.out).toMatch(/note: model\.layers\.0\.\\u001b\[31mred.*\.mlp\.up_proj\.weight: kept in BF16/);
      expect(runs[0]!.out).toContain('metadata too: \\u001b]0;x\\u0007 \\u202e');
      // with colour, Sinan's own styling is still there
      if (color) expect(runs[0]!.out).toContain('\u001b[1m');
    }
  });

  it('--json keeps the names exact: valid JSON that parses back to each name', async () => {
    const src = model();
    const r = await cli(['inspect', src, '--json']);
    expect(r.code).toBe(0);
    const names2 = (JSON.parse(r.out) as { tensors: { name: string }[] }).tensors.map((t) => t.name);
    expect(names2.sort()).toEqual(Object.values(names).sort());
    // JSON.stringify escapes C0 (no raw one but the line breaks of the layout); DEL, C1 and the bidi characters are valid JSON as they are
    // eslint-disable-next-line no-control-regex
    expect(r.out).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it('error messages quoting a name escape it', async () => {
    // a tensor whose offsets do not match its shape: the error quotes its name
    const dir = tmp('hostile-err');
    const header = JSON.stringify({ [`${hostile}.weight`]: { dtype: 'F32', shape: [4], data_offsets: [0, 8] } });
    const h = Buffer.from(header);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(h.length));
    const f = join(dir, 'bad.safetensors');
    writeFileSync(f, Buffer.concat([len, h, Buffer.alloc(8)]));
    const r = await cli(['inspect', f]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('needs 16 bytes but spans 8');
    expect(UNSAFE.test(rest(r.err))).toBe(false);
    expect(r.err).toContain('\\u009b2J\\u007f\\u202eevil');
  });
});

describe('inspect of a quantized checkpoint', () => {
  function model(): string {
    const dir = tmp('inspect-q');
    writeSafetensors(join(dir, 'model.safetensors'), [
      { name: 'layers.0.mlp.down_proj.weight', dtype: 'BF16', shape: [64, 128], data: bf16(64 * 128) },
      { name: 'layers.0.norm.weight', dtype: 'BF16', shape: [128], data: bf16(128) },
    ]);
    return dir;
  }

  it('prints the model parameters, the stored elements and the quantization found', async () => {
    const w = tmp('inspect-q-out');
    expect((await cli(['quantize', model(), join(w, 'q'), '--format', 'int4', '--workers', '1'])).code).toBe(0);
    const r = await cli(['inspect', join(w, 'q')]);
    expect(r.code).toBe(0);
    // qweight [16, 64] + qzeros [1, 8] + scales [1, 64] + g_idx [128] + norm [128] stored
    expect(r.out).toContain('5 tensors, 8,320 parameters, 1,352 stored elements');
    expect(r.out).toContain('quantized: gptq 4-bit (1 layer), written by sinan quantize as int4');
    const j = JSON.parse((await cli(['inspect', join(w, 'q'), '--json'])).out);
    expect(j).toMatchObject({ parameters: 64 * 128 + 128, parametersUnknownBecause: null, quantization: { sinanFormat: 'int4' } });
  });

  it('says when the count cannot be derived (a bitsandbytes file inside a Sinan container), and gives null in JSON', async () => {
    const w = tmp('inspect-q-out');
    expect((await cli(['quantize', model(), join(w, 'q.safetensors'), '--format', 'nf4', '--workers', '1'])).code).toBe(0);
    expect((await cli(['compress', join(w, 'q.safetensors'), join(w, 'q.sinanz'), '--workers', '1'])).code).toBe(0);
    const r = await cli(['inspect', join(w, 'q.sinanz')]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('parameter count unknown');
    expect(r.out).toMatch(/note: the parameter count cannot be derived: a layer's shape is in the values of quant_state/);
    const j = JSON.parse((await cli(['inspect', join(w, 'q.sinanz'), '--json'])).out);
    expect(j.parameters).toBeNull();
    expect(j.parametersUnknownBecause).toMatch(/restore a Sinan container first/);
  });
});

describe('an option the command cannot honour', () => {
  it('is reported against the options, not the input file', async () => {
    const dir = tmp('opt');
    writeSafetensors(join(dir, 'model.safetensors'), [
      { name: 'model.layers.0.mlp.down_proj.weight', dtype: 'BF16', shape: [128, 256], data: bf16(128 * 256) },
    ]);
    writeFileSync(join(dir, 'config.json'), '{"model_type": "llama"}');
    const r = await cli(['quantize', dir, join(tmp('o'), 'q'), '--format', 'fp8-e5m2']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/options \[invalid_value\] FP8 E5M2 weights are not written/);
    expect(r.err).not.toContain(`${dir} is not supported`);
  });
});
