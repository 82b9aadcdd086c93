/**
 * Errors as data: every problem with user input is an Issue with a stable code and a
 * path into the scenario, so the CLI can render it and `--json` can return it.
 */
export type IssueCode =
  'invalid_type' | 'missing_key' | 'unknown_id' | 'out_of_range' | 'not_divisible' | 'invalid_value' | 'parse_error' | 'io_error' | 'unsupported';

export type Path = (string | number)[];

export interface Issue {
  code: IssueCode;
  path: Path;
  message: string;
}

/** Thrown only across the boundary between the pure core and the CLI shell. */
export class ScenarioError extends Error {
  readonly issues: Issue[];
  constructor(issues: Issue[]) {
    super(issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('\n'));
    this.name = 'ScenarioError';
    this.issues = issues;
  }
}

export function issue(code: IssueCode, path: Path, message: string): Issue {
  return { code, path, message };
}

export function formatPath(path: Path): string {
  if (path.length === 0) return '(root)';
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : p))
    .join('.')
    .replace(/\.\[/g, '[');
}

/** Throws a ScenarioError when the list is non-empty. */
export function raise(issues: Issue[]): void {
  if (issues.length > 0) throw new ScenarioError(issues);
}
