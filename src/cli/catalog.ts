import { catalogListing } from '../hardware/catalog.js';
import { countParameters } from '../model/params.js';
import { calibrationSources } from '../cost/calibration.js';
import type { ExitCode, Io } from './common.js';
import { context, reportIssues } from './common.js';
import { mkIssue } from '../core/issues.js';
import { z } from 'zod';
import { SCENARIO_SCHEMAS, type ScenarioKind } from '../scenario/schema.js';
import { heading, num, table, wrapText } from './format.js';

export function modelsCommand(f: { json?: boolean }, io: Io): ExitCode {
  const models = context().models;
  const rows = models.ids.map((id) => {
    const m = models.get(id)!;
    const c = countParameters(m);
    return {
      id,
      name: m.name,
      family: m.family,
      parameters: c.total,
      activeParameters: c.active,
      layers: m.layers,
      hidden: m.hidden,
      attention: m.attention.kind,
      heads: m.attention.heads,
      kvHeads: m.attention.kvHeads,
      experts: m.moe ? `${m.moe.topK}/${m.moe.experts}` : null,
      vocab: m.vocab,
      source: m.source,
    };
  });
  if (f.json) io.out(JSON.stringify(rows, null, 2) + '\n');
  else {
    io.out(heading('Built-in models') + '\n');
    io.out(
      table(
        ['id', 'parameters', 'active', 'layers', 'hidden', 'attention', 'experts', 'vocab'],
        rows.map((r) => [
          r.id,
          num(r.parameters),
          num(r.activeParameters),
          r.layers,
          r.hidden,
          `${r.attention} ${r.heads}/${r.kvHeads}`,
          r.experts ?? '-',
          r.vocab,
        ]),
      ) + '\n',
    );
    io.out('Any Hugging Face config.json works too: give its path, or its keys inline, as `model`.\n');
  }
  return 0;
}

export function hardwareCommand(f: { json?: boolean; kind?: string }, io: Io): ExitCode {
  let rows = catalogListing(context().catalog);
  if (f.kind) {
    const kinds = [...new Set(rows.map((r) => r.kind))];
    if (!kinds.includes(f.kind))
      return reportIssues([mkIssue({ code: 'invalid_value', path: ['--kind'], value: f.kind, allowed: kinds, reason: 'unknown kind' })], !!f.json, io);
    rows = rows.filter((r) => r.kind === f.kind);
  }
  if (f.json) io.out(JSON.stringify(rows, null, 2) + '\n');
  else {
    io.out(heading('Hardware catalog (data/hardware.json, every entry with sources)') + '\n');
    io.out(
      table(
        ['kind', 'id', 'name', 'summary'],
        rows.map((r) => [r.kind, r.id, r.name, r.summary]),
        { align: ['left', 'left', 'left', 'left'] },
      ) + '\n',
    );
  }
  return 0;
}

export function calibrationCommand(f: { json?: boolean }, io: Io): ExitCode {
  const rows = calibrationSources(context().calibrationSources);
  if (f.json) io.out(JSON.stringify(rows, null, 2) + '\n');
  else {
    io.out(heading('Calibration constants (data/calibration.json)') + '\n');
    for (const r of rows) io.out(`${wrapText(`${r.key} = ${JSON.stringify(r.value).replace(/,"/g, ', "')}`)}\n${wrapText(r.source, '    ')}\n`);
  }
  return 0;
}

export function profilesCommand(f: { json?: boolean }, io: Io): ExitCode {
  const p = context().profiles;
  const rows = [
    ...[...p.frameworks.values()].map((x) => ({ kind: 'framework', id: x.id, name: x.name, default: x.id === p.defaultFramework, sources: x.sources })),
    ...[...p.engines.values()].map((x) => ({ kind: 'engine', id: x.id, name: x.name, default: x.id === p.defaultEngine, sources: x.sources })),
  ];
  if (f.json) io.out(JSON.stringify(rows, null, 2) + '\n');
  else {
    io.out(heading('Software profiles (data/profiles.json): training.framework and engine name them') + '\n');
    io.out(
      table(
        ['kind', 'id', 'what it is'],
        rows.map((r) => [r.kind, r.id + (r.default ? ' (default)' : ''), r.name]),
        { align: ['left', 'left', 'left'] },
      ) + '\n',
    );
  }
  return 0;
}

export function schemaCommand(kind: string | undefined, io: Io): ExitCode {
  const kinds = Object.keys(SCENARIO_SCHEMAS) as ScenarioKind[];
  if (kind !== undefined && !kinds.includes(kind as ScenarioKind))
    return reportIssues([mkIssue({ code: 'invalid_value', path: ['kind'], value: kind, allowed: kinds, reason: 'unknown scenario kind' })], false, io);
  const schema = kind
    ? z.toJSONSchema(SCENARIO_SCHEMAS[kind as ScenarioKind], { unrepresentable: 'any' })
    : z.toJSONSchema(z.union(kinds.map((k) => SCENARIO_SCHEMAS[k]) as unknown as [z.ZodType, z.ZodType]), { unrepresentable: 'any' });
  io.out(JSON.stringify({ title: `Sinan scenario${kind ? ` (${kind})` : ''}, contract v2`, ...schema }, null, 2) + '\n');
  return 0;
}
