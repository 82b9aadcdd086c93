import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setTopLevelMember } from './json-splice.js';

describe('setTopLevelMember', () => {
  it('keeps every other member byte for byte: 0.0 stays 0.0, 1e-06 stays 1e-06', () => {
    const text =
      '{\n  "router_jitter_noise": 0.0,\n  "rope_theta": 1000000.0,\n  "rms_norm_eps": 1e-06,\n  "quantization_config": {"old": 1},\n  "x": [1.50, {"a": "}\\"{"}]\n}\n';
    const out = setTopLevelMember(text, 'quantization_config', { quant_method: 'gptq', bits: 4 });
    expect(out).toContain('"router_jitter_noise": 0.0,');
    expect(out).toContain('"rope_theta": 1000000.0,');
    expect(out).toContain('"rms_norm_eps": 1e-06,');
    expect(out).toContain('"x": [1.50, {"a": "}\\"{"}]');
    expect(JSON.parse(out)).toEqual({
      router_jitter_noise: 0,
      rope_theta: 1e6,
      rms_norm_eps: 1e-6,
      x: [1.5, { a: '}"{' }],
      quantization_config: { quant_method: 'gptq', bits: 4 },
    });
    const removed = setTopLevelMember(text, 'quantization_config', undefined);
    expect(JSON.parse(removed)).toEqual({ router_jitter_noise: 0, rope_theta: 1e6, rms_norm_eps: 1e-6, x: [1.5, { a: '}"{' }] });
    expect(removed).toContain('"rope_theta": 1000000.0,');
  });

  it('sets or removes the member and nothing else, whatever the object and its layout (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }),
        fc.constantFrom(undefined, 0, 2, '\t'),
        fc.string({ maxLength: 6 }),
        fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
        (obj, indent, key, value) => {
          const text = JSON.stringify(obj, null, indent);
          const out = setTopLevelMember(text, key, value);
          const want: Record<string, unknown> = { ...obj };
          delete want[key];
          if (value !== undefined) want[key] = value;
          // JSON.parse(JSON.stringify(v)) is how both sides normalise -0 and similar
          expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(want)));
          // every other member's own text survives
          for (const k of Object.keys(obj)) if (k !== key) expect(out).toContain(JSON.stringify(obj[k], null, indent).split('\n')[0]!);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('removes every definition of a repeated key', () => {
    const out = setTopLevelMember('{"q": 1, "a": 2.0, "q": 3}', 'q', { v: true });
    expect(JSON.parse(out)).toEqual({ a: 2, q: { v: true } });
    expect(out.match(/"q"/g)).toHaveLength(1);
    expect(out).toContain('"a": 2.0');
  });
});
