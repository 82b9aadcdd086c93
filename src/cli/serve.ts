import { pc } from './style.js';
import { readScenario } from '../scenario/load.js';
import { normalizeInference } from '../scenario/inference.js';
import { planServe, type ServePlanResult } from '../serve/plan.js';
import { searchDeployments } from '../serve/slo.js';
import { nodeFiles } from '../context/node-files.js';
import { context, guard, intFlag, numFlag, printWarnings, type ExitCode, type Io } from './common.js';
import { bytes, heading, num, pct, seconds, styled, table } from './format.js';
import { calibrationSources } from '../cost/calibration.js';
import { servingReport } from '../charts/reports.js';
import { rateSweep } from '../charts/sweeps.js';
import { writeReportOutputs } from '../charts/write.js';
import type { DeploymentSearch } from '../serve/slo.js';

export interface ServeFlags {
  json?: boolean;
  model?: string;
  price?: string;
  input?: string;
  output?: string;
  ttft?: string;
  tpot?: string;
  engine?: string;
  alternatives?: string;
  gpus?: string;
  accelerator?: string;
  tp?: string;
  pp?: string;
  ep?: string;
  weights?: string;
  kv?: string;
  concurrency?: string;
  rate?: string;
  catalog?: boolean;
  html?: string;
  svg?: string;
}

type Obj = Record<string, unknown>;
function set(d: Obj, sec: string, key: string, v: unknown) {
  const cur = d[sec];
  const o: Obj = typeof cur === 'object' && cur !== null && !Array.isArray(cur) ? (cur as Obj) : {};
  o[key] = v;
  d[sec] = o;
}

export async function serveCommand(path: string, f: ServeFlags, io: Io): Promise<ExitCode> {
  const json = !!f.json;
  return guard(json, io, async (): Promise<ExitCode> => {
    const raw = readScenario(path, io.readStdin);
    const d = raw.data;
    if (f.model !== undefined) d.model = f.model;
    if (f.engine !== undefined) d.engine = f.engine;
    if (f.price !== undefined) set(d, 'system', 'pricePerHour', numFlag('price', f.price));
    if (f.input !== undefined) set(d, 'workload', 'inputTokens', intFlag('input', f.input));
    if (f.output !== undefined) set(d, 'workload', 'outputTokens', intFlag('output', f.output));
    if (f.ttft !== undefined) set(d, 'slo', 'ttftMs', numFlag('ttft', f.ttft));
    if (f.tpot !== undefined) set(d, 'slo', 'tpotMs', numFlag('tpot', f.tpot));
    if (f.accelerator !== undefined) set(d, 'system', 'accelerator', f.accelerator);
    if (f.gpus !== undefined) set(d, 'system', 'count', intFlag('gpus', f.gpus));
    if (f.tp !== undefined) set(d, 'parallelism', 'tensor', intFlag('tp', f.tp));
    if (f.pp !== undefined) set(d, 'parallelism', 'pipeline', intFlag('pp', f.pp));
    if (f.ep !== undefined) set(d, 'parallelism', 'expert', intFlag('ep', f.ep));
    if (f.weights !== undefined) set(d, 'quantization', 'weights', f.weights);
    if (f.kv !== undefined) set(d, 'quantization', 'kvCache', f.kv);
    if (f.concurrency !== undefined) set(d, 'workload', 'concurrency', intFlag('concurrency', f.concurrency));
    if (f.rate !== undefined) set(d, 'workload', 'requestRate', numFlag('rate', f.rate));
    if (f.concurrency !== undefined && f.rate !== undefined) {
      // the flags replace the scenario's workload mode
    } else if (f.concurrency !== undefined) delete (d.workload as Record<string, unknown> | undefined)?.requestRate;
    else if (f.rate !== undefined) delete (d.workload as Record<string, unknown> | undefined)?.concurrency;
    const alternatives = intFlag('alternatives', f.alternatives, 0) ?? 4;
    const ctx = context();
    const scenario = structuredClone(raw.data);
    const n = normalizeInference(raw, ctx, nodeFiles);
    // --html / --svg: the report of the plan, with the latency-vs-rate sweep and (with --catalog) the deployments
    const outputs = async (search?: DeploymentSearch, planned?: ServePlanResult) => {
      if (f.html === undefined && f.svg === undefined) return;
      const r = planned ?? planServe(n, { alternatives });
      const plan = (s: Record<string, unknown>) => Promise.resolve(planServe(normalizeInference({ ...raw, data: s }, ctx, nodeFiles), { alternatives: 0 }));
      const rates = r.fits ? await rateSweep(scenario, r, plan) : [];
      const report = servingReport(scenario, r, rates, { cal: calibrationSources(ctx.calibrationSources), generated: new Date().toISOString() }, search);
      io.err(`wrote ${writeReportOutputs(report, { html: f.html, svg: f.svg, inputs: [path] }).join(', ')}\n`);
    };
    if (f.catalog) {
      const t0 = performance.now();
      const s = searchDeployments(n.job, [...ctx.catalog.accelerators.values()]);
      const secs = (performance.now() - t0) / 1000;
      await outputs(s);
      if (json) io.out(JSON.stringify({ kind: 'inference-search', ...s, warnings: n.warnings }, null, 2) + '\n');
      else {
        io.out(
          heading(
            `Cheapest deployments meeting the SLO at ${n.job.workload.requestRate ?? 1} requests/s (${n.job.workload.inputTokens} in / ${n.job.workload.outputTokens} out)`,
          ) + '\n',
        );
        const rows = s.ranked.length ? s.ranked : s.closest;
        if (!s.ranked.length) io.out(pc.yellow('No plan meets the SLO; the closest plans and what they miss by:\n'));
        io.out(
          table(
            ['accelerator', 'devices', 'split', 'formats', 'batch', 'TTFT', 'TPOT', '$/1M out', s.ranked.length ? '$/h' : 'misses'],
            rows.map((o) => [
              o.accelerator,
              `${o.replicas} x ${o.devicesPerReplica}`,
              `TP${o.split.tensor} EP${o.split.expert}`,
              `${o.weights}/${o.kvCache}`,
              o.concurrency,
              seconds(o.ttftSeconds),
              seconds(o.tpotSeconds),
              o.usdPerMillionOutputTokens.toFixed(2),
              s.ranked.length ? o.usdPerHour.toFixed(1) : o.missBy.join(', '),
            ]),
          ) + '\n',
        );
        if (s.pareto.length)
          io.out(
            `Pareto front (cost vs TPOT): ${s.pareto
              .slice(0, 8)
              .map((o) => `$${o.usdPerMillionOutputTokens.toFixed(2)}@${(o.tpotSeconds * 1000).toFixed(1)}ms (${o.accelerator})`)
              .join(' · ')}\n`,
          );
        io.out(pc.dim(`evaluated ${num(s.evaluated)} plans in ${seconds(secs)}\n`));
      }
      return 0;
    }
    const r = planServe(n, { alternatives });
    await outputs(undefined, r);
    if (json) io.out(JSON.stringify(r, null, 2) + '\n');
    else {
      printWarnings(r.warnings, io);
      io.out(renderServe(r));
    }
    return 0;
  });
}

