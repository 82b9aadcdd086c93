import type { IssueBody } from '../core/issues.js';
import { atMost, divides, type Rule } from '../rules/table.js';
import type { ServeJob, ServeSplit } from './types.js';

/** The rules a serving split obeys; scenario loading and the split search both use this table. */
type R = Rule<ServeJob, ServeSplit>;
const rule = (keys: readonly (keyof ServeSplit)[], path: (string | number)[], check: (j: ServeJob, p: ServeSplit) => IssueBody | null): R => ({
  keys,
  path,
  check: check as R['check'],
});
const P = (k: string) => ['parallelism', k];

export const SERVE_RULES: readonly R[] = [
  rule(['tensor'], P('tensor'), (j, p) => divides(p.tensor, j.model.attention.heads, 'tensor', 'the attention heads')),
  rule(['tensor'], P('tensor'), (j, p) => divides(p.tensor, j.devices, 'tensor', j.cpu ? 'system.sockets' : 'system.count')),
  rule(['pipeline'], P('pipeline'), (j, p) => divides(p.pipeline, j.devices, 'pipeline', j.cpu ? 'system.sockets' : 'system.count')),
  rule(['tensor', 'pipeline'], P('pipeline'), (j, p) =>
    divides(p.tensor * p.pipeline, j.devices, 'tensor x pipeline', j.cpu ? 'system.sockets' : 'system.count'),
  ),
  rule(['pipeline'], P('pipeline'), (j, p) => atMost(p.pipeline, j.model.layers, `pipeline (at most the model's ${j.model.layers} layers)`)),
  rule(['expert'], P('expert'), (j, p) =>
    !j.model.moe && p.expert > 1
      ? { code: 'invalid_value', value: p.expert, reason: 'expert parallelism needs a mixture-of-experts model; this model is dense' }
      : null,
  ),
  rule(['expert'], P('expert'), (j, p) => (j.model.moe && p.expert > 1 ? divides(p.expert, j.model.moe.experts, 'expert', 'the routed experts') : null)),
  rule(['expert', 'tensor'], P('expert'), (j, p) =>
    j.model.moe && p.expert > 1 ? divides(p.expert, p.tensor, 'expert', 'tensor', 'experts are spread over the tensor-parallel group') : null,
  ),
];
