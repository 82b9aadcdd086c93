import type { FileAccess, PlanContext } from '../context/types.js';
import { IssueError, mkIssue, type Issue } from '../core/issues.js';
import { warning, type Warning } from '../core/warnings.js';
import type { KernelTraits } from '../graph/types.js';
import type { CpuSocket } from '../hardware/cpu.js';
import type { Accelerator } from '../hardware/types.js';
import type { ModelSpec } from '../model/types.js';
import { checkRules } from '../rules/table.js';
import { formatProblem, type KvFormat } from '../serve/formats.js';
import { isGgmlKv } from '../formats/kv.js';
import { SERVE_RULES } from '../serve/rules.js';
import type { KvSplit, ServeJob, ServeRequest, ServeSplit } from '../serve/types.js';
import type { RawScenario } from './load.js';
import { parseScenario } from './parse.js';
import { resolveModel } from './model.js';
import { resolveCalibration, resolveProfileId } from './profiles.js';
import { inferenceScenarioSchema, type InferenceScenario } from './schema.js';
import { resolveCpu, resolveSystem } from './system.js';

export interface NormalizedInference extends ServeRequest {
  scenario: InferenceScenario;
  name: string;
}

export function normalizeInference(raw: RawScenario, ctx: PlanContext, files: FileAccess | null): NormalizedInference {
  const sc = parseScenario(inferenceScenarioSchema, raw.data, ctx);
  const issues: Issue[] = [];
  const w: Warning[] = [];
  const rm = resolveModel(sc.model, ['model'], ctx, files, raw.baseDir);
  issues.push(...rm.issues);
  w.push(...rm.warnings);
  let draft: ModelSpec | null = null;
  if (sc.speculative) {
    const d = resolveModel(sc.speculative.draft, ['speculative', 'draft'], ctx, files, raw.baseDir);
    issues.push(...d.issues);
    draft = d.model;
  }
  const sys = sc.system;
  let accelerator: Accelerator | null = null;
  let cpu: CpuSocket | null = null;
  let devices = 1;
  let perNode = 1;
  let price = 2;
  let fabric: ServeJob['fabric'] = {};
  if (sys.cpu !== undefined) {
    const r = resolveCpu(sys, ctx, issues);
    if (r) {
      cpu = r.cpu;
      devices = r.sockets;
      perNode = devices;
    }
    price = sys.pricePerHour ?? 1.5;
  } else {
    const r = resolveSystem(sys, ctx, issues);
    if (r) {
      accelerator = r.accelerator;
      fabric = { domain: r.fabric.domain, scaleUpGBps: r.fabric.scaleUpGBps };
      devices = r.count;
      perNode = r.perNode;
      price = r.pricePerHour;
    }
  }
  const cal = resolveCalibration(sc.calibration, ctx, files, raw.baseDir, issues);
  const engineInput = typeof sc.engine === 'string' ? sc.engine : sc.engine?.profile;
  const eng = resolveProfileId(engineInput, ctx.profiles.engines, ctx.profiles.defaultEngine, 'engine profile', ['engine'], issues);
  const model = rm.model;
  if (!model || issues.length) throw new IssueError(issues);
  if (eng.defaulted && sc.engine === undefined)
    w.push(warning('default_engine', `no engine given: priced with the '${eng.id}' profile (${eng.profile.name})`, ['engine']));
  const kernels: KernelTraits = {
    ...eng.profile.kernels,
    ...(typeof sc.engine === 'object' && sc.engine.decodeAttention ? { decodeAttention: sc.engine.decodeAttention } : {}),
  };

  const weights = sc.quantization?.weights ?? 'bf16';
  // the KV format the engine picks when the scenario names none: the model's 16 bits, or (TensorRT-LLM)
  // what the checkpoint carries, FP8 for an FP8 checkpoint made by TensorRT Model Optimizer
  const kvIn = sc.quantization?.kvCache;
  let kvCache: KvFormat = kvIn === undefined ? 'bf16' : typeof kvIn === 'string' ? kvIn : kvIn.keys;
  let kvSplit: KvSplit | null = null;
  if (typeof kvIn === 'object') {
    kvSplit = { keys: kvIn.keys, values: kvIn.values, group: kvIn.group ?? 32, residual: kvIn.residual ?? 0 };
    const kivi = (f: string) => f === 'int8' || f === 'int4';
    if ((kvIn.group !== undefined || kvIn.residual !== undefined) && !kivi(kvIn.keys) && !kivi(kvIn.values))
      w.push(
        warning('ignored_key', 'group and residual set the int8/int4 (KIVI) codec; neither K nor V uses it, so they change nothing', [
          'quantization',
          'kvCache',
        ]),
      );
    if (model.attention.mla && kvIn.keys !== kvIn.values)
      issues.push(
        mkIssue({
          code: 'unsupported',
          path: ['quantization', 'kvCache'],
          feature: 'different K and V formats with multi-head latent attention',
          reason: 'MLA caches one latent vector per token, not separate keys and values: give one format',
        }),
      );
  }
  if (kvIn === undefined && eng.profile.kv.kvDtype === 'checkpoint' && weights.startsWith('fp8')) {
    kvCache = 'fp8';
    w.push(
      warning(
        'assumed_kv_format',
        `no quantization.kvCache given: ${eng.id} keeps the checkpoint's KV format, assumed FP8 for an FP8 checkpoint (TensorRT Model Optimizer's default); name kvCache to say otherwise`,
        ['quantization', 'kvCache'],
      ),
    );
  }
  for (const f of new Set([kvCache, ...(kvSplit ? [kvSplit.values] : [])]))
    if (isGgmlKv(f) && model.attention.headDim % 32 !== 0)
      issues.push(
        mkIssue({
          code: 'unsupported',
          path: ['quantization', 'kvCache'],
          feature: `a ${f} KV cache with head dimension ${model.attention.headDim}`,
          reason: "llama.cpp's quantized cache types store blocks of 32 values of each head",
        }),
      );
  if (accelerator) {
    const prob = formatProblem(weights, accelerator);
    if (prob)
      issues.push(mkIssue({ code: 'unsupported', path: ['quantization', 'weights'], feature: `${weights} weights on ${accelerator.id}`, reason: prob }));
  }
  const wl = sc.workload;
  if (model.maxPositions > 0 && wl.inputTokens + wl.outputTokens > model.maxPositions) {
    const total = wl.inputTokens + wl.outputTokens;
    // a learned position table is a hard limit; rotary/ALiBi models run past it (with degraded quality)
    if (model.learnedPositions > 0)
      issues.push(
        mkIssue({
          code: 'too_big',
          path: ['workload'],
          maximum: model.maxPositions,
          inclusive: true,
          value: total,
          what: "inputTokens + outputTokens (the model's learned position table has no rows beyond that)",
        }),
      );
    else
      w.push(
        warning(
          'beyond_context',
          `inputTokens + outputTokens = ${total} exceeds the model's context of ${model.maxPositions} tokens; the model was not trained that long`,
          ['workload'],
        ),
      );
  }
  if (wl.concurrency !== undefined && wl.requestRate !== undefined)
    issues.push(
      mkIssue({
        code: 'conflict',
        path: ['workload'],
        keys: ['concurrency', 'requestRate'],
        reason: 'give requests in flight (concurrency) or an arrival rate (requestRate), not both',
      }),
    );
  if (sc.offload && cpu)
    issues.push(
      mkIssue({ code: 'unsupported', path: ['offload'], feature: 'weight offload on a CPU-only system', reason: 'the weights already live in host memory' }),
    );
  const par = sc.parallelism ?? {};
  const c: Partial<ServeSplit> = {};
  if (par.tensor !== undefined) c.tensor = par.tensor;
  if (par.pipeline !== undefined) c.pipeline = par.pipeline;
  if (par.expert !== undefined) c.expert = par.expert;
  const job: ServeJob = {
    model,
    accelerator,
    cpu,
    devices,
    perNode,
    weights,
    kvCache,
    ...(kvSplit ? { kvSplit } : {}),
    workload: {
      inputTokens: wl.inputTokens,
      outputTokens: wl.outputTokens,
      concurrency: wl.concurrency ?? null,
      requestRate: wl.requestRate ?? null,
      chunkedPrefill: wl.chunkedPrefill ?? eng.profile.kv.chunkedPrefill ?? false,
      maxBatchTokens: wl.maxBatchTokens ?? eng.profile.kv.maxBatchedTokens ?? 8192,
    },
    slo: sc.slo ?? null,
    offload: sc.offload ? { weights: sc.offload.weights, to: sc.offload.to ?? 'host' } : null,
    speculative: sc.speculative && draft ? { draft, tokens: sc.speculative.tokens, acceptance: sc.speculative.acceptance } : null,
    disaggregation: sc.disaggregation ?? false,
    hostMemoryBytes: (sys.hostMemoryGB ?? (cpu ? 2048 : 1024)) * 1e9,
    diskBandwidth: (sys.diskGBps ?? 6) * 1e9,
    pricePerHour: price,
    fabric,
    kernels,
    engine: eng.id,
    kv: eng.profile.kv,
    memoryReserve: eng.profile.memory,
    cal,
  };
  issues.push(...checkRules(SERVE_RULES, job, c));
  if (issues.length) throw new IssueError(issues);
  return { job, constraints: c, warnings: w, scenario: sc, name: sc.name ?? raw.source };
}
