import type { z } from 'zod';
import type { PlanContext } from '../context/types.js';
import { IssueError, type Issue } from '../core/issues.js';
import { parseWith } from './load.js';
import { unknownModel } from './model.js';
import { unknownAccelerator } from './system.js';

/**
 * Validates a scenario against its schema; when that fails, the catalog ids it names (the model,
 * the accelerator) are checked too, so a misspelled key and an unknown id are reported together
 * instead of one run after the other.
 */
export function parseScenario<T>(schema: z.ZodType<T>, data: unknown, ctx: PlanContext): T {
  try {
    return parseWith(schema, data);
  } catch (e) {
    if (!(e instanceof IssueError)) throw e;
    const extra: Issue[] = [];
    const d = (data ?? {}) as { model?: unknown; system?: { accelerator?: unknown } };
    const at = (path: string) => e.issues.some((i) => i.path.join('.') === path);
    if (typeof d.model === 'string' && !d.model.endsWith('.json') && !ctx.models.get(d.model) && !at('model'))
      extra.push(unknownModel(d.model, ['model'], ctx));
    const acc = typeof d.system === 'object' && d.system !== null ? d.system.accelerator : undefined;
    if (typeof acc === 'string' && !ctx.catalog.accelerators.get(acc) && !at('system.accelerator')) extra.push(unknownAccelerator(acc, ctx));
    if (!extra.length) throw e;
    throw new IssueError([...e.issues, ...extra]);
  }
}
