import type { ServeReport } from '../serve/report.js';
import type { TrainReport } from '../train/report.js';

/**
 * How each headline number was derived: the terms that add up to it (or the formula that
 * combines them) and the constants used, each with its source. Pure: the report and the
 * calibration listing (sinan calibration --json) in, a tree out; the web UI and the HTML report
 * render it as nested, expandable items.
 */
export interface Derivation {
  id: string;
  label: string;
  value: number | string;
  unit: string;
  /** How the terms combine: 'sum' (they add up to the value) or a formula in words. */
  rule?: string;
  terms?: Derivation[];
  source?: string;
}

export interface ConstantRow {
  key: string;
  value: unknown;
  source: string;
  fitted?: boolean;
}

const sum = (id: string, label: string, value: number, unit: string, terms: Derivation[], source?: string): Derivation => ({
  id,
  label,
  value,
  unit,
  rule: 'sum',
  terms,
  ...(source ? { source } : {}),
});
const leaf = (id: string, label: string, value: number | string, unit: string, source?: string): Derivation => ({
  id,
  label,
  value,
  unit,
  ...(source ? { source } : {}),
});

function constants(rows: ConstantRow[], generation: string): Derivation {
  const mine = rows.filter(
    (r) => r.key === `efficiency.${generation}` || r.key === `servingEfficiency.${generation}` || !/^(serving)?[eE]fficiency\./.test(r.key),
  );
  return {
    id: 'constants',
    label: 'calibration constants used (data/calibration.json)',
    value: mine.length,
    unit: 'constants',
    terms: mine.map((r) => leaf(`const-${r.key}`, r.key, JSON.stringify(r.value), r.fitted ? 'fitted' : 'set', r.source)),
  };
}

export function deriveTraining(r: TrainReport, cal: ConstantRow[] = []): Derivation[] {
  const s = r.step;
  const d = s.detail;
  const b = r.memory.breakdown;
  const res = r.memory.reserve;
  const tokensPerStep = r.training.globalBatchSize * r.training.sequenceLength;
  const out: Derivation[] = [
    sum('step', 'step time', s.seconds, 's', [
      {
        ...leaf('step-compute', 'compute (GEMMs, attention, element-wise; roofline per op with calibrated efficiency)', s.breakdown.compute, 's'),
        source: `efficiency profile ${r.profiles.efficiency.generation}: ${r.profiles.efficiency.source}`,
      },
      {
        id: 'step-comm',
        label: 'exposed communication (not hidden behind compute)',
        value: s.breakdown.exposedCommunication,
        unit: 's',
        rule: 'the exposed parts of these collectives',
        terms: [
          leaf('comm-tp', 'tensor-parallel collectives (before overlap)', d.tensorSeconds, 's'),
          leaf('comm-cp', 'context-parallel ring (before overlap)', d.contextSeconds, 's'),
          leaf('comm-ep', 'expert all-to-all (before overlap)', d.expertSeconds, 's'),
          leaf('comm-dp', 'data-parallel gradient reduction, total', d.dataSeconds, 's'),
          leaf('comm-dp-exposed', 'data-parallel exposed', d.dataExposedSeconds, 's'),
          leaf('comm-pp', 'pipeline send/receive exposed', d.pipelineExposedSeconds, 's'),
        ],
      },
      leaf(
        'step-bubble',
        `pipeline bubble (${r.parallelism.pipeline} stages, ${r.parallelism.virtualStages} chunk(s) each, ${r.training.microBatches} micro-batches)`,
        s.breakdown.pipelineBubble,
        's',
      ),
      {
        id: 'step-other',
        label: 'optimizer step and other',
        value: s.breakdown.other,
        unit: 's',
        rule: 'includes',
        terms: [leaf('other-opt', 'optimizer step', d.optimizerSeconds, 's'), leaf('other-imb', 'stage imbalance', d.stageImbalanceSeconds, 's')],
      },
    ]),
    {
      id: 'throughput',
      label: 'tokens per second (whole job)',
      value: r.throughput.tokensPerSecond,
      unit: 'tokens/s',
      rule: `global batch × sequence length / step time = ${r.training.globalBatchSize} × ${r.training.sequenceLength} / ${s.seconds.toPrecision(4)} s`,
      terms: [leaf('tokens-per-step', 'tokens per step', tokensPerStep, 'tokens'), leaf('tps-step', 'step time', s.seconds, 's')],
    },
    {
      id: 'mfu',
      label: 'model FLOPs utilization',
      value: r.flops.mfu,
      unit: 'fraction',
      rule: `model FLOPs per token × tokens/s / (devices × peak) = ${r.flops.modelFlopsPerToken.toPrecision(4)} × ${r.throughput.tokensPerSecond.toPrecision(4)} / (${r.system.count} × ${r.flops.peakFlopsPerDevice.toPrecision(4)})`,
      terms: [
        leaf('mfu-flops', 'model FLOPs per token (6N plus attention, from the operator graph)', r.flops.modelFlopsPerToken, 'FLOP'),
        leaf('mfu-peak', `dense ${r.training.precision} peak per device (catalog)`, r.flops.peakFlopsPerDevice, 'FLOP/s'),
        leaf('mfu-devices', 'devices', r.system.count, 'devices'),
      ],
    },
    sum('memory', 'memory on the busiest device', r.memory.perDeviceBytes, 'bytes', [
      leaf('mem-weights', 'weights', b.weights, 'bytes'),
      leaf('mem-grads', 'gradients', b.gradients, 'bytes'),
      leaf('mem-opt', 'optimizer states', b.optimizer, 'bytes'),
      leaf('mem-act', `activations (${r.training.recompute} recompute)`, b.activations, 'bytes'),
      {
        id: 'mem-other',
        label: 'runtime and fragmentation',
        value: b.other,
        unit: 'bytes',
        rule: 'sum',
        terms: [
          leaf('mem-runtime', `runtime reserve of the ${r.profiles.framework} profile`, res.runtimeBytes, 'bytes', res.source),
          leaf('mem-frag', 'allocator fragmentation', res.fragmentationBytes, 'bytes', res.source),
        ],
      },
    ]),
  ];
  if (r.run)
    out.push({
      id: 'run',
      label: 'device-hours for the whole run',
      value: r.run.deviceHours,
      unit: 'device-hours',
      rule: `tokens / tokens/s × devices / 3600 = ${r.run.tokens.toPrecision(4)} / ${r.throughput.tokensPerSecond.toPrecision(4)} × ${r.system.count} / 3600`,
      terms: [leaf('run-days', 'days', r.run.days, 'days'), leaf('run-cost', `cost at $${r.run.pricePerDeviceHour}/device-hour`, r.run.costUsd, 'USD')],
    });
  out.push(constants(cal, r.profiles.efficiency.generation));
  return out;
}

