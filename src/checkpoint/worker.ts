import { parentPort } from 'node:worker_threads';
import { taskError } from './tasks.js';
import { runAnyTask, transferables, type AnyTask, type Runner } from './worker-entry.js';

/** Worker thread entry: runs the tasks the pool sends, one at a time, keeping its open files. */
const runner: Runner = { files: null };
parentPort!.on('message', (task: AnyTask) => {
  try {
    const result = runAnyTask(runner, task);
    parentPort!.postMessage({ result }, transferables(result));
  } catch (e) {
    parentPort!.postMessage({ error: taskError(e) });
  }
});
