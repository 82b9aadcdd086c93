import { parentPort, workerData } from 'node:worker_threads';
import { quantizeCheckpoint, type QuantizeOptions } from './convert.js';

/** Worker entry: quantizes one shard of tensors and reports back. */
const { input, output, options } = workerData as { input: string; output: string; options: QuantizeOptions };
try {
  const report = quantizeCheckpoint(input, output, options, (done) => parentPort!.postMessage({ progress: done }));
  parentPort!.postMessage({ report });
} catch (e) {
  parentPort!.postMessage({ error: (e as Error).message, safetensors: (e as Error).name === 'SafetensorsError' });
}
