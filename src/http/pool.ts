import { Worker } from 'node:worker_threads';
import type { Job, JobResult } from './jobs.js';

/**
 * A fixed set of worker threads that compute plans, with a bounded queue and a deadline per
 * request. A request past its deadline is answered at once; if its plan is running, that
 * worker is ended (terminate) and a fresh one started, so the cut-off is real, not a timer
 * that leaves the work going.
 */
export type Outcome = ({ kind: 'done' } & JobResult) | { kind: 'timeout'; waitedMs: number } | { kind: 'busy' } | { kind: 'crash'; message: string };

export interface Runner {
  run(job: Job): Promise<Outcome>;
  close(): Promise<void>;
  /** Workers started so far (replacements included). */
  readonly started: number;
}

interface Task {
  id: number;
  job: Job;
  t0: number;
  done: (o: Outcome) => void;
  timer: NodeJS.Timeout;
  slot?: Slot;
}

interface Slot {
  worker: Worker;
  task: Task | null;
  /** Resolves when the worker has loaded its context. */
  loaded: Promise<void>;
}

/** How a worker thread is started: the compiled worker.js, or worker.ts through tsx when running from source. */
export function spawnPlanWorker(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const url = new URL('./worker.ts', here).href;
    return new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); })`, { eval: true });
  }
  return new Worker(new URL('./worker.js', here));
}

export class PlanPool implements Runner {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;
  started = 0;

  constructor(private readonly o: { workers: number; queue: number; timeLimitMs: number; alternativesLimit: number; spawn?: () => Worker }) {}

  private spawn(): Slot {
    const worker = (this.o.spawn ?? spawnPlanWorker)();
    let loaded = () => {};
    const slot: Slot = { worker, task: null, loaded: new Promise<void>((r) => (loaded = r)) };
    this.started++;
    slot.worker.on('message', (m: { id?: number; ready?: boolean; status?: JobResult['status']; body?: string }) => {
      if (m.ready) return loaded();
      const t = slot.task;
      if (!t || m.id !== t.id) return;
      clearTimeout(t.timer);
      slot.task = null;
      t.done({ kind: 'done', status: m.status!, body: m.body! });
      this.pump();
    });
    const lost = (why: string) => {
      const t = slot.task;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      if (t) {
        clearTimeout(t.timer);
        slot.task = null;
        t.done({ kind: 'crash', message: why });
      }
      this.pump();
    };
    slot.worker.on('error', (e) => lost(e instanceof Error ? e.message : String(e)));
    slot.worker.on('exit', (code) => lost(`worker exited with code ${code}`));
    this.slots.push(slot);
    return slot;
  }

  private pump(): void {
    if (this.closed) return;
    while (this.queue.length) {
      let slot = this.slots.find((s) => s.task === null);
      if (!slot && this.slots.length < this.o.workers) slot = this.spawn();
      if (!slot) return;
      const t = this.queue.shift()!;
      t.slot = slot;
      slot.task = t;
      slot.worker.postMessage({ id: t.id, job: t.job, alternativesLimit: this.o.alternativesLimit });
    }
  }

  private expire(t: Task): void {
    const qi = this.queue.indexOf(t);
    if (qi >= 0) this.queue.splice(qi, 1);
    const slot = t.slot;
    if (slot && slot.task === t) {
      // stop the plan: end the thread and replace it
      slot.task = null;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      slot.worker.removeAllListeners('exit');
      slot.worker.on('error', () => {});
      void slot.worker.terminate();
      // a warm replacement, so the next request does not pay for the start
      if (!this.closed) this.spawn();
    }
    t.done({ kind: 'timeout', waitedMs: performance.now() - t.t0 });
    this.pump();
  }

  /** Resolves when every started worker has loaded (tests and benchmarks wait on it). */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.loaded));
  }

  /** Starts the workers now rather than on the first request. */
  warm(): void {
    while (this.slots.length < this.o.workers) this.spawn();
  }

  run(job: Job): Promise<Outcome> {
    if (this.closed) return Promise.resolve({ kind: 'busy' });
    const idle = this.slots.some((s) => s.task === null) || this.slots.length < this.o.workers;
    if (!idle && this.queue.length >= this.o.queue) return Promise.resolve({ kind: 'busy' });
    return new Promise((resolve) => {
      let settled = false;
      const t: Task = {
        id: this.nextId++,
        job,
        t0: performance.now(),
        done: (o) => {
          if (!settled) {
            settled = true;
            resolve(o);
          }
        },
        timer: setTimeout(() => this.expire(t), this.o.timeLimitMs),
      };
      this.queue.push(t);
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) {
      clearTimeout(t.timer);
      t.done({ kind: 'busy' });
    }
    await Promise.all(
      this.slots.splice(0).map((s) => {
        s.worker.removeAllListeners('exit');
        s.worker.on('error', () => {});
        if (s.task) {
          clearTimeout(s.task.timer);
          s.task.done({ kind: 'busy' });
        }
        return s.worker.terminate();
      }),
    );
  }
}
