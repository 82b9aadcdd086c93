import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../test/ctx.js';
import { run } from './main.js';

const EXAMPLE = join(import.meta.dirname, '../../examples/llama3.1-70b-optimize-a100.yaml');

function variant(edit: (s: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sinan-opt-'));
  const f = join(dir, 's.yaml');
  writeFileSync(f, edit(readFileSync(EXAMPLE, 'utf8')));
  return f;
}

describe('sinan optimize', () => {
  it('prints the contract object with --json (SCENARIOS.md: kind, baseline, best, four rows, decisions, accuracy, files, serveCommand, warnings)', async () => {
    const c = captureIo();
    expect(await run(['optimize', EXAMPLE, '--json'], c.io)).toBe(0);
    const o = JSON.parse(c.out());
    expect(o.kind).toBe('optimization');
    for (const k of ['baseline', 'best', 'rows', 'decisions', 'accuracy', 'attribution', 'files', 'serveCommand', 'warnings']) expect(o).toHaveProperty(k);
    expect(o.rows).toHaveLength(4);
    for (const r of o.rows) {
      expect(typeof r.label).toBe('string');
      expect(r.plan.kind).toBe('inference');
    }
    expect(o.baseline.kind).toBe('inference');
    expect(o.decisions.weights.length).toBe(80 * 7);
    for (const w of o.decisions.weights) expect(Object.keys(w)).toEqual(expect.arrayContaining(['tensor', 'format']));
    expect(o.decisions.kvCache).toHaveProperty('keys');
    expect(o.decisions.kvCache).toHaveProperty('values');
    expect(Array.isArray(o.decisions.offload)).toBe(true);
    for (const k of ['measure', 'total', 'perTensor']) expect(o.accuracy).toHaveProperty(k);
    expect(o.accuracy.total).toBeLessThanOrEqual(o.goal.accuracy);
    expect(o.files).toEqual([]);
    expect(o.serveCommand).toMatch(/^vllm serve /m);
    expect(o.warnings.map((w: { code: string }) => w.code)).toContain('typical_errors');
  });

  it('prints the four rows, the attribution and the serve command as text; --format gguf serves with llama-server', async () => {
    const c = captureIo();
    expect(await run(['optimize', EXAMPLE, '--format', 'gguf'], c.io)).toBe(0);
    const t = c.out();
    for (const s of [
      'baseline',
      'same hardware, optimized',
      'fewer devices, same throughput',
      'cheaper devices',
      'What each optimization buys',
      'combined',
      'Accuracy',
      'Serve it',
    ])
      expect(t).toContain(s);
    expect(t).toMatch(/^llama-server /m);
  });

  it('names the field of bad input (exit 2, the contract error object)', async () => {
    for (const [edit, path] of [
      [(s: string) => s.replace('objective: throughput', 'objective: fastest'), ['goal', 'objective']],
      [(s: string) => s.replace('accuracy: 0.01', 'accuracy: -1'), ['goal', 'accuracy']],
      [(s: string) => s.replace('kind: inference', 'kind: training'), ['kind']],
    ] as const) {
      const c = captureIo();
      expect(await run(['optimize', variant(edit), '--json'], c.io)).toBe(2);
      const o = JSON.parse(c.out());
      expect(o.error.issues.map((i: { path: string[] }) => i.path)).toContainEqual(path);
    }
    const c = captureIo();
    expect(await run(['optimize', EXAMPLE, '--format', 'onnx', '--json'], c.io)).toBe(2);
    expect(JSON.parse(c.out()).error.issues[0].path).toEqual(['--format']);
    const d = captureIo();
    expect(await run(['optimize', EXAMPLE, '--out', join(tmpdir(), 'never-written'), '--json'], d.io)).toBe(2);
    expect(JSON.parse(d.out()).error.issues[0].path).toEqual(['checkpoint']);
  });
});
