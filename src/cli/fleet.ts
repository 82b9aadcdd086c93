import { pc } from './style.js';
import { planCluster, planGoodput, type ClusterReport, type GoodputReport } from '../fleet/plan.js';
import { scaleUpSweep, weakScaling, type SweepRow } from '../fleet/sweep.js';
import { normalizeCluster, normalizeGoodput } from '../scenario/fleet.js';
import { readScenario } from '../scenario/load.js';
import { normalizeTraining } from '../scenario/training.js';
import { IssueError, mkIssue } from '../core/issues.js';
import { nodeFiles } from '../context/node-files.js';
import { context, guard, intFlag, numFlag, printWarnings, type ExitCode, type Io } from './common.js';
import { bytes, heading, num, pct, seconds, styled, table } from './format.js';

export async function clusterCommand(path: string, f: { json?: boolean }, io: Io): Promise<ExitCode> {
  return guard(!!f.json, io, () => {
    const ctx = context();
    const r = planCluster(normalizeCluster(readScenario(path, io.readStdin), ctx), ctx.fleet);
    io.out(f.json ? JSON.stringify(r, null, 2) + '\n' : renderCluster(r));
    return 0;
  });
}

export function renderCluster(r: ClusterReport): string {
  const o: string[] = [];
  o.push(
    heading(
      `Back-end fabric: ${r.servers.toLocaleString('en-US')} servers, ${r.rails} rails, ${r.planes} plane${r.planes > 1 ? 's' : ''}, ${r.switches.ports}-port ${r.switches.portGbps} Gb/s switches (${r.switches.model})`,
    ),
  );
  o.push(
    `${pc.bold(`${r.tiers} switch tier${r.tiers > 1 ? 's' : ''}`)} · largest cluster with 1/2/3 tiers: ${r.maxAcceleratorsByTiers.map((x) => x.toLocaleString('en-US')).join(' / ')} accelerators · bisection ${num(r.bisectionGbps / 1000)} Tb/s · oversubscription ${r.oversubscription}:1`,
  );
  o.push(
    table(
      ['tier', 'switches', 'links below'],
      r.switches.perTier.map((s, i) => [
        i === 0 ? 'leaf (rail)' : i === r.switches.perTier.length - 1 ? 'top' : `tier ${i + 1}`,
        s.toLocaleString('en-US'),
        (r.links.perLevel[i] ?? 0).toLocaleString('en-US'),
      ]),
    ),
  );
  o.push(
    `${r.switches.total.toLocaleString('en-US')} switches, ${r.links.total.toLocaleString('en-US')} links, ${r.links.transceivers.toLocaleString('en-US')} optical modules`,
  );
  const p = r.power;
  o.push(heading('Power'));
  // megawatts for a data hall, kilowatts below one (a node's 10 kW is not "0.0 MW")
  const [unit, scale] = p.facilityWatts >= 1e6 ? ['MW', 1e6] : ['kW', 1e3];
  const w = (x: number) => (x / scale).toFixed(1);
  o.push(
    table(
      ['', unit],
      [
        ['accelerators', w(p.acceleratorWatts)],
        ['hosts (CPUs, memory, NICs, fans)', w(p.hostWatts)],
        ['network (switches, optics)', w(p.networkWatts)],
        [styled(pc.bold('IT')), styled(pc.bold(w(p.itWatts)))],
        [styled(pc.bold(`facility (PUE ${p.pue})`)), styled(pc.bold(w(p.facilityWatts)))],
      ],
    ),
  );
  o.push(pc.dim(`node power basis: ${p.basis}; about ${p.racks.toLocaleString('en-US')} racks`));
  return o.join('\n') + '\n';
}

export async function goodputCommand(path: string, f: { json?: boolean }, io: Io): Promise<ExitCode> {
  return guard(!!f.json, io, () => {
    const ctx = context();
    const n = normalizeGoodput(readScenario(path, io.readStdin), ctx, nodeFiles);
    const progress = !f.json && process.stderr.isTTY;
    const r = planGoodput(n, ctx.reliability, progress ? (d, t) => io.err(`\rMonte Carlo ${d}/${t}`) : undefined);
    if (progress) io.err('\r\x1b[K');
    if (!f.json) printWarnings(r.warnings, io);
    io.out(f.json ? JSON.stringify(r, null, 2) + '\n' : renderGoodput(r));
    return 0;
  });
}

