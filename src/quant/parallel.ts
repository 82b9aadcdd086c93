import { existsSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { writeFileAtomic } from '../util/files.js';
import { isQuantizable, quantizeCheckpoint, writeConfig, type QuantizeOptions, type QuantizeReport } from './convert.js';
import { Checkpoint, SafetensorsError } from './safetensors.js';

/**
 * Quantizes with every core: tensors are split into shards of balanced size, each shard is
 * quantized by a worker thread into its own file, and a Hugging Face index
 * (model.safetensors.index.json) ties them together.
 */
export async function quantizeParallel(
  input: string,
  outDir: string,
  o: QuantizeOptions,
  workers = availableParallelism(),
  onProgress?: (done: number, total: number) => void,
): Promise<QuantizeReport> {
  const workerFile = fileURLToPath(new URL('./worker.js', import.meta.url));
  const ck = new Checkpoint(input);
  const tensors = ck.tensors;
  ck.close();
  const quantizable = tensors.filter((t) => isQuantizable(t, o.includeEmbeddings)).length;
  // one worker, or running from TypeScript sources (tests): in-process
  if (workers <= 1 || tensors.length < 2 || !existsSync(workerFile))
    return quantizeCheckpoint(input, outDir.endsWith('.safetensors') ? outDir : join(outDir, 'model.safetensors'), o, onProgress);
  const n = Math.min(workers, tensors.length);
  const shards: string[][] = Array.from({ length: n }, () => []);
  const load = new Array<number>(n).fill(0);
  for (const t of [...tensors].sort((a, b) => b.end - b.begin - (a.end - a.begin))) {
    const k = load.indexOf(Math.min(...load));
    shards[k]!.push(t.name);
    load[k]! += t.end - t.begin;
  }
  mkdirSync(outDir, { recursive: true });
  const names = shards.map((_, i) => `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`);
  const done = new Array<number>(n).fill(0);
  const reports = await Promise.all(
    shards.map(
      (only, i) =>
        new Promise<QuantizeReport>((resolve, reject) => {
          const w = new Worker(workerFile, { workerData: { input, output: join(outDir, names[i]!), options: { ...o, only, writeConfig: false } } });
          w.on('message', (m: { progress?: number; report?: QuantizeReport; error?: string; safetensors?: boolean }) => {
            if (m.progress !== undefined) {
              done[i] = m.progress;
              onProgress?.(
                done.reduce((s, x) => s + x, 0),
                quantizable,
              );
            } else if (m.report) resolve(m.report);
            else reject(m.safetensors ? new SafetensorsError(m.error ?? 'worker failed', input) : new Error(m.error));
          });
          w.on('error', reject);
        }),
    ),
  );
  const weightMap: Record<string, string> = {};
  const { SafetensorsFile } = await import('./safetensors.js');
  let totalSize = 0;
  for (const name of names) {
    const f = new SafetensorsFile(join(outDir, name));
    for (const t of f.tensors) weightMap[t.name] = name;
    totalSize += f.header.fileSize - f.header.dataStart;
    f.close();
  }
  writeFileAtomic(join(outDir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2) + '\n');
  writeConfig(input, outDir, o);
  const all = reports.flatMap((r) => r.tensors);
  return {
    format: o.format,
    input,
    output: join(outDir, 'model.safetensors.index.json'),
    tensors: all,
    bytesIn: reports.reduce((s, r) => s + r.bytesIn, 0),
    bytesOut: reports.reduce((s, r) => s + r.bytesOut, 0),
    quantizedParameters: reports.reduce((s, r) => s + r.quantizedParameters, 0),
    keptParameters: reports.reduce((s, r) => s + r.keptParameters, 0),
  };
}
