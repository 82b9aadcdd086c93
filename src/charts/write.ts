import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { IssueError, mkIssue } from '../core/issues.js';
import { reportHtml, type ReportInput } from './report-html.js';
import { renderSvg } from './svg.js';

/** The CLI's --html FILE and --svg DIR: written to a temporary file beside the target, then renamed (never a partial file). */
export function writeAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${Date.now().toString(36)}-${process.pid}.sinan.tmp`);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new IssueError([mkIssue({ code: 'io_error', path: [], file: path, reason: (e as Error).message })]);
  }
}

export function writeReportOutputs(r: ReportInput, o: { html?: string; svg?: string; inputs: string[] }): string[] {
  const written: string[] = [];
  const inputs = new Set(o.inputs.map((p) => resolve(p)));
  if (o.html) {
    if (inputs.has(resolve(o.html)))
      throw new IssueError([mkIssue({ code: 'conflict', path: ['--html'], keys: ['--html', 'scenario'], reason: 'the report would overwrite the scenario' })]);
    writeAtomic(
      o.html,
      reportHtml(r, (c) => renderSvg(c)),
    );
    written.push(o.html);
  }
  if (o.svg) {
    try {
      mkdirSync(o.svg, { recursive: true });
    } catch (e) {
      throw new IssueError([mkIssue({ code: 'io_error', path: ['--svg'], file: o.svg, reason: (e as Error).message })]);
    }
    for (const c of r.charts) {
      const f = join(o.svg, `${c.id}.svg`);
      if (inputs.has(resolve(f))) continue;
      writeAtomic(f, renderSvg(c));
      written.push(f);
    }
  }
  return written;
}
