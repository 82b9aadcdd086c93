import { mkIssue, type Issue, type IssueData } from '../core/issues.js';

/** The contract's error object, as the CLI prints it with --json. */
export function errorText(issues: Issue[]): string {
  return JSON.stringify({ error: { issues } }, null, 2) + '\n';
}

export function issueText(d: IssueData): string {
  return errorText([mkIssue(d)]);
}
