import { describe, expect, it } from 'vitest';
import { ctx } from '../../test/ctx.js';
import { IssueError } from '../core/issues.js';
import { parseText } from './load.js';
import { normalizeTraining as nt } from './training.js';
import type { RawScenario } from './load.js';

const normalizeTraining = (r: RawScenario) => nt(r, ctx, null);

function issuesOf(data: Record<string, unknown>) {
  try {
    normalizeTraining({ data, baseDir: '.', source: 'test' });
  } catch (e) {
    if (e instanceof IssueError) return e.issues;
    throw e;
  }
  return [];
}

const base = () => ({
  kind: 'training',
  model: 'llama-3.1-8b',
  system: { accelerator: 'nvidia-h100-sxm', count: 8 },
  training: { sequenceLength: 4096, globalBatchSize: 64 },
});

describe('training scenario validation', () => {
  it('accepts a minimal scenario and leaves the split to the search', () => {
    const n = normalizeTraining({ data: base(), baseDir: '.', source: 'test' });
    expect(n.job.devices).toBe(8);
    expect(n.constraints.tensor).toBeUndefined();
  });

  it('names an unknown accelerator', () => {
    const d = base();
    d.system.accelerator = 'nvidia-h99';
    expect(issuesOf(d)[0]).toMatchObject({ code: 'unknown_id', path: ['system', 'accelerator'] });
  });

  it('names an unknown model', () => {
    const d = { ...base(), model: 'llama-9' };
    expect(issuesOf(d)[0]).toMatchObject({ code: 'unknown_id', path: ['model'] });
  });

  it('names a missing HF key of an inline model', () => {
    const d = { ...base(), model: { hidden_size: 4096, num_attention_heads: 32, vocab_size: 100, intermediate_size: 10 } };
    expect(issuesOf(d)[0]).toMatchObject({ code: 'missing_key', path: ['model', 'num_hidden_layers'] });
  });

  it('rejects zero and negative sizes with the field path', () => {
    const d = base();
    d.training.sequenceLength = 0;
    (d.system as Record<string, unknown>).count = -8;
    const paths = issuesOf(d).map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['training.sequenceLength', 'system.count']));
  });

  it('rejects splits that do not divide the device count or the heads', () => {
    const d = { ...base(), parallelism: { tensor: 3 } };
    const issues = issuesOf(d);
    expect(issues.map((i) => i.path.join('.'))).toContain('parallelism.tensor');
    expect(issues).toContainEqual(expect.objectContaining({ code: 'not_divisible', path: ['parallelism', 'tensor'], divisor: 3, dividend: 8 }));
    expect(issues).toContainEqual(expect.objectContaining({ code: 'not_divisible', path: ['parallelism', 'tensor'], divisor: 3, dividend: 32 }));
  });

  it('rejects FP8 on a part without FP8 units', () => {
    const d = base();
    d.system.accelerator = 'nvidia-a100-80gb-sxm';
    (d.training as Record<string, unknown>).precision = 'fp8';
    expect(issuesOf(d)[0]).toMatchObject({ code: 'unsupported', path: ['training', 'precision'] });
  });

  it('rejects a wrong kind and a missing training section', () => {
    expect(issuesOf({ ...base(), kind: 'serving' })[0]!.path).toEqual(['kind']);
    const { training: _t, ...rest } = base();
    expect(issuesOf(rest)[0]).toMatchObject({ code: 'missing_key', path: ['training'] });
  });
});

describe('scenario text', () => {
  it('reads YAML and JSON', () => {
    expect(parseText('kind: training\nmodel: x\n', 'a')).toEqual({ kind: 'training', model: 'x' });
    expect(parseText('{"kind":"training"}', 'a')).toEqual({ kind: 'training' });
  });
  it('turns malformed YAML into a parse_error issue with a position', () => {
    try {
      parseText('kind: training\nmodel: [unclosed\n', 'bad.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(IssueError);
      expect((e as IssueError).issues[0]!.code).toBe('parse_error');
      expect((e as IssueError).issues[0]!.message).toMatch(/line \d+/);
    }
  });
  it('rejects a scalar document and duplicate keys', () => {
    expect(() => parseText('42', 'a')).toThrow(IssueError);
    expect(() => parseText('a: 1\na: 2\n', 'a')).toThrow(IssueError);
  });
});
