import type { DeploymentSearch } from '../serve/slo.js';
import type { ServePlanResult } from '../serve/plan.js';
import type { TrainingResult } from '../train/plan.js';
import { deriveServing, deriveTraining, type ConstantRow } from './derive.js';
import { fmtValue } from './format.js';
import type { ReportInput } from './report-html.js';
import { servingCharts, servingParetoChart, splitLabel, type RateRow } from './serving.js';
import { planLabel, trainingCharts } from './training.js';

/** The report of each kind of plan: charts, derivations and tables, the same in the CLI and the web UI. */

export interface ReportExtras {
  cal: ConstantRow[];
  generated: string;
  command?: { title: string; text: string };
  shareUrl?: string;
}

const ms = (s: number | undefined | null) => (s === undefined || s === null ? '—' : fmtValue(s, 's'));

export function trainingReport(scenario: unknown, r: TrainingResult, x: ReportExtras): ReportInput {
  return {
    title: `Training ${r.model.name} on ${r.system.count} × ${r.system.accelerator}`,
    subtitle: `${r.searched ? 'best plan' : 'plan'}: ${planLabel(r)} · ${r.fits ? 'fits' : 'DOES NOT FIT'} · step ${fmtValue(r.step.seconds, 's')} · MFU ${fmtValue(r.flops.mfu, 'fraction')}`,
    scenario,
    report: r,
    charts: trainingCharts(r),
    derivations: deriveTraining(r, x.cal),
    tables: [
      {
        title: 'The best plan and why each other loses',
        head: ['#', 'plan', 'tokens/s per device', 'step', 'memory per device', 'why it loses'],
        rows: [
          [0, planLabel(r), fmtValue(r.throughput.tokensPerSecondPerDevice, ''), ms(r.step.seconds), fmtValue(r.memory.perDeviceBytes, 'bytes'), 'best'],
          ...(r.alternatives ?? []).map((a, i) => [
            i + 1,
            planLabel(a),
            fmtValue(a.throughput.tokensPerSecondPerDevice, ''),
            ms(a.step.seconds),
            fmtValue(a.memory.perDeviceBytes, 'bytes'),
            a.why,
          ]),
        ],
      },
    ],
    warnings: r.warnings,
    generated: x.generated,
    ...(x.command ? { command: x.command } : {}),
    ...(x.shareUrl ? { shareUrl: x.shareUrl } : {}),
  };
}

export function servingReport(scenario: unknown, r: ServePlanResult, rates: RateRow[], x: ReportExtras, search?: DeploymentSearch): ReportInput {
  const slo = (scenario as { slo?: { tpotMs?: number } } | null)?.slo;
  return {
    title: `Serving ${r.model.name} on ${r.system.target}`,
    subtitle: `${r.searched ? 'best split' : 'split'}: ${splitLabel(r)} · ${r.system.replicas} replica(s) of ${r.system.devicesPerReplica} · ${r.fits ? 'fits' : 'DOES NOT FIT'} · TPOT ${ms(r.latency?.tpotSeconds)} · TTFT ${ms(r.latency?.ttftSeconds)}`,
    scenario,
    report: search ? { plan: r, search } : r,
    charts: [...servingCharts(r, rates), ...(search ? [servingParetoChart(search, slo)] : [])],
    derivations: deriveServing(r, x.cal),
    tables: [
      {
        title: 'The best split and why each other loses',
        head: ['#', 'split', 'tokens/s per device', 'TPOT', 'TTFT', 'why it loses'],
        rows: [
          [
            0,
            splitLabel(r),
            r.throughput ? fmtValue(r.throughput.outputTokensPerSecondPerDevice, '') : '—',
            ms(r.latency?.tpotSeconds),
            ms(r.latency?.ttftSeconds),
            'best',
          ],
          ...(r.alternatives ?? []).map((a, i) => [
            i + 1,
            splitLabel(a),
            a.throughput ? fmtValue(a.throughput.outputTokensPerSecondPerDevice, '') : '—',
            ms(a.latency?.tpotSeconds),
            ms(a.latency?.ttftSeconds),
            a.why,
          ]),
        ],
      },
      ...(search
        ? [
            {
              title: 'Cheapest deployments over the catalog',
              head: ['#', 'accelerator', 'devices', 'split', 'formats', 'batch', 'TTFT', 'TPOT', '$ / M tokens'],
              rows: (search.ranked.length ? search.ranked : search.closest).map((o, i) => [
                i,
                o.accelerator,
                `${o.replicas} × ${o.devicesPerReplica}`,
                `TP${o.split.tensor}`,
                `${o.weights}/${o.kvCache}`,
                o.concurrency,
                ms(o.ttftSeconds),
                ms(o.tpotSeconds),
                o.usdPerMillionOutputTokens.toFixed(2),
              ]),
            },
          ]
        : []),
    ],
    warnings: r.warnings,
    generated: x.generated,
    ...(x.command ? { command: x.command } : {}),
    ...(x.shareUrl ? { shareUrl: x.shareUrl } : {}),
  };
}