export function renderServe(r: ServePlanResult): string {
  const o: string[] = [];
  const p = r.parallelism;
  o.push(
    heading(
      `Serving ${r.model.name} (${num(r.model.parameters)} parameters) on ${r.system.target}: ${r.system.replicas} replica(s) of ${r.system.devicesPerReplica}`,
    ),
  );
  o.push(
    `${r.searched ? 'Best split' : 'Split'}: TP ${p.tensor} · PP ${p.pipeline}${p.expert > 1 ? ` · EP ${p.expert}` : ''} · weights ${r.quantization.weights} · KV ${r.quantization.kvCache}${r.engine.decodeAttention !== 'grouped' ? ` · decode attention ${r.engine.decodeAttention}` : ''} · ${r.fits ? pc.green('fits') : pc.red('DOES NOT FIT')} · bound by ${r.bound}`,
  );
  const w = r.workload;
  o.push(
    `${w.mode === 'saturation' ? 'Saturation: the largest batch that fits' : w.mode === 'request-rate' ? `${w.requestRate} requests/s (utilisation ${pct(w.utilization ?? 0)})` : 'Concurrency'}: ${w.concurrency} requests in flight of ${w.inputTokens} in / ${w.outputTokens} out tokens`,
  );
  if (r.latency && r.throughput && r.cost) {
    o.push(
      `TTFT ${seconds(r.latency.ttftSeconds)} · TPOT ${seconds(r.latency.tpotSeconds)} · request ${seconds(r.latency.requestSeconds)} · ${num(r.throughput.outputTokensPerSecond)} output tokens/s (${num(r.throughput.outputTokensPerSecondPerDevice)} per device) · ${r.cost.usdPerMillionOutputTokens === null ? '—' : `$${r.cost.usdPerMillionOutputTokens.toFixed(2)}`} per million output tokens`,
    );
  } else if (r.throughput && r.cost) {
    o.push(
      pc.red(`unstable: the offered rate exceeds what the deployment serves; no latency exists. `) +
        `It serves at most ${num(r.throughput.outputTokensPerSecond)} output tokens/s (${r.throughput.requestsPerSecond.toFixed(2)} requests/s).`,
    );
  } else {
    o.push(pc.red('does not fit: no latency, throughput or cost is reported'));
  }
  if (r.latency?.percentiles) {
    const q = r.latency.percentiles;
    o.push(
      `TTFT p50/p90/p99 ${seconds(q.ttft.p50)} / ${seconds(q.ttft.p90)} / ${seconds(q.ttft.p99)} · TPOT ${seconds(q.tpot.p50)} / ${seconds(q.tpot.p90)} / ${seconds(q.tpot.p99)}`,
    );
  }
  const m = r.memory;
  o.push('');
  o.push(heading('Memory per device'));
  o.push(
    table(
      ['', 'bytes'],
      [
        ['weights (resident)', bytes(m.breakdown.weights)],
        ['KV cache', bytes(m.breakdown.kvCache)],
        ['activations and workspace', bytes(m.breakdown.activations)],
        ['runtime', bytes(m.breakdown.other)],
        [styled(pc.bold('total')), styled(pc.bold(`${bytes(m.perDeviceBytes)} of ${bytes(m.capacityBytes)}`))],
      ],
    ),
  );
  o.push(`KV cache ${bytes(m.kvBytesPerRequest)} per request on each device; at most ${m.maxConcurrency.toLocaleString('en-US')} requests fit`);
  const b = r.breakdown;
  o.push(heading('Time breakdown'));
  o.push(
    table(
      ['phase (roofline components)', 'compute', 'memory', 'communication'],
      [
        ['prefill (one prompt)', seconds(b.prefill.computeSeconds), seconds(b.prefill.memorySeconds), seconds(b.prefill.communicationSeconds)],
        [
          `decode step (${w.concurrency} in flight)`,
          seconds(b.decode.computeSeconds),
          seconds(b.decode.memorySeconds),
          `${seconds(b.decode.communicationSeconds)} (${pct(b.decode.communicationShare)} of the step)`,
        ],
      ],
    ),
  );
  if (r.roofline) {
    const d = r.roofline.decode;
    const ops = r.roofline.ops.filter((x) => x.phase === 'decode').sort((a, b) => b.seconds - a.seconds);
    const total = ops.reduce((s2, x) => s2 + x.seconds, 0);
    o.push(heading(`Decode step by operator (${num(d.sequences, 1)} sequences at ${num(d.context)} tokens of context, one device)`));
    o.push(
      table(
        ['operator', 'time', 'share', 'FLOPs/byte', 'TFLOP/s', 'bound'],
        ops
          .slice(0, 6)
          .map((x) => [
            `${x.op} (${x.precision})`,
            seconds(x.seconds),
            pct(total > 0 ? x.seconds / total : 0),
            x.intensity > 0 ? num(x.intensity, 1) : '—',
            x.flops > 0 ? num(x.flopsPerSecond / 1e12, 1) : '—',
            x.bound,
          ]),
        { align: ['left', 'right', 'right', 'right', 'right', 'left'] },
      ),
    );
  }
  if (r.offload)
    o.push(
      `Offload: ${pct(r.offload.fractionOffloaded)} of the weights streamed each step (${bytes(r.offload.bytesStreamedPerStep)}: ${bytes(r.offload.tiers.host)} from host, ${bytes(r.offload.tiers.disk)} from disk) in ${seconds(r.offload.linkSeconds)} vs ${seconds(r.offload.deviceSeconds)} on the device${r.offload.boundByLink ? pc.yellow(` — bound by the ${r.offload.slowestTier === 'disk' ? 'disk' : 'host link'}`) : ''}`,
    );
  if (r.speculative)
    o.push(
      `Speculative decoding: ${r.speculative.expectedTokensPerStep.toFixed(2)} tokens per step, ${r.speculative.speedup.toFixed(2)}x ${r.speculative.helps ? 'faster' : pc.yellow('(does not help)')}`,
    );
  if (r.disaggregation)
    o.push(
      `Disaggregated: ${r.disaggregation.prefillDevices} prefill + ${r.disaggregation.decodeDevices} decode devices (ratio ${r.disaggregation.ratio.toFixed(2)}), KV transfer ${seconds(r.disaggregation.kvTransferSeconds)} exposed per request, ${r.disaggregation.requestsPerSecond.toFixed(2)} requests/s`,
    );
  if (r.slo) o.push(r.slo.met ? pc.green('meets the SLO') : pc.red(`misses the SLO: ${r.slo.missBy.join(', ')}`));
  if (r.alternatives?.length) {
    o.push(heading('Next best splits'));
    o.push(
      table(
        ['split', 'tokens/s/device', 'TPOT', 'TTFT', 'why it loses'],
        r.alternatives.map((a) => [
          `TP ${a.parallelism.tensor} · PP ${a.parallelism.pipeline}${a.parallelism.expert > 1 ? ` · EP ${a.parallelism.expert}` : ''}`,
          a.throughput ? num(a.throughput.outputTokensPerSecondPerDevice) : '—',
          a.latency ? seconds(a.latency.tpotSeconds) : '—',
          a.latency ? seconds(a.latency.ttftSeconds) : '—',
          a.why,
        ]),
        { align: ['left', 'right', 'right', 'right', 'left'] },
      ),
    );
  }
  return o.join('\n') + '\n';
}
