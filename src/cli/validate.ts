import { pc } from './style.js';
import { corpusDir } from '../validate/corpus.js';
import { validateCorpus, type ValidationSummary } from '../validate/validate.js';
import { mkIssue } from '../core/issues.js';
import { context, guard, reportIssues, type ExitCode, type Io } from './common.js';
import { heading, num, pct, styled, table } from './format.js';

export async function validateCommand(
  f: { json?: boolean; kind?: string; dir?: string; rows?: boolean; engineProfiles?: boolean; frameworkProfiles?: boolean; outOfSample?: boolean },
  io: Io,
): Promise<ExitCode> {
  const json = !!f.json;
  return guard(json, io, () => {
    const kind = f.kind ?? 'training';
    if (kind !== 'training' && kind !== 'inference') {
      return reportIssues(
        [mkIssue({ code: 'invalid_value', path: ['--kind'], value: kind, allowed: ['training', 'inference'], reason: 'unknown kind' })],
        json,
        io,
      );
    }
    const dir = corpusDir(f.dir);
    const ctx = context();
    const s = validateCorpus(dir, kind, ctx, {
      engineProfiles: f.engineProfiles !== false,
      frameworkProfiles: f.frameworkProfiles !== false,
      outOfSample: f.outOfSample !== false,
    });
    if (json) io.out(JSON.stringify({ corpus: dir, ...s }, null, 2) + '\n');
    else io.out(renderValidation(s, dir, f.rows !== false));
    return 0;
  });
}

export function renderValidation(s: ValidationSummary, dir: string, rows: boolean): string {
  const out: string[] = [];
  out.push(heading(`Validation: ${s.kind} (${dir})`));
  if (rows) {
    out.push(
      table(
        ['id', 'source', 'plan', 'measured', 'predicted', 'error'],
        s.rows.map((r) => [
          r.id,
          r.group,
          r.plan ?? styled(pc.dim('cannot express')),
          num(r.measured),
          r.predicted === null ? '-' : num(r.predicted),
          r.ape === null ? '-' : r.ape > 25 ? styled(pc.red(`${r.ape.toFixed(1)}%`)) : `${r.ape.toFixed(1)}%`,
        ]),
        { align: ['left', 'left', 'left', 'right', 'right', 'right'] },
      ),
    );
  }
  const oos = s.outOfSample;
  const byId = new Map(oos?.rows.map((r) => [r.id, r]) ?? []);
  if (rows && oos) {
    out.push(heading('Out of sample: each row predicted by a fit that never saw its source group'));
    out.push(
      table(
        ['id', 'source', 'measured', 'predicted', 'error', 'in sample'],
        s.rows
          .filter((r) => r.ape !== null)
          .map((r) => {
            const o = byId.get(r.id);
            return [
              r.id,
              r.group,
              num(r.measured),
              o?.predicted === null || o?.predicted === undefined ? '-' : num(o.predicted),
              o?.ape === null || o?.ape === undefined ? '-' : o.ape > 25 ? styled(pc.red(`${o.ape.toFixed(1)}%`)) : `${o.ape.toFixed(1)}%`,
              `${r.ape!.toFixed(1)}%`,
            ];
          }),
        { align: ['left', 'left', 'right', 'right', 'right', 'right'] },
      ),
    );
  }
  out.push(heading('By source'));
  const og = new Map(oos?.groups.map((g) => [g.group, g]) ?? []);
  out.push(
    table(
      ['source', 'rows', 'median error', 'p90 error', 'median bias', ...(oos ? ['held out: median', 'p90'] : [])],
      s.groups.map((g) => [
        g.group,
        g.n,
        `${g.medianApe.toFixed(1)}%`,
        `${g.p90Ape.toFixed(1)}%`,
        `${g.bias >= 0 ? '+' : ''}${(g.bias * 100).toFixed(0)}%`,
        ...(oos ? [og.get(g.group) ? `${og.get(g.group)!.medianApe.toFixed(1)}%` : '-', og.get(g.group) ? `${og.get(g.group)!.p90Ape.toFixed(1)}%` : '-'] : []),
      ]),
    ),
  );
  if (s.profiles?.length) {
    out.push(heading('Engine profiles applied (data/validation-engines.json)'));
    for (const p of s.profiles)
      out.push(
        `  ${p.group}: engine ${p.engine}${p.kvCacheWithFp8Weights ? `; kvCache ${p.kvCacheWithFp8Weights} where weights are fp8 and the scenario names no KV format` : ''}`,
      );
  }
  const unsupported = s.rows.filter((r) => r.unsupported);
  if (unsupported.length) {
    out.push(heading('Rows Sinan cannot express'));
    for (const r of unsupported) out.push(`  ${r.id}: ${r.unsupported}`);
  }
  if (oos)
    out.push(
      pc.bold(
        `Out of sample (leave one source group out, refitting the ${oos.fittedConstants.length} fitted constants): median absolute error ${oos.medianApe.toFixed(1)}%, p90 ${oos.p90Ape.toFixed(1)}%, mean ${oos.meanApe.toFixed(1)}%; within 10%: ${pct(oos.within10, 0)}, 25%: ${pct(oos.within25, 0)}`,
      ),
    );
  out.push(
    `In sample (the shipped constants, fitted to these rows): ${s.predicted} rows predicted, ${s.unsupported} not expressible: median absolute error ${s.medianApe.toFixed(1)}%, p90 ${s.p90Ape.toFixed(1)}%, mean ${s.meanApe.toFixed(1)}%; within 10%: ${pct(s.within10, 0)}, 25%: ${pct(s.within25, 0)}, 50%: ${pct(s.within50, 0)}; predicted not to fit: ${s.notFitting}`,
  );
  return out.join('\n') + '\n';
}
