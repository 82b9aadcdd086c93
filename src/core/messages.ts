import type { IssueData } from './issue-types.js';

/** English wording of every issue code, apart from detection (as zod keeps its locales apart). */
export function describeIssue(d: IssueData): string {
  switch (d.code) {
    case 'unrecognized_key':
      return `unknown key '${d.key}'${d.suggestion ? `; did you mean '${d.suggestion}'?` : ''}${d.allowed.length && d.allowed.length <= 16 ? ` (valid here: ${d.allowed.join(', ')})` : ''}`;
    case 'invalid_type':
      return `expected ${d.expected}, found ${d.received}`;
    case 'missing_key':
      return `missing required key '${d.key}'${d.alternatives?.length ? ` (also accepted: ${d.alternatives.join(', ')})` : ''}${d.hint ? `; ${d.hint}` : ''}`;
    case 'unknown_id': {
      const near = d.suggestion ? `; did you mean '${d.suggestion}'?` : '';
      const list = d.candidates.length ? ` Known ${d.kind}s: ${d.candidates.slice(0, 12).join(', ')}${d.candidates.length > 12 ? ', …' : ''}` : '';
      return `unknown ${d.kind} '${d.id}'${near}.${list}${d.hint ? ` (${d.hint})` : ''}`;
    }
    case 'too_small':
      return `${d.what ?? 'value'} must be ${d.inclusive ? 'at least' : 'more than'} ${d.minimum}, found ${d.value}`;
    case 'too_big':
      return `${d.what ?? 'value'} must be ${d.inclusive ? 'at most' : 'less than'} ${d.maximum}, found ${d.value}`;
    case 'not_divisible':
      return `${d.divisorName} (${d.divisor}) must divide ${d.dividendName} (${d.dividend})${d.why ? `: ${d.why}` : ''}`;
    case 'invalid_value': {
      const shown = typeof d.value === 'string' ? `'${d.value}'` : JSON.stringify(d.value);
      return `${d.reason ?? 'invalid value'}${shown !== undefined ? ` (found ${shown})` : ''}${d.allowed?.length ? `; one of ${d.allowed.join(', ')}` : ''}`;
    }
    case 'conflict':
      return `${d.keys.join(' and ')} conflict: ${d.reason}`;
    case 'parse_error':
      return `${d.source}: ${d.detail}${d.line !== undefined ? ` (line ${d.line}${d.column !== undefined ? `, column ${d.column}` : ''})` : ''}`;
    case 'limit_exceeded':
      return `${d.what} exceeds the limit of ${d.limit.toLocaleString('en-US')} ${d.unit}${d.value !== undefined ? ` (found ${d.value.toLocaleString('en-US')})` : ''}`;
    case 'io_error':
      return `${d.file}: ${d.reason}`;
    case 'unsupported':
      return `${d.feature} is not supported: ${d.reason}`;
    case 'unsupported_architecture':
      return `unsupported architecture: '${d.key}' = ${JSON.stringify(d.value)}: ${d.reason}`;
    case 'no_plan':
      return d.reason;
    case 'internal_error':
      return `internal error (a bug in Sinan; please report it): ${d.detail}`;
  }
}
