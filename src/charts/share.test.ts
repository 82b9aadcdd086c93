import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeScenario, encodeScenario } from './share.js';

describe('scenario share links', () => {
  it('round-trip any JSON exactly, in URL-safe characters', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (v) => {
        const s = await encodeScenario(v);
        expect(s).toMatch(/^z[A-Za-z0-9_-]*$/);
        expect(await decodeScenario(s)).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 100 },
    );
  });
  it('keep a scenario short enough for a URL, and shrink repetitive ones', async () => {
    const sc = {
      kind: 'training',
      model: 'llama-3.1-405b',
      system: { accelerator: 'nvidia-h100-sxm', count: 16384, perNode: 8 },
      training: { sequenceLength: 8192, globalBatchSize: 2048, precision: 'bf16', tokens: 15.6e12 },
    };
    expect((await encodeScenario(sc)).length).toBeLessThan(300);
    const inline = { ...sc, model: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`num_hidden_layers_${i}`, 126])) };
    expect((await encodeScenario(inline)).length).toBeLessThan(JSON.stringify(inline).length / 2);
  });
  it('refuse damaged links and decompression bombs with a reason', async () => {
    await expect(decodeScenario('x123')).rejects.toThrow(/unknown format/);
    await expect(decodeScenario('z!!!')).rejects.toThrow(/damaged/);
    await expect(decodeScenario('zAAAA')).rejects.toThrow(/damaged/);
    const bomb = await encodeScenario({ pad: 'a'.repeat(5_000_000) });
    expect(bomb.length).toBeLessThan(20_000);
    await expect(decodeScenario(bomb)).rejects.toThrow(/expands past/);
  });
});
