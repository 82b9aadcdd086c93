import { cpuSocket } from '../hardware/cpu.js';
import { rawCatalog } from '../hardware/catalog.js';
import { resolveModel } from '../model/registry.js';
import { formatProblem } from '../serve/formats.js';
import type { ServeJob, ServeSplit } from '../serve/types.js';
import { issue, ScenarioError, type Issue } from '../util/issues.js';
import type { RawScenario } from './load.js';
import { zodIssues } from './load.js';
import { inferenceScenarioSchema } from './schema.js';
import { resolveSystem } from './system.js';

export interface NormalizedInference {
  job: ServeJob;
  constraints: Partial<ServeSplit>;
  warnings: string[];
}

export function normalizeInference(raw: RawScenario): NormalizedInference {
  const parsed = inferenceScenarioSchema.safeParse(raw.data);
  if (!parsed.success) throw new ScenarioError(zodIssues(parsed.error, [], raw.data));
  const sc = parsed.data;
  const issues: Issue[] = [];
  const { model, issues: mi, warnings } = resolveModel(sc.model, ['model'], raw.baseDir);
  issues.push(...mi);
  let draft = null;
  if (sc.speculative) {
    const d = resolveModel(sc.speculative.draft, ['speculative', 'draft'], raw.baseDir);
    issues.push(...d.issues);
    draft = d.model;
  }
  const sys = sc.system;
  let accelerator = null;
  let cpu = null;
  let devices: number;
  let perNode: number;
  let price: number;
  let fabric = {};
  if (sys.cpu !== undefined) {
    cpu = cpuSocket(sys.cpu) ?? null;
    if (!cpu)
      issues.push(
        issue(
          'unknown_id',
          ['system', 'cpu'],
          `unknown CPU '${sys.cpu}'. Catalog CPUs: ${rawCatalog()
            .cpus.map((c) => c.id)
            .join(', ')}`,
        ),
      );
    if (cpu && sys.memoryBandwidthGBps !== undefined) cpu = { ...cpu, memoryBandwidth: sys.memoryBandwidthGBps * 1e9, measuredFraction: 1 };
    devices = sys.sockets ?? 1;
    perNode = devices;
    price = sys.pricePerHour ?? 1.5;
  } else {
    const r = resolveSystem(sys, issues);
    if (r) {
      accelerator = r.accelerator;
      fabric = { domain: r.fabric.domain, scaleUpGBps: r.fabric.scaleUpGBps };
    }
    devices = r?.count ?? 1;
    perNode = r?.perNode ?? 1;
    price = r?.pricePerHour ?? 2;
  }
  if (!model || issues.length) throw new ScenarioError(issues);

  const weights = sc.quantization?.weights ?? 'bf16';
  const kvCache = sc.quantization?.kvCache ?? 'bf16';
  if (accelerator) {
    const prob = formatProblem(weights, accelerator);
    if (prob) issues.push(issue('unsupported', ['quantization', 'weights'], prob));
  }
  const w = sc.workload;
  if (model.maxPositions > 0 && w.inputTokens + w.outputTokens > model.maxPositions) {
    const msg = `inputTokens + outputTokens = ${w.inputTokens + w.outputTokens} exceeds the model's context of ${model.maxPositions} tokens`;
    // a learned position table is a hard limit; rotary/ALiBi models run past it (with degraded quality)
    if (model.learnedPositions > 0) issues.push(issue('out_of_range', ['workload'], `${msg} (its learned position table has no rows beyond that)`));
    else warnings.push(`${msg}; the model was not trained that long`);
  }
  if (w.concurrency !== undefined && w.requestRate !== undefined) {
    issues.push(issue('invalid_value', ['workload'], 'give concurrency or requestRate, not both'));
  }
  const par = sc.parallelism ?? {};
  const c: Partial<ServeSplit> = {};
  if (par.tensor !== undefined) c.tensor = par.tensor;
  if (par.pipeline !== undefined) c.pipeline = par.pipeline;
  if (par.expert !== undefined) c.expert = par.expert;
  const a = model.attention;
  if (c.tensor !== undefined && a.heads % c.tensor !== 0)
    issues.push(issue('not_divisible', ['parallelism', 'tensor'], `tensor (${c.tensor}) must divide the ${a.heads} attention heads`));
  if ((c.tensor ?? 1) * (c.pipeline ?? 1) > devices || devices % ((c.tensor ?? 1) * (c.pipeline ?? 1)) !== 0) {
    issues.push(issue('not_divisible', ['parallelism'], `tensor x pipeline (${(c.tensor ?? 1) * (c.pipeline ?? 1)}) must divide the ${devices} devices`));
  }
  if (c.pipeline !== undefined && c.pipeline > model.layers)
    issues.push(issue('out_of_range', ['parallelism', 'pipeline'], `pipeline (${c.pipeline}) exceeds the ${model.layers} layers`));
  if (c.expert !== undefined && c.expert > 1) {
    if (!model.moe) issues.push(issue('invalid_value', ['parallelism', 'expert'], `expert (${c.expert}) needs a mixture-of-experts model`));
    else if (model.moe.experts % c.expert !== 0)
      issues.push(issue('not_divisible', ['parallelism', 'expert'], `expert (${c.expert}) must divide the ${model.moe.experts} experts`));
    else if (c.tensor !== undefined && c.tensor % c.expert !== 0)
      issues.push(
        issue(
          'not_divisible',
          ['parallelism', 'expert'],
          `expert (${c.expert}) must divide tensor (${c.tensor}): experts are spread over the tensor-parallel group`,
        ),
      );
  }
  if (issues.length) throw new ScenarioError(issues);
  const job: ServeJob = {
    model,
    accelerator,
    cpu,
    devices,
    perNode,
    weights,
    kvCache,
    workload: {
      inputTokens: w.inputTokens,
      outputTokens: w.outputTokens,
      concurrency: w.concurrency ?? null,
      requestRate: w.requestRate ?? null,
      chunkedPrefill: w.chunkedPrefill ?? false,
      maxBatchTokens: w.maxBatchTokens ?? 8192,
    },
    slo: sc.slo ?? null,
    offload: sc.offload ? { weights: sc.offload.weights, to: sc.offload.to ?? 'host' } : null,
    speculative: sc.speculative && draft ? { draft, tokens: sc.speculative.tokens, acceptance: sc.speculative.acceptance } : null,
    disaggregation: sc.disaggregation ?? false,
    hostMemoryBytes: (sys.hostMemoryGB ?? (cpu ? 2048 : 1024)) * 1e9,
    diskBandwidth: (sys.diskGBps ?? 6) * 1e9,
    pricePerHour: price,
    fabric,
    engine: { decodeAttention: sc.engine?.decodeAttention ?? 'grouped' },
  };
  return { job, constraints: c, warnings };
}