export function deriveServing(r: ServeReport, cal: ConstantRow[] = []): Derivation[] {
  const m = r.memory;
  const p = r.breakdown.prefill;
  const d = r.breakdown.decode;
  const out: Derivation[] = [];
  if (r.latency) {
    out.push({
      id: 'tpot',
      label: 'time per output token',
      value: r.latency.tpotSeconds,
      unit: 's',
      rule: r.latency.percentiles
        ? 'mean of the queueing model at the offered rate'
        : 'one decode step of the batch (all pipeline stages), plus the prefills interleaved with it',
      terms: [
        sum(
          'decode-step',
          `decode step (${r.workload.concurrency} in flight): roofline components`,
          d.computeSeconds + d.memorySeconds + d.communicationSeconds + d.otherSeconds,
          's',
          [
            leaf('dec-compute', 'compute', d.computeSeconds, 's'),
            leaf('dec-memory', 'memory traffic (weights and KV cache reads)', d.memorySeconds, 's'),
            leaf('dec-comm', 'communication', d.communicationSeconds, 's'),
            leaf('dec-other', 'launch and other overheads', d.otherSeconds, 's'),
          ],
        ),
        leaf('dec-wall', 'decode step as scheduled (ops bound by the slower of compute and memory)', d.stepSeconds, 's'),
      ],
    });
    out.push({
      id: 'ttft',
      label: 'time to first token',
      value: r.latency.ttftSeconds,
      unit: 's',
      rule: 'prefill of one prompt (plus a decode step when others are in flight; plus queueing at a request rate)',
      terms: [
        sum('prefill', `prefill of ${r.workload.inputTokens} tokens`, p.computeSeconds + p.memorySeconds + p.communicationSeconds, 's', [
          leaf('pre-compute', 'compute', p.computeSeconds, 's'),
          leaf('pre-memory', 'memory traffic', p.memorySeconds, 's'),
          leaf('pre-comm', 'communication', p.communicationSeconds, 's'),
        ]),
        leaf('pre-wall', 'prefill as scheduled', p.seconds, 's'),
      ],
    });
  }
  if (r.throughput)
    out.push({
      id: 'throughput',
      label: 'output tokens per second (whole deployment)',
      value: r.throughput.outputTokensPerSecond,
      unit: 'tokens/s',
      rule: `requests/s × output tokens = ${r.throughput.requestsPerSecond.toPrecision(4)} × ${r.workload.outputTokens}`,
      terms: [
        leaf('rps', `requests per second (${r.system.replicas} replica(s))`, r.throughput.requestsPerSecond, 'requests/s'),
        leaf('out-tokens', 'output tokens per request', r.workload.outputTokens, 'tokens'),
      ],
    });
  if (r.cost && r.cost.usdPerMillionOutputTokens !== null && r.throughput)
    out.push({
      id: 'cost',
      label: '$ per million output tokens',
      value: r.cost.usdPerMillionOutputTokens,
      unit: 'USD',
      rule: `$/hour / (tokens/s × 3600) × 10^6 = ${r.cost.usdPerHour} / (${r.throughput.outputTokensPerSecond.toPrecision(4)} × 3600) × 10^6`,
      terms: [leaf('usd-hour', `$/hour (${r.system.devices} devices at $${r.cost.pricePerDeviceHour})`, r.cost.usdPerHour, 'USD/h')],
    });
  out.push(
    sum('memory', 'memory per device', m.perDeviceBytes, 'bytes', [
      leaf('mem-weights', `weights (${r.quantization.weights}, this device's share of ${m.weightBytesTotal} bytes)`, m.breakdown.weights, 'bytes'),
      leaf('mem-kv', `KV cache (${r.quantization.kvCache}, ${m.kvBytesPerRequest} bytes per request)`, m.breakdown.kvCache, 'bytes'),
      leaf('mem-act', 'activations and workspace', m.breakdown.activations, 'bytes'),
      leaf('mem-other', `runtime reserve of the ${r.profiles.engine} profile`, m.breakdown.other, 'bytes', m.reserve.source),
    ]),
  );
  out.push(
    leaf(
      'max-concurrency',
      `requests whose KV cache fits (KV pool ${m.reserve.kvPoolFraction} of free memory)`,
      m.maxConcurrency,
      'requests',
      m.reserve.source,
    ),
  );
  out.push(constants(cal, r.profiles.efficiency.generation));
  return out;
}
