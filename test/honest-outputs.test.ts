// Outputs that cannot be right are not printed; outputs Sinan is unsure of carry a warning
// (issue 9, items 5, 6, 7, 9). Every check goes through the public API, as a user's scenario would.
import { describe, expect, it } from 'vitest';
import { serve, train } from '../src/api.js';
import type { Result } from '../src/core/issues.js';
import { ctx } from './ctx.js';

function ok<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
  return r.value;
}
const codes = (ws: readonly { code: string }[]) => ws.map((w) => w.code);

describe('uncalibrated hardware is priced conservatively and says so', () => {
  const trainOn = (accelerator: string) =>
    ok(
      train({
        kind: 'training',
        model: 'llama-3.1-70b',
        system: { accelerator, count: 64 },
        training: { sequenceLength: 8192, globalBatchSize: 128 },
      }),
    );
  // the lowest GEMM fraction fitted on any calibrated generation: an uncalibrated part may not beat it
  const fitted = Object.values(ctx.calibration.efficiency).filter((p) => p.fitted);
  const floor = Math.min(...fitted.map((p) => p.value.gemmBf16));

  it.each(['amd-mi300x', 'google-tpu-v5p'])('%s: a warning, an unfitted profile, and MFU no higher than the lowest fitted GEMM fraction', (id) => {
    const r = trainOn(id);
    expect(codes(r.warnings)).toContain('uncalibrated_hardware');
    expect(r.profiles.efficiency.fitted).toBe(false);
    expect(r.profiles.efficiency.generation).toMatch(/uncalibrated/);
    // MFU counts attention too, which runs below the GEMM fraction: the MFU is below it
    expect(r.flops.mfu).toBeLessThan(floor);
  });

  it('MI300X is also capped by its own measured GEMM ceiling (catalog measured_efficiency)', () => {
    const ceiling = ctx.calibration.gemmCeilings['amd-mi300x'];
    expect(ceiling).toBeGreaterThan(0);
    const r = trainOn('amd-mi300x');
    expect(r.flops.mfu).toBeLessThan(ceiling!);
    expect(r.profiles.efficiency.source).toMatch(/measured GEMM ceiling/);
  });

  it('a calibrated generation carries no such warning and says what it was fitted to', () => {
    const r = trainOn('nvidia-h100-sxm');
    expect(codes(r.warnings)).not.toContain('uncalibrated_hardware');
    expect(r.profiles.efficiency.fitted).toBe(true);
    expect(r.profiles.efficiency.source).toMatch(/FITTED/);
  });

  it('serving on hardware without serving measurements is flagged too', () => {
    const r = ok(
      serve({
        kind: 'inference',
        model: 'llama-3.1-8b',
        system: { accelerator: 'amd-mi300x', count: 1 },
        workload: { inputTokens: 512, outputTokens: 128, concurrency: 8 },
      }),
    );
    expect(codes(r.warnings)).toContain('uncalibrated_hardware');
    expect(r.profiles.efficiency.fitted).toBe(false);
  });
});

describe("serving with pipeline parallelism obeys Little's law", () => {
  // requests/s x seconds per request = requests in flight, per replica; and those requests' KV fits
  const run = (pipeline: number, concurrency: number) =>
    ok(
      serve({
        kind: 'inference',
        model: 'qwen3-235b-a22b',
        system: { accelerator: 'nvidia-h100-sxm', count: 16 },
        parallelism: { tensor: 8 / pipeline, pipeline },
        quantization: { weights: 'fp8', kvCache: 'fp8' },
        workload: { inputTokens: 2048, outputTokens: 512, concurrency },
      }),
    );

  it.each([
    [1, 32],
    [2, 32],
    [4, 32],
  ])('PP %i, %i in flight per replica', (pp, c) => {
    const r = run(pp, c);
    expect(r.fits).toBe(true);
    const perReplica = r.throughput!.requestsPerSecond / r.system.replicas;
    const inFlight = perReplica * r.latency!.requestSeconds;
    expect(Math.abs(inFlight - c) / c).toBeLessThan(0.05);
    expect(c).toBeLessThanOrEqual(r.memory.maxConcurrency);
    // the KV a device holds is that of every request in flight, for the device's layers and KV heads:
    // each request's cache lives on every stage, not on one
    expect(r.memory.breakdown.kvCache).toBeCloseTo(r.memory.kvBytesPerRequest * c, -3);
    const m = ctx.models.get('qwen3-235b-a22b')!;
    const tp = 8 / pp;
    const perToken = Math.ceil(m.layers / pp) * 2 * Math.ceil(m.attention.kvHeads / tp) * m.attention.headDim; // fp8: 1 byte
    const tokensHeld = r.memory.kvBytesPerRequest / perToken;
    expect(tokensHeld).toBeGreaterThanOrEqual(2048);
    expect(tokensHeld).toBeLessThanOrEqual(2048 + 512);
  });

  it('asking for more in flight than fits is not a plan (no throughput), at any pipeline depth', () => {
    for (const pp of [1, 2, 4]) {
      const max = run(pp, 1).memory.maxConcurrency;
      const r = run(pp, max + 1);
      expect(r.fits).toBe(false);
      expect(r.throughput).toBeNull();
    }
  });
});

