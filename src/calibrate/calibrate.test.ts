import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ctx, raw } from '../../test/ctx.js';
import { train } from '../api.js';
import { nodeFiles } from '../context/node-files.js';
import { normalizeInference } from '../scenario/inference.js';
import { normalizeTraining } from '../scenario/training.js';
import { corpusDir, readCorpus, sourceGroup } from '../validate/corpus.js';
import { trainingRowProbe } from '../validate/probes.js';
import { frameworkGroups } from '../validate/engines.js';
import { fitConstants } from './fit.js';
import { applyParams, fitParams } from './params.js';
import { inferenceProbe, pick, trainingProbe, type Probe } from './probe.js';
import { calibrateRuns, userFitParams } from './user.js';

// Synthetic measurements: what the planner predicts under known, perturbed constants. A fit from
// the built-in calibration must find those constants again (it can fail: a wrong gradient, a
// parameter that moves the wrong rows, a flat loss).
const trainScenarios = [
  ['llama-3.1-8b', 'nvidia-h100-sxm', 8, 8192, 128],
  ['llama-3.1-70b', 'nvidia-h100-sxm', 64, 8192, 128],
  ['llama-3.1-8b', 'nvidia-h100-sxm', 16, 4096, 256],
  ['qwen3-30b-a3b', 'nvidia-h100-sxm', 16, 4096, 256],
  ['mixtral-8x7b', 'nvidia-h100-sxm', 32, 4096, 256],
  ['llama-3.1-70b', 'nvidia-h100-sxm', 128, 4096, 512],
  ['qwen3-30b-a3b', 'nvidia-h100-sxm', 32, 8192, 128],
  ['llama-3.1-8b', 'nvidia-h100-sxm', 8, 2048, 512],
] as const;

function trainProbes(): Probe[] {
  return trainScenarios.map(([model, acc, count, seq, gbs], i) => {
    const req = normalizeTraining(
      raw({
        kind: 'training',
        model,
        system: { accelerator: acc, count },
        parallelism: { zero: 1 },
        training: { sequenceLength: seq, globalBatchSize: gbs, precision: i % 2 ? 'fp8' : 'bf16', recompute: 'selective', framework: 'megatron-core@0.14' },
      }),
      ctx,
      null,
    );
    return trainingProbe(`t${i}`, 'synthetic', 'throughput.tokensPerSecondPerDevice', 1, req);
  });
}

describe('sinan calibrate recovers known constants from synthetic measurements', () => {
  it('training: the hopper GEMM and attention fractions and the all-to-all fraction', () => {
    const params = userFitParams('training');
    const truthKeys = { 'efficiency.hopper.gemm': 0.52, 'efficiency.hopper.attnFwd': 0.33, allToAllFraction: 0.75 } as Record<string, number>;
    const truth = applyParams(
      ctx.calibration,
      params,
      params.map((p) => truthKeys[p.key] ?? p.get(ctx.calibration)),
      'truth',
    );
    const probes = trainProbes();
    // measurements generated under the truth, with the plan the search picks under it
    for (const p of probes) {
      p.replan(truth);
      (p as { measured: number }).measured = p.predict(truth)!;
    }
    const r = calibrateRuns(probes, ctx.calibration, { name: 'synthetic', kind: 'training' });
    const got = Object.fromEntries(r.fit.params.map((p) => [p.key, p.value]));
    for (const [k, v] of Object.entries(truthKeys)) expect(Math.abs(got[k]! / v - 1), k).toBeLessThan(0.03);
    expect(r.after.medianApe).toBeLessThan(1);
    expect(r.before.medianApe).toBeGreaterThan(5);
    // constants no run depends on are left alone, and said so
    expect(r.fit.params.find((p) => p.key === 'efficiency.ampere.gemm')!.identified).toBe(false);
    expect(r.warnings.join(' ')).toMatch(/ampere.*not fitted/);
  });

  it('inference: the serving GEMM fraction and the achieved memory bandwidth', () => {
    const params = userFitParams('inference');
    const truthKeys = { 'servingEfficiency.hopper.gemm': 0.6, memFraction: 0.7 } as Record<string, number>;
    const truth = applyParams(
      ctx.calibration,
      params,
      params.map((p) => truthKeys[p.key] ?? p.get(ctx.calibration)),
      'truth',
    );
    const shapes: [number, number, number][] = [
      [128, 128, 256],
      [2048, 128, 64],
      [1024, 1024, 32],
      [128, 2048, 512],
      [4096, 256, 16],
      [512, 512, 1],
      [8192, 64, 8],
      [256, 1024, 128],
    ];
    const probes = shapes.map(([i, o, c], k) =>
      inferenceProbe(
        `s${k}`,
        'synthetic',
        'throughput.outputTokensPerSecond',
        1,
        normalizeInference(
          raw({
            kind: 'inference',
            model: 'llama-3.1-8b',
            system: { accelerator: 'nvidia-h100-sxm', count: 1 },
            engine: 'vllm@0.10',
            workload: { inputTokens: i, outputTokens: o, concurrency: c },
          }),
          ctx,
          null,
        ),
      ),
    );
    for (const p of probes) {
      p.replan(truth);
      (p as { measured: number }).measured = p.predict(truth)!;
    }
    const r = calibrateRuns(probes, ctx.calibration, { name: 'synthetic', kind: 'inference' });
    const got = Object.fromEntries(r.fit.params.map((p) => [p.key, p.value]));
    for (const [k, v] of Object.entries(truthKeys)) expect(Math.abs(got[k]! / v - 1), k).toBeLessThan(0.03);
    expect(r.after.medianApe).toBeLessThan(1);
  });
});

