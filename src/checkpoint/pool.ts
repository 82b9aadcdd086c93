import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { fromTaskError, type TaskError } from './tasks.js';
import { runAnyTask, type AnyTask, type Runner } from './worker-entry.js';

/**
 * A pool of worker threads running the engine's tasks (tasks.ts, container-tasks.ts). With one
 * worker, or where worker threads cannot start, tasks run on the calling thread through the
 * same code. Tasks and results are plain data; typed arrays in results are transferred.
 */

export function defaultWorkers(): number {
  return availableParallelism();
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** The worker's script: the built worker.js, or (running from sources) worker.ts through tsx; `module`: another worker (its path without extension). */
function workerScript(module?: string): { code: string; eval: boolean } | null {
  const here = fileURLToPath(import.meta.url);
  const base = module ?? join(dirname(here), 'worker');
  const js = `${base}.js`;
  if (existsSync(js) && (module !== undefined || here.endsWith('.js'))) return { code: js, eval: false };
  const ts = `${base}.ts`;
  if (!existsSync(ts)) return null;
  try {
    const req = createRequire(import.meta.url);
    const api = join(dirname(req.resolve('tsx/package.json')), 'dist/esm/api/index.mjs');
    if (!existsSync(api)) return null;
    const boot = `const { register } = await import(${JSON.stringify(pathToFileURL(api).href)}); register(); await import(${JSON.stringify(pathToFileURL(ts).href)});`;
    return { code: boot, eval: true };
  } catch {
    return null;
  }
}

/** A pool that runs more task kinds: the worker module that handles them, and the same dispatcher for the calling thread. */
/** Any task a pool runs: the engine's (AnyTask), or another module's (PoolOptions.worker). */
export type PoolTask = AnyTask | { readonly kind: string };

export interface PoolOptions {
  worker?: { module: string; run: (runner: Runner, task: never) => unknown };
}

export class Pool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { task: PoolTask; p: Pending }[] = [];
  private readonly pending = new Map<Worker, Pending>();
  private readonly local: Runner | null;
  private failure: Error | null = null;
  readonly size: number;

  private readonly dispatch: (runner: Runner, task: PoolTask) => unknown;

  constructor(workers: number, o: PoolOptions = {}) {
    this.dispatch = (o.worker?.run as ((runner: Runner, task: PoolTask) => unknown) | undefined) ?? (runAnyTask as (runner: Runner, task: PoolTask) => unknown);
    const script = workers > 1 ? workerScript(o.worker?.module) : null;
    if (!script) {
      this.local = { files: null };
      this.size = 1;
      return;
    }
    this.local = null;
    this.size = workers;
    for (let k = 0; k < workers; k++) {
      // memory flags carry over to the workers; others (an --eval, loaders) belong to the parent alone
      const execArgv = process.execArgv.filter((a) => /^--(max-old-space-size|max-semi-space-size|stack-size)=/.test(a));
      const w = new Worker(script.code, { eval: script.eval, execArgv });
      w.on('message', (m: { result?: unknown; error?: TaskError }) => {
        const p = this.pending.get(w);
        this.pending.delete(w);
        if (p) {
          if (m.error) p.reject(fromTaskError(m.error));
          else p.resolve(m.result);
        }
        this.next(w);
      });
      w.on('error', (e) => {
        this.failure = e;
        const p = this.pending.get(w);
        this.pending.delete(w);
        p?.reject(e);
        for (const q of this.queue.splice(0)) q.p.reject(e);
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  private next(w: Worker): void {
    const item = this.queue.shift();
    if (!item) {
      this.idle.push(w);
      return;
    }
    this.pending.set(w, item.p);
    w.postMessage(item.task);
  }

  /** Runs one task; resolves with its result. */
  run<R>(task: PoolTask): Promise<R> {
    if (this.local) {
      try {
        return Promise.resolve(this.dispatch(this.local, task) as R);
      } catch (e) {
        return Promise.reject(e as Error);
      }
    }
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<R>((resolve, reject) => {
      const p: Pending = { resolve: resolve as (v: unknown) => void, reject };
      const w = this.idle.pop();
      if (w) {
        this.pending.set(w, p);
        w.postMessage(task);
      } else this.queue.push({ task, p });
    });
  }

  /**
   * Runs tasks from `source` with at most `inFlight` at a time, calling `done` with each
   * result (in completion order). `done` may return a promise: no further result is handed over
   * until it settles (backpressure, e.g. for an asynchronous write). Stops at the first error,
   * which it throws.
   */
  async runAll<T extends PoolTask, R>(
    source: Iterable<T>,
    done: (task: T, result: R) => void | Promise<void>,
    inFlight = Math.max(2, 2 * this.size),
  ): Promise<void> {
    const it = source[Symbol.iterator]();
    // on this thread tasks run one after another anyway: take the next only after the last is done
    if (this.local) inFlight = 1;
    let error: Error | null = null;
    let active = 0;
    let chain: Promise<void> = Promise.resolve();
    await new Promise<void>((resolve) => {
      const pump = () => {
        while (!error && active < inFlight) {
          const n = it.next();
          if (n.done) break;
          active++;
          const task = n.value;
          this.run<R>(task).then(
            (r) => {
              chain = chain.then(async () => {
                if (!error)
                  try {
                    await done(task, r);
                  } catch (e) {
                    error = e as Error;
                  }
                active--;
                pump();
              });
            },
            (e: Error) => {
              error ??= e;
              chain = chain.then(() => {
                active--;
                pump();
              });
            },
          );
        }
        if (active === 0) resolve();
      };
      pump();
    });
    await chain;
    if (error) throw error;
  }

  async close(): Promise<void> {
    if (this.local?.files) this.local.files.closeAll();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
