// One format registry (issue 8, item 2): the serving planner's weight memory for a checkpoint is the
// size of that checkpoint as `sinan quantize` writes it, within 1%, format by format.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serve } from '../src/api.js';
import { quantizeCheckpoint } from '../src/checkpoint/convert.js';
import { Checkpoint } from '../src/checkpoint/safetensors.js';
import { nodeFiles } from '../src/context/node-files.js';
import { makeLlamaCheckpoint } from './gguf-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'sinan-registry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const src = join(dir, 'model');
makeLlamaCheckpoint(src);

const tensorBytes = (path: string) => {
  const c = new Checkpoint(path);
  try {
    return c.tensors.reduce((s, t) => s + (t.end - t.begin), 0);
  } finally {
    c.close();
  }
};

describe('planner weight memory = bytes sinan quantize writes', () => {
  it.each([
    ['bf16', null],
    ['nf4', 'nf4'],
    ['nf4-dq', 'nf4-dq'],
    ['int4', 'int4'],
    ['int8', 'int8'],
    ['fp8-channel', 'fp8-channel'],
  ] as const)('%s', async (weights, format) => {
    let written: number;
    if (format === null) written = tensorBytes(src);
    else {
      const out = join(dir, `q-${weights}`);
      const [f, dq] = format === 'nf4-dq' ? ['nf4', true] : [format, false];
      await quantizeCheckpoint(src, out, { format: f as never, doubleQuant: dq, workers: 1 });
      written = tensorBytes(out);
    }
    const r = serve(
      {
        kind: 'inference',
        model: join(src, 'config.json'),
        system: { accelerator: 'nvidia-h100-sxm', count: 1 },
        quantization: { weights },
        workload: { inputTokens: 64, outputTokens: 16, concurrency: 1 },
      },
      { files: nodeFiles },
    );
    if (!r.ok) throw new Error(r.issues.map((i) => i.message).join('; '));
    expect(Math.abs(r.value.memory.weightBytesTotal / written - 1)).toBeLessThan(0.01);
  });
});
