import { parentPort } from 'node:worker_threads';
import { taskError } from '../checkpoint/tasks.js';
import { transferables, type AnyTask, type Runner } from '../checkpoint/worker-entry.js';
import { runOptimizeTask } from './dispatch.js';
import type { MeasureTask } from './measure-task.js';

/** Worker thread entry of the measurement pass (the pool starts it by path; nothing imports it). */
const runner: Runner = { files: null };
parentPort!.on('message', (task: MeasureTask | AnyTask) => {
  try {
    const result = runOptimizeTask(runner, task);
    parentPort!.postMessage({ result }, transferables(result));
  } catch (e) {
    parentPort!.postMessage({ error: taskError(e) });
  }
});
