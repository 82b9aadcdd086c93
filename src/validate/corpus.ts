import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseCsv } from '../util/csv.js';
import { dataPath } from '../util/data.js';

/** One line of a validation index (training.csv / inference.csv). */
export interface CorpusRow {
  id: string;
  file: string;
  metric: string;
  measured: number;
  source: string;
  notes: string;
}

export function readCorpus(dir: string, kind: 'training' | 'inference'): CorpusRow[] {
  const rows = parseCsv(readFileSync(join(dir, `${kind}.csv`), 'utf8'));
  const head = rows[0] ?? [];
  const col = (name: string) => head.indexOf(name);
  const out: CorpusRow[] = [];
  for (const r of rows.slice(1)) {
    out.push({
      id: r[col('id')] ?? '',
      file: join(dir, r[col('file')] ?? ''),
      metric: r[col('metric')] ?? '',
      measured: Number(r[col('measured_value')]),
      source: r[col('source')] ?? '',
      notes: r[col('notes')] ?? '',
    });
  }
  return out;
}

/**
 * Where the validation corpus lives: an explicit folder, else ../shared/validation beside
 * the checkout (the steering repo's copy), else the copy kept in this repo for CI.
 */
export function corpusDir(explicit?: string): string {
  if (explicit) return resolve(explicit);
  const candidates = [resolve(dataPath(''), '../../shared/validation'), dataPath('validation')];
  for (const c of candidates) if (existsSync(join(c, 'training.csv'))) return c;
  return dataPath('validation');
}

/** A short name for the row's source group. */
export function sourceGroup(row: CorpusRow): string {
  const s = row.source;
  if (s.includes('llm-foundry')) return 'llm-foundry MPT';
  if (s.includes('Megatron-Bridge')) {
    const v = /\((\d\d\.\d\d)(?:\.\d+)? NeMo Container/.exec(s);
    return `Megatron-Bridge ${v ? v[1] : ''}`.trim();
  }
  if (s.includes('NVIDIA/NeMo/')) return 'NeMo 24.07';
  if (s.includes('2e90a342')) return 'Korthikanti 2022';
  if (s.includes('50a4b5f')) return 'Megatron-LM 2021';
  if (s.includes('f2e5db4')) return 'Megatron-LM 2024';
  if (s.includes('perf-overview')) return 'TensorRT-LLM perf-overview (v1.0)';
  if (s.includes('TensorRT-LLM') && s.includes('performance.md')) return 'TensorRT-LLM performance.md (v0.5/v0.6)';
  if (s.includes('TensorRT-LLM')) return 'TensorRT-LLM';
  return s
    .replace(/^https?:\/\/(www\.)?/, '')
    .split('/')
    .slice(0, 2)
    .join('/');
}
