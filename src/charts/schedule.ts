/**
 * The pipeline schedule of one training step as a timeline: 1F1B (PipeDream-Flush, Narayanan
 * et al. 2021) and its interleaved form (Megatron-LM, same paper, section 2.2), simulated op by op
 * from the per-rank order and the send/receive dependencies, so the bubbles come out of the
 * schedule rather than a formula. Pure: numbers in, op list out.
 */
export interface ScheduleOp {
  rank: number;
  kind: 'F' | 'B';
  microBatch: number;
  chunk: number;
  start: number;
  end: number;
}

export interface Schedule {
  ops: ScheduleOp[];
  makespan: number;
  /** Idle share of the ranks' time between the step's start and end. */
  bubbleFraction: number;
  /** False when the order deadlocked (interleaving needs micro-batches in multiples of the stages). */
  complete: boolean;
}

/** The per-rank order of forward/backward chunks (Megatron-LM's interleaved order; v = 1 is plain 1F1B). */
function order(p: number, v: number, m: number, r: number): { kind: 'F' | 'B'; k: number }[] {
  const n = m * v;
  const warm = Math.min(n, v === 1 ? p - r - 1 : (p - r - 1) * 2 + (v - 1) * p);
  const out: { kind: 'F' | 'B'; k: number }[] = [];
  for (let k = 0; k < warm; k++) out.push({ kind: 'F', k });
  for (let i = 0; i < n - warm; i++) {
    out.push({ kind: 'F', k: warm + i });
    out.push({ kind: 'B', k: i });
  }
  for (let k = n - warm; k < n; k++) out.push({ kind: 'B', k });
  return out;
}

function which(kind: 'F' | 'B', k: number, p: number, v: number): { chunk: number; mb: number } {
  const group = Math.floor(k / p);
  const mb = Math.floor(k / (p * v)) * p + (k % p);
  const c = group % v;
  return { chunk: kind === 'F' ? c : v - 1 - c, mb };
}

/** Simulates one step: p stages, v chunks per stage, m micro-batches, forward/backward seconds of one micro-batch on one stage (all its chunks). */
export function pipelineSchedule(p: number, v: number, m: number, forward: number, backward: number): Schedule {
  const tf = forward / v;
  const tb = backward / v;
  const key = (kind: string, c: number, r: number, mb: number) => `${kind}${c}:${r}:${mb}`;
  const done = new Map<string, number>();
  const lists = Array.from({ length: p }, (_, r) => order(p, v, m, r));
  const pos = new Array<number>(p).fill(0);
  const free = new Array<number>(p).fill(0);
  const ops: ScheduleOp[] = [];
  let progress = true;
  while (progress) {
    progress = false;
    for (let r = 0; r < p; r++) {
      const list = lists[r]!;
      while (pos[r]! < list.length) {
        const o = list[pos[r]!]!;
        const { chunk, mb } = which(o.kind, o.k, p, v);
        let dep: string | null;
        if (o.kind === 'F') dep = r > 0 ? key('F', chunk, r - 1, mb) : chunk > 0 ? key('F', chunk - 1, p - 1, mb) : null;
        else dep = r < p - 1 ? key('B', chunk, r + 1, mb) : chunk < v - 1 ? key('B', chunk + 1, 0, mb) : key('F', v - 1, p - 1, mb);
        const ready = dep === null ? 0 : done.get(dep);
        if (ready === undefined) break;
        const start = Math.max(free[r]!, ready);
        const end = start + (o.kind === 'F' ? tf : tb);
        free[r] = end;
        done.set(key(o.kind, chunk, r, mb), end);
        ops.push({ rank: r, kind: o.kind, microBatch: mb, chunk, start, end });
        pos[r]!++;
        progress = true;
      }
    }
  }
  const complete = lists.every((l, r) => pos[r] === l.length);
  const makespan = ops.reduce((x, o) => Math.max(x, o.end), 0);
  const busy = ops.reduce((x, o) => x + (o.end - o.start), 0);
  return { ops, makespan, bubbleFraction: makespan > 0 ? 1 - busy / (p * makespan) : 0, complete };
}