describe('sinan calibrate on a real source group', () => {
  it('improves the held-out error of the Megatron-Bridge 25.11 rows over the built-in calibration', () => {
    const groups = frameworkGroups();
    const rows = readCorpus(corpusDir(), 'training').filter((r) => sourceGroup(r) === 'Megatron-Bridge 25.11');
    expect(rows.length).toBeGreaterThanOrEqual(10);
    const probes = rows.map((r) => {
      const p = trainingRowProbe(r, ctx, groups);
      return { ...p, group: r.id } as Probe; // each run its own group: leave-one-run-out
    });
    const r = calibrateRuns(probes, ctx.calibration, { name: 'bridge-25.11', kind: 'training' });
    expect(r.crossValidated.by).toBe('group');
    expect(r.crossValidated.rows).toBe(rows.length);
    expect(r.crossValidated.medianApe).toBeLessThan(r.before.medianApe);
  });
});

describe('a profile file from sinan calibrate is a calibration scenarios use', () => {
  it('moves the prediction the way the fit did, and leaves the built-in calibration as it was', () => {
    const probes = trainProbes().slice(0, 4);
    for (const p of probes) (p as { measured: number }).measured = 0.8 * p.predict(ctx.calibration)!;
    const r = calibrateRuns(probes, ctx.calibration, { name: 'slow-cluster', kind: 'training' });
    const dir = mkdtempSync(join(tmpdir(), 'sinan-cal-'));
    writeFileSync(join(dir, 'slow.json'), JSON.stringify(r.profile));
    const scenario = (calibration?: string) => ({
      kind: 'training',
      model: 'llama-3.1-8b',
      system: { accelerator: 'nvidia-h100-sxm', count: 8 },
      parallelism: { zero: 1 },
      training: { sequenceLength: 8192, globalBatchSize: 128, recompute: 'selective', framework: 'megatron-core@0.14' },
      ...(calibration ? { calibration } : {}),
    });
    const before = train(scenario(), { files: nodeFiles, baseDir: dir });
    const after = train(scenario('slow.json'), { files: nodeFiles, baseDir: dir });
    if (!before.ok || !after.ok) throw new Error('plan failed');
    const ratio = pick(after.value, 'throughput.tokensPerSecondPerDevice')! / pick(before.value, 'throughput.tokensPerSecondPerDevice')!;
    expect(ratio).toBeGreaterThan(0.7);
    expect(ratio).toBeLessThan(0.9);
    expect(after.value.profiles.calibration).toBe('slow-cluster');
    const again = train(scenario(), { files: nodeFiles, baseDir: dir });
    expect(again.ok && pick(again.value, 'throughput.tokensPerSecondPerDevice')).toBe(pick(before.value, 'throughput.tokensPerSecondPerDevice'));
    expect(JSON.parse(readFileSync(join(dir, 'slow.json'), 'utf8')).kind).toBe('sinan-calibration');
  });
});

describe('the fitter', () => {
  it('leaves a constant at its start when no run moves it', () => {
    const probes = trainProbes().slice(0, 3);
    for (const p of probes) (p as { measured: number }).measured = p.predict(ctx.calibration)!;
    const r = fitConstants(probes, { params: fitParams(), start: ctx.calibration });
    for (const p of r.params) if (!p.key.includes('hopper') && p.key !== 'allToAllFraction') expect(p.value).toBe(p.start);
  });
});
void nodeFiles;
