import { parentPort } from 'node:worker_threads';
import { taskError } from './tasks.js';
import { runAnyTask, transferables, type AnyTask, type Runner } from './worker-entry.js';

/** Worker thread entry: runs the tasks the pool sends, one at a time, keeping its open files. */
const runner: Runner = { files: null };
parentPort!.on('message', (task: AnyTask) => {
  // a task may finish later (a pipelined batch): its result, or its error, is posted when it settles
  let pending: unknown;
  try {
    pending = runAnyTask(runner, task);
  } catch (e) {
    parentPort!.postMessage({ error: taskError(e) });
    return;
  }
  Promise.resolve(pending).then(
    (result) => parentPort!.postMessage({ result }, transferables(result)),
    (e: unknown) => parentPort!.postMessage({ error: taskError(e) }),
  );
});
