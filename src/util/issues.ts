/**
 * Transitional: the checkpoint commands still build issues as { code, path, message } literals.
 * They are carried as they are (the contract's code, path and message) by the one IssueError.
 */
import { formatPath, IssueError, type Issue, type Path } from '../core/issues.js';

export { formatPath, type Path };

export type IssueCode = Issue['code'];

export interface LegacyIssue {
  code: IssueCode;
  path: Path;
  message: string;
}

export class ScenarioError extends IssueError {
  constructor(issues: LegacyIssue[]) {
    super(issues as unknown as Issue[]);
  }
}