export function renderGoodput(r: GoodputReport): string {
  const o: string[] = [];
  o.push(heading(`Goodput of ${r.training.plan} (step ${seconds(r.training.stepSeconds)}, ${num(r.training.tokensPerSecond)} tokens/s when running)`));
  o.push(
    `${pc.bold(`effective training time ${pct(r.effectiveTrainingTime, 2)}`)} (Monte Carlo ${pct(r.monteCarlo.mean, 2)}, 95% CI ${pct(r.monteCarlo.ci95[0], 2)}-${pct(r.monteCarlo.ci95[1], 2)}, ${r.monteCarlo.trials} runs)`,
  );
  o.push(
    `${r.interruptions.expected.toFixed(1)} interruptions expected, one every ${r.interruptions.meanTimeBetweenHours.toFixed(2)} h (${r.interruptions.ratePerDevicePerDay.toExponential(2)} per device-day; ${r.source})`,
  );
  o.push(
    table(
      ['cause', 'expected', 'share'],
      r.interruptions.byGroup.map((g) => [g.group, g.expected.toFixed(1), pct(g.share)]),
    ),
  );
  const c = r.checkpoint;
  o.push(heading('Checkpoints'));
  o.push(
    `${bytes(c.sizeBytes)} each; write ${seconds(c.writeSeconds)}, read ${seconds(c.readSeconds)}; ${c.async ? 'asynchronous' : 'synchronous'}: training blocks ${seconds(c.blockingSeconds)} per checkpoint; every ${seconds(c.intervalSeconds)}${c.optimal ? ' (Young/Daly optimum)' : ''}`,
  );
  const l = r.lostSeconds;
  const total = l.restart + l.recompute + l.checkpoint;
  o.push(
    table(
      ['time lost to', 'hours', 'share of lost'],
      [
        ['restarts (detect, reschedule, reload)', (l.restart / 3600).toFixed(1), pct(l.restart / total)],
        ['recomputing work since the last checkpoint', (l.recompute / 3600).toFixed(1), pct(l.recompute / total)],
        ['writing checkpoints', (l.checkpoint / 3600).toFixed(1), pct(l.checkpoint / total)],
      ],
    ),
  );
  const s = r.spares;
  o.push(heading('Replacement and spares'));
  o.push(
    `${s.replacement === 'node' ? 'whole-node' : 'single-device'} replacement takes ${s.blastRadius} device${s.blastRadius > 1 ? 's' : ''} out per hardware failure; ${s.inRepair.toFixed(2)} units in repair on average (${s.repairHours} h repairs); with ${s.spares} hot spare${s.spares === 1 ? '' : 's'} the chance of waiting for a repair is ${pct(s.shortfallProbability)}; spares idle ${pct(s.spareOverhead, 2)} of the fleet; ${num(s.deviceHoursInRepair)} device-hours in repair over the run`,
  );
  if (r.training.daysToTrain !== undefined)
    o.push(`At ${num(r.training.effectiveTokensPerSecond)} effective tokens/s the run needs ${r.training.daysToTrain.toFixed(1)} days.`);
  return o.join('\n') + '\n';
}

function parseList(name: string, v: string | undefined, dflt: number[]): number[] {
  if (v === undefined) return dflt;
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.some((x) => !Number.isInteger(x) || x <= 0))
    throw new IssueError([mkIssue({ code: 'invalid_type', path: [`--${name}`], expected: 'a comma-separated list of positive integers', received: `'${v}'` })]);
  return xs;
}

export async function sweepCommand(
  what: string,
  path: string,
  f: { json?: boolean; domains?: string; counts?: string; nicGbps?: string; planes?: string; switchGbps?: string; maxTiers?: string },
  io: Io,
): Promise<ExitCode> {
  return guard(!!f.json, io, () => {
    if (what !== 'scaleup' && what !== 'weak')
      throw new IssueError([mkIssue({ code: 'invalid_value', path: ['sweep'], value: what, allowed: ['scaleup', 'weak'], reason: 'unknown sweep' })]);
    const ctx = context();
    const n = normalizeTraining(readScenario(path, io.readStdin), ctx, nodeFiles);
    let rows: SweepRow[];
    if (what === 'scaleup') rows = scaleUpSweep(n, parseList('domains', f.domains, [8, 16, 32, 64, 128, 256]));
    else {
      const nic = numFlag('nic-gbps', f.nicGbps) ?? (n.job.accelerator.scaleOut.bandwidth * 8) / 1e9;
      const planes = intFlag('planes', f.planes) ?? 1;
      const sw = numFlag('switch-gbps', f.switchGbps) ?? 51200;
      rows = weakScaling(n, parseList('counts', f.counts, [8, 64, 512, 1024, 8192, 16384, 65536, 131072]), ctx.fleet, {
        perNode: n.job.perNode,
        nicsPerNode: n.job.perNode,
        nicGbps: nic,
        planes,
        radix: Math.floor(sw / (nic / planes)),
        oversubscription: 1,
        maxTiers: intFlag('max-tiers', f.maxTiers) ?? 3,
      });
    }
    if (f.json) io.out(JSON.stringify({ kind: 'sweep', sweep: what, rows }, null, 2) + '\n');
    else {
      io.out(
        heading(
          what === 'scaleup'
            ? `Training throughput vs scale-up domain (${n.job.devices} × ${n.job.accelerator.id})`
            : `Weak scaling of ${n.job.model.name} on ${n.job.accelerator.id}`,
        ) + '\n',
      );
      io.out(
        table(
          [
            what === 'scaleup' ? 'domain' : 'devices',
            'tokens/s/device',
            what === 'scaleup' ? 'gain vs previous' : 'vs first',
            'MFU',
            ...(what === 'weak' ? ['tiers', 'DP exposed'] : []),
            'best plan',
          ],
          rows.map((r) =>
            r.tokensPerSecondPerDevice === null
              ? [r.x.toLocaleString('en-US'), '—', '—', '—', ...(what === 'weak' ? ['—', '—'] : []), styled(pc.yellow(r.reason ?? 'no plan'))]
              : [
                  r.x.toLocaleString('en-US'),
                  num(r.tokensPerSecondPerDevice, 1),
                  what === 'scaleup' ? `${(((r.relative ?? 1) - 1) * 100).toFixed(1)}%` : pct(r.relative ?? 1),
                  pct(r.mfu ?? 0),
                  ...(what === 'weak' ? [String(r.tiers ?? ''), seconds(r.dataExposedSeconds ?? 0)] : []),
                  r.fits ? r.plan : `${r.plan} (does not fit)`,
                ],
          ),
          { align: ['right', 'right', 'right', 'right', ...(what === 'weak' ? ['right' as const, 'right' as const] : []), 'left'] },
        ) + '\n',
      );
    }
    return 0;
  });
}
