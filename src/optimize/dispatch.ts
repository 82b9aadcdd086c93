import { FileCache } from '../checkpoint/tasks.js';
import { runAnyTask, type AnyTask, type Runner } from '../checkpoint/worker-entry.js';
import { runMeasure, type MeasureTask } from './measure-task.js';

/** The measurement pass's dispatcher, for its worker threads and the calling thread alike: its own task, or the checkpoint engine's. */
export function runOptimizeTask(runner: Runner, task: MeasureTask | AnyTask): unknown {
  if (task.kind === 'optimize-measure') {
    runner.files ??= new FileCache();
    return runMeasure(runner.files, task);
  }
  return runAnyTask(runner, task);
}