describe('overload has no latency; a plan that does not fit has no throughput or cost', () => {
  const base = {
    kind: 'inference',
    model: 'llama-3.1-8b',
    system: { accelerator: 'nvidia-h100-sxm', count: 1 },
    slo: { ttftMs: 2000, tpotMs: 100 },
  };
  it('an offered rate beyond capacity: stable false, null latency, SLO missed, a warning', () => {
    // find the capacity at saturation, then offer 1.5x it
    const sat = ok(serve({ ...base, workload: { inputTokens: 1024, outputTokens: 256 } }));
    const capacity = sat.throughput!.requestsPerSecond;
    const r = ok(serve({ ...base, workload: { inputTokens: 1024, outputTokens: 256, requestRate: 1.5 * capacity } }));
    expect(r.stable).toBe(false);
    expect(r.latency).toBeNull();
    expect(r.slo!.met).toBe(false);
    expect(r.slo!.missBy.join(' ')).toMatch(/unstable/);
    expect(codes(r.warnings)).toContain('unstable_queue');
    // served throughput is what the deployment can do, not what was offered
    expect(r.throughput!.requestsPerSecond).toBeLessThanOrEqual(capacity * 1.0001);
  });

  it('below capacity the queue is stable and has percentiles ordered p50 <= p90 <= p99', () => {
    const sat = ok(serve({ ...base, workload: { inputTokens: 1024, outputTokens: 256 } }));
    const r = ok(serve({ ...base, workload: { inputTokens: 1024, outputTokens: 256, requestRate: 0.5 * sat.throughput!.requestsPerSecond } }));
    expect(r.stable).toBe(true);
    const p = r.latency!.percentiles!;
    expect(p.ttft.p50).toBeLessThanOrEqual(p.ttft.p90);
    expect(p.ttft.p90).toBeLessThanOrEqual(p.ttft.p99);
    expect(p.tpot.p50).toBeLessThanOrEqual(p.tpot.p99);
  });

  it('a billion requests in flight: fits false, null throughput, latency and cost per token', () => {
    const r = ok(serve({ ...base, workload: { inputTokens: 1024, outputTokens: 256, concurrency: 1e9 } }));
    expect(r.fits).toBe(false);
    expect(r.throughput).toBeNull();
    expect(r.latency).toBeNull();
    expect(r.cost === null || r.cost.usdPerMillionOutputTokens === null).toBe(true);
    expect(codes(r.warnings)).toContain('does_not_fit');
    expect(r.slo!.met).toBe(false);
  });
});

describe('memory at the edge: a sourced reserve, reported headroom, a warning under the margin', () => {
  const job = (sequenceLength: number) =>
    ok(
      train({
        kind: 'training',
        model: 'llama-3.1-8b',
        system: { accelerator: 'nvidia-h100-sxm', count: 8 },
        parallelism: { tensor: 1, pipeline: 1, data: 8, zero: 3 },
        training: { sequenceLength, globalBatchSize: 8, microBatchSize: 1, recompute: 'none' },
      }),
    );

  it('the report carries the framework profile reserve with its source, inside the memory it counts', () => {
    const r = job(8192);
    const res = r.memory.reserve;
    expect(res.runtimeBytes).toBeGreaterThan(0.5e9);
    expect(res.source).toMatch(/NCCL|context/);
    expect(r.memory.breakdown.other).toBeCloseTo(res.runtimeBytes + res.fragmentationBytes, -3);
    expect(r.memory.headroomBytes).toBe(r.memory.capacityBytes - r.memory.perDeviceBytes);
  });

  it('scanning sequence lengths: every plan that fits with less than the margin free is warned about, no other', () => {
    let warned = 0;
    let fitting = 0;
    // activations grow with the sequence: the scan walks from roomy through tight to not fitting
    for (let seq = 8192; seq <= 12800; seq += 512) {
      const r = job(seq);
      const tight = r.memory.headroomBytes < r.memory.reserve.warnBelowFraction * r.memory.capacityBytes;
      expect(codes(r.warnings).includes('memory_headroom')).toBe(r.fits && tight);
      // a plan "fits" exactly when something is left after the reserve
      expect(r.fits).toBe(r.memory.headroomBytes >= 0);
      if (r.fits) fitting++;
      if (r.fits && tight) warned++;
    }
    expect(fitting).toBeGreaterThan(0);
    expect(fitting).toBeLessThan(10);
    expect(warned, 'the scan never reaches the margin: the check would be vacuous').toBeGreaterThan(0);
  });

  it('serving reports the engine reserve and the KV pool fraction it sized the cache with', () => {
    const r = ok(
      serve({
        kind: 'inference',
        model: 'llama-3.1-8b',
        system: { accelerator: 'nvidia-h100-sxm', count: 1 },
        workload: { inputTokens: 1024, outputTokens: 256 },
      }),
    );
    expect(r.memory.reserve.kvPoolFraction).toBe(0.9);
    expect(r.memory.reserve.source).toMatch(/vLLM|non-torch/);
    // at saturation the KV pool is 90% of what weights, workspace and runtime leave: 10% stays free
    const free = r.memory.capacityBytes - r.memory.breakdown.weights - r.memory.breakdown.activations - r.memory.breakdown.other;
    expect(r.memory.headroomBytes).toBeGreaterThanOrEqual(0.1 * free - r.memory.kvBytesPerRequest);
  });
});
