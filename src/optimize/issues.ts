import { CheckpointError } from '../checkpoint/errors.js';
import { IssueError, mkIssue, type Issue } from '../core/issues.js';
import { GgufWriteError } from '../gguf/gguf-writer.js';
import { GgufModelError } from '../gguf/hf-model.js';
import { TokenizerError } from '../gguf/hf-tokenizer.js';

/** A file problem from the checkpoint engine or the GGUF writer as an issue of the contract: the file (or field) it concerns, and why. */
export function fileIssue(e: unknown, path: string): Issue | null {
  if (e instanceof CheckpointError) {
    const file = e.file ?? path;
    const reason = e.file ? e.detail : e.message;
    if (e.code === 'io_error') return mkIssue({ code: 'io_error', path: ['checkpoint'], file, reason });
    if (e.code === 'unsupported' || e.code === 'nothing_to_do') return mkIssue({ code: 'unsupported', path: ['checkpoint'], feature: file, reason });
    return mkIssue({ code: 'invalid_value', path: ['checkpoint'], value: file, reason: `${file}: ${reason}` });
  }
  if (e instanceof GgufModelError)
    return mkIssue({ code: 'unsupported', path: ['checkpoint', 'config.json', e.field], feature: `GGUF output of ${path}`, reason: e.message });
  if (e instanceof GgufWriteError || e instanceof TokenizerError) return mkIssue({ code: 'invalid_value', path: ['--out'], value: path, reason: e.message });
  return null;
}

/** Runs `body`, turning file problems into IssueErrors (other errors are bugs and propagate). */
export async function withFileIssues<T>(path: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof IssueError) throw e;
    const i = fileIssue(e, path);
    if (i) throw new IssueError([i]);
    throw e;
  }
}
