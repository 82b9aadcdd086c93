/** The data of every issue kind (errors as data); the wording lives in messages.ts. */

export type Path = (string | number)[];

export type IssueData =
  | { code: 'unrecognized_key'; path: Path; key: string; suggestion: string | null; allowed: string[] }
  | { code: 'invalid_type'; path: Path; expected: string; received: string }
  | { code: 'missing_key'; path: Path; key: string; alternatives?: string[]; hint?: string }
  | { code: 'unknown_id'; path: Path; kind: string; id: string; candidates: string[]; suggestion: string | null; hint?: string }
  | { code: 'too_small'; path: Path; minimum: number; inclusive: boolean; value: number; what?: string }
  | { code: 'too_big'; path: Path; maximum: number; inclusive: boolean; value: number; what?: string }
  | { code: 'not_divisible'; path: Path; dividend: number; divisor: number; dividendName: string; divisorName: string; why?: string }
  | { code: 'invalid_value'; path: Path; value: unknown; allowed?: readonly string[]; reason?: string }
  | { code: 'conflict'; path: Path; keys: string[]; reason: string }
  | { code: 'parse_error'; path: Path; source: string; detail: string; line?: number; column?: number }
  | { code: 'limit_exceeded'; path: Path; what: string; limit: number; unit: string; value?: number }
  | { code: 'io_error'; path: Path; file: string; reason: string }
  | { code: 'unsupported'; path: Path; feature: string; reason: string }
  | { code: 'unsupported_architecture'; path: Path; key: string; value: unknown; reason: string }
  | { code: 'no_plan'; path: Path; reason: string }
  | { code: 'internal_error'; path: Path; detail: string };

export type IssueCode = IssueData['code'];

/** An issue's data without its path (a rule's finding, placed later). */
export type IssueBody = IssueData extends infer U ? (U extends IssueData ? Omit<U, 'path'> : never) : never;
