import type { FileAccess, PlanContext } from '../context/types.js';
import { withOverrides, type Calibration } from '../cost/calibration.js';
import { IssueError, mkIssue, type Issue, type Path } from '../core/issues.js';
import { closest } from '../core/suggest.js';
import { resolve } from 'node:path';
import { parseCalibrationProfile } from '../cost/calibration-profile.js';

/** Resolves a scenario's `calibration:` (a profile file written by `sinan calibrate`), or the context's built-in one. */
export function resolveCalibration(name: unknown, ctx: PlanContext, files: FileAccess | null, baseDir: string, issues: Issue[]): Calibration {
  if (name === undefined) return ctx.calibration;
  const path: Path = ['calibration'];
  if (typeof name !== 'string') return ctx.calibration;
  if (!files) {
    issues.push(mkIssue({ code: 'unsupported', path, feature: 'a calibration file', reason: 'this interface reads no files on the server' }));
    return ctx.calibration;
  }
  const file = resolve(baseDir, name);
  let text: string;
  try {
    text = files.readText(file, 1024 * 1024);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    issues.push(
      mkIssue({ code: 'io_error', path, file: name, reason: code === 'ENOENT' ? `no such file (looked at ${file})` : `cannot be read (${code ?? 'error'})` }),
    );
    return ctx.calibration;
  }
  try {
    const p = parseCalibrationProfile(text, name);
    return withOverrides(ctx.calibration, p.overrides(ctx.calibration), p.name);
  } catch (e) {
    if (e instanceof IssueError) issues.push(...e.issues.map((i) => ({ ...i, path: [...path, ...i.path] })));
    else throw e;
    return ctx.calibration;
  }
}

/** A profile id looked up in a registry, with a did-you-mean when unknown. */
export function resolveProfileId<T>(
  id: string | undefined,
  table: ReadonlyMap<string, T>,
  fallback: string,
  kind: string,
  path: Path,
  issues: Issue[],
): { id: string; profile: T; defaulted: boolean } {
  if (id === undefined) return { id: fallback, profile: table.get(fallback)!, defaulted: true };
  const p = table.get(id);
  if (p) return { id, profile: p, defaulted: false };
  const ids = [...table.keys()];
  issues.push(mkIssue({ code: 'unknown_id', path, kind, id, candidates: ids, suggestion: closest(id, ids), hint: "see 'sinan profiles'" }));
  return { id: fallback, profile: table.get(fallback)!, defaulted: true };
}
