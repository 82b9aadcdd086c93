/** Shared test fixtures: the built-in context and small helpers over it. */
import { defaultContext } from '../src/context/load.js';
import type { RawScenario } from '../src/scenario/load.js';
import type { TrainJob } from '../src/train/types.js';
import type { ModelSpec } from '../src/model/types.js';
import type { Accelerator } from '../src/hardware/types.js';
import { stackOf } from '../src/train/stack.js';
import type { CpuSocket } from '../src/hardware/cpu.js';

export const ctx = defaultContext();

export function acc(id: string): Accelerator {
  const a = ctx.catalog.accelerators.get(id);
  if (!a) throw new Error(`no accelerator ${id}`);
  return a;
}

export function cpu(id: string): CpuSocket {
  const c = ctx.catalog.cpus.get(id);
  if (!c) throw new Error(`no cpu ${id}`);
  return c;
}

export function model(id: string): ModelSpec {
  const m = ctx.models.get(id);
  if (!m) throw new Error(`no model ${id}`);
  return m;
}

/** A raw scenario object as the loaders take it. */
export function raw(data: Record<string, unknown>): RawScenario {
  return { data, baseDir: '.', source: 'test' };
}

/** A training job with the built-in calibration and default framework profile. */
export function trainJob(m: ModelSpec, accelerator: string, devices: number, seq: number, gbs: number, o: Partial<TrainJob> = {}): TrainJob {
  const fw = ctx.profiles.frameworks.get(ctx.profiles.defaultFramework)!;
  return {
    model: m,
    accelerator: acc(accelerator),
    devices,
    perNode: Math.min(8, devices),
    fabric: {},
    sequenceLength: seq,
    globalBatchSize: gbs,
    tokens: null,
    gradientBytes: 2,
    tpCommOverlap: true,
    epCommOverlap: false,
    pricePerHour: 2,
    cal: ctx.calibration,
    kernels: fw.kernels,
    framework: fw.id,
    memoryReserve: fw.memory,
    stack: stackOf(fw),
    ...o,
  };
}

/** An Io for `run()` that keeps what a command prints (stdin as given). */
export function captureIo(stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s), readStdin: () => stdin },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}
