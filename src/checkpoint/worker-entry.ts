import { runContainerTask, type ContainerTask } from './container-tasks.js';
import { FileCache, runTask, type Task } from './tasks.js';

/** Every task kind a pool runs, and the one dispatcher a worker thread or the main thread uses. */
export type AnyTask = Task | ContainerTask;

export interface Runner {
  files: FileCache | null;
}

export function runAnyTask(runner: Runner, task: AnyTask): unknown {
  runner.files ??= new FileCache();
  switch (task.kind) {
    case 'scan':
    case 'encode':
    case 'copy':
    case 'analyze':
      return runTask(runner.files, task);
    default:
      return runContainerTask(runner.files, task);
  }
}

/** The buffers of typed arrays inside a result, to transfer instead of copy. */
export function transferables(result: unknown): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  if (result && typeof result === 'object')
    for (const v of Object.values(result as Record<string, unknown>))
      if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && !out.includes(v.buffer))
        out.push(v.buffer);
  return out;
}
