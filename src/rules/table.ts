import { at, type Issue, type IssueBody, type Path } from '../core/issues.js';

/**
 * Validity rules as one table per plan kind, used by scenario loading (on the keys the user
 * fixed) and by the search (on every complete candidate): a rule runs as soon as every key it
 * reads is known, and says what is wrong as issue data.
 */
export interface Rule<J, P> {
  /** Plan keys the rule reads; it runs only when all are set. */
  keys: readonly (keyof P)[];
  /** Where the problem is reported. */
  path: Path;
  /** The problem, or null when the plan obeys the rule. */
  check: (job: J, p: Required<Pick<P, keyof P>>) => IssueBody | null;
}

function has<P>(p: Partial<P>, keys: readonly (keyof P)[]): boolean {
  for (const k of keys) if (p[k] === undefined) return false;
  return true;
}

/** Every broken rule among those whose keys are all set. */
export function checkRules<J, P>(rules: readonly Rule<J, P>[], job: J, p: Partial<P>): Issue[] {
  const out: Issue[] = [];
  for (const r of rules) {
    if (!has(p, r.keys)) continue;
    const d = r.check(job, p as Required<Pick<P, keyof P>>);
    if (d) out.push(at(r.path, d));
  }
  return out;
}

/** The first broken rule of a complete plan (no allocation when the plan is valid). */
export function firstBroken<J, P>(rules: readonly Rule<J, P>[], job: J, p: P): { rule: Rule<J, P>; data: IssueBody } | null {
  for (const r of rules) {
    const d = r.check(job, p as Required<Pick<P, keyof P>>);
    if (d) return { rule: r, data: d };
  }
  return null;
}

/** Issue data for "divisor must divide dividend", or null when it does. */
export function divides(divisor: number, dividend: number, divisorName: string, dividendName: string, why?: string): IssueBody | null {
  if (dividend % divisor === 0) return null;
  return { code: 'not_divisible', dividend, divisor, divisorName, dividendName, ...(why ? { why } : {}) };
}

export function atMost(value: number, maximum: number, what: string): IssueBody | null {
  return value <= maximum ? null : { code: 'too_big', maximum, inclusive: true, value, what };
}

export function divisors(n: number): number[] {
  const out: number[] = [];
  for (let i = 1; i * i <= n; i++) {
    if (n % i === 0) {
      out.push(i);
      if (i * i !== n) out.push(n / i);
    }
  }
  return out.sort((x, y) => x - y);
}
