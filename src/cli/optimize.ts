import { pc } from './style.js';
import { nodeFiles } from '../context/node-files.js';
import { optimizeScenario } from '../optimize/run.js';
import type { OptimizationReport } from '../optimize/types.js';
import { readScenario } from '../scenario/load.js';
import { context, guard, printWarnings, workersFlag, type ExitCode, type Io } from './common.js';
import { bytes, heading, num, seconds, table } from './format.js';

/** The options of `sinan optimize`, as commander hands them over. */
export interface OptimizeFlags {
  json?: boolean;
  out?: string;
  format?: string;
  force?: boolean;
  workers?: string;
  exact?: boolean;
}

const pct = (x: number | null) => (x === null ? '—' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`);

function formatsOf(q: { weights: string; mix?: Record<string, number> }): string {
  if (!q.mix) return q.weights;
  return Object.entries(q.mix)
    .sort((a, b) => b[1] - a[1])
    .map(([f, s]) => `${f} ${(s * 100).toFixed(0)}%`)
    .join(' ');
}

function render(r: OptimizationReport, io: Io): void {
  io.out(heading(`Optimization (${r.goal.objective}, accuracy budget ${r.goal.accuracy}; ${r.format} for ${r.engine})`) + '\n');
  io.out(
    table(
      ['row', 'hardware', 'split', 'weights', 'K/V', 'streamed', 'TTFT', 'TPOT', 'tokens/s', 'memory/device', '$/1M out', 'accuracy'],
      r.rows.map((x) => {
        const p = x.plan;
        const off = p.offload?.layers;
        return [
          x.label,
          `${p.system.devices} x ${p.system.target}`,
          `TP${p.parallelism.tensor} PP${p.parallelism.pipeline}${p.system.replicas > 1 ? ` x${p.system.replicas}` : ''}`,
          formatsOf(p.quantization),
          p.quantization.kvCache,
          off
            ? `${off.host + off.disk} layers${off.lossless ? `, ${off.lossless} lossless` : ''}`
            : p.offload
              ? `${(p.offload.fractionOffloaded * 100).toFixed(0)}%`
              : '—',
          p.latency ? seconds(p.latency.ttftSeconds) : '—',
          p.latency ? seconds(p.latency.tpotSeconds) : '—',
          p.throughput ? num(Math.round(p.throughput.outputTokensPerSecond)) : 'does not fit',
          bytes(p.memory.perDeviceBytes),
          p.cost?.usdPerMillionOutputTokens != null ? p.cost.usdPerMillionOutputTokens.toFixed(3) : '—',
          x.accuracy.toExponential(2),
        ];
      }),
    ) + '\n',
  );
  for (const x of r.rows) io.out(pc.dim(`  ${x.label}: ${x.note}\n`));
  io.out(`Best for the goal: ${pc.bold(r.bestRow)}\n\n`);
  for (const a of r.attribution) {
    io.out(
      heading(
        `What each optimization buys (${a.row}; reference ${a.reference.outputTokensPerSecond === null ? 'does not fit' : `${num(Math.round(a.reference.outputTokensPerSecond))} tokens/s`})`,
      ) + '\n',
    );
    io.out(
      table(
        ['optimization', 'tokens/s', 'gain', '$/1M out'],
        a.entries.map((e) => [
          e.optimization,
          e.outputTokensPerSecond === null ? 'does not fit' : num(Math.round(e.outputTokensPerSecond)),
          pct(e.gain),
          e.usdPerMillionOutputTokens === null ? '—' : e.usdPerMillionOutputTokens.toFixed(3),
        ]),
      ) + '\n',
    );
    io.out(
      `combined ${pct(a.combinedGain)} vs the sum of single gains ${pct(a.sumOfSingleGains)}; combined ${a.combinedBeatsBestSingle ? 'beats' : 'does not beat'} the best single optimization\n\n`,
    );
  }
  const acc = r.accuracy;
  io.out(heading('Accuracy') + '\n');
  io.out(
    `${acc.measure}: ${acc.total.toExponential(3)} of ${acc.budget} (weights ${acc.weights.toExponential(2)}, K ${acc.kvCache.keys.format} / V ${acc.kvCache.values.format} ${acc.kvCache.contribution.toExponential(2)}${acc.ci95 > 0 ? `; 95% interval ±${(acc.ci95 * 100).toFixed(1)}%` : ''}; ${acc.source})\n`,
  );
  io.out(pc.dim(`importance: ${acc.importance}\n`));
  const top = [...acc.perTensor].sort((a, b) => b.contribution - a.contribution).slice(0, 8);
  io.out(
    table(
      ['tensor', 'format', 'relative RMSE', 'importance', 'share of total'],
      top.map((t) => [
        t.tensor,
        t.format,
        t.relativeError.toFixed(4),
        t.importance.toExponential(2),
        acc.total > 0 ? `${((100 * t.contribution) / acc.total).toFixed(1)}%` : '0%',
      ]),
      { align: ['left', 'left', 'right', 'right', 'right'] },
    ) + '\n',
  );
  for (const n of r.sensitivity.notes) io.out(pc.dim(`${n}\n`));
  if (r.sensitivity.pass)
    io.out(
      pc.dim(
        `measurement pass: ${bytes(r.sensitivity.pass.bytesRead)} in ${r.sensitivity.pass.seconds.toFixed(2)} s on ${r.sensitivity.pass.workers} worker(s), peak ${bytes(r.sensitivity.pass.peakRssBytes)} resident\n`,
      ),
    );
  io.out(`\n${r.search.evaluated} plans priced\n`);
  if (r.files.length) io.out(`${heading('Written')}\n${r.files.map((f) => `  ${f}`).join('\n')}\n`);
  io.out(`${heading('Serve it')}\n${r.serveCommand}`);
}

export async function optimizeCommand(path: string, f: OptimizeFlags, io: Io): Promise<ExitCode> {
  const json = !!f.json;
  return guard(json, io, async (): Promise<ExitCode> => {
    const raw = readScenario(path, io.readStdin);
    const workers = workersFlag(f.workers);
    // an interrupted run must not leave temporary files: exit through the handlers that remove them
    const onSignal = () => process.exit(130);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const progress = !json && process.stderr.isTTY ? (d: number, t: number) => io.err(`\rmeasuring ${d}/${t}`) : undefined;
      const r = await optimizeScenario(raw, {
        context: context(),
        files: nodeFiles,
        baseDir: raw.baseDir,
        ...(f.format !== undefined ? { format: f.format } : {}),
        ...(f.out !== undefined ? { out: f.out } : {}),
        ...(f.force ? { force: true } : {}),
        ...(workers !== undefined ? { workers } : {}),
        ...(f.exact ? { exact: true } : {}),
        ...(progress ? { onProgress: progress } : {}),
      });
      if (progress) io.err('\r\x1b[K');
      if (json) io.out(JSON.stringify(r, null, 2) + '\n');
      else {
        render(r, io);
        printWarnings(r.warnings, io);
      }
      return 0;
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  });
}
