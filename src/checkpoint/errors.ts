/**
 * Errors of the checkpoint engine. Every user-facing failure (a bad or hostile file, an unsafe
 * output, an option a file cannot take) is a CheckpointError with a code and the file it is
 * about; the CLI renders them as issues (exit 2). Messages never quote raw file contents: names
 * read from a header go through `quoted`, numbers are printed as numbers.
 */
import { escapeControls } from '../util/terminal-text.js';

export type CheckpointErrorCode =
  'io_error' | 'invalid_file' | 'unsupported' | 'invalid_option' | 'output_exists' | 'unsafe_output' | 'nothing_to_do' | 'non_finite' | 'integrity';

export class CheckpointError extends Error {
  constructor(
    readonly code: CheckpointErrorCode,
    readonly detail: string,
    readonly file?: string,
  ) {
    super(file ? `${file}: ${detail}` : detail);
    this.name = 'CheckpointError';
  }
}

/** A file that is not valid safetensors (kept as its own class for the library's users). */
export class SafetensorsError extends CheckpointError {
  constructor(message: string, file: string) {
    super('invalid_file', message, file);
    this.name = 'SafetensorsError';
  }
}

/**
 * A name read from a file, safe to print: a JSON string literal of at most 100 characters in which
 * no terminal control character is left (JSON.stringify escapes C0; DEL, C1 and the bidi controls
 * are escaped as well, as `\uXXXX`, which keeps the literal valid JSON).
 */
export function quoted(name: string): string {
  const s = name.length > 100 ? `${name.slice(0, 100)}…` : name;
  return escapeControls(JSON.stringify(s));
}

/** A CheckpointError for a failed system call on `file`, worded from its errno code alone. */
export function ioError(e: unknown, file: string, doing: string): CheckpointError {
  const code = (e as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    ENOENT: 'no such file or folder',
    ELOOP: 'a symlink loop (or too many levels of symlinks)',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EISDIR: 'is a folder',
    ENOTDIR: 'a part of the path is not a folder',
    ENOSPC: 'no space left on the device',
    EROFS: 'read-only file system',
    EMFILE: 'too many open files',
    EIO: 'input/output error',
    EXDEV: 'crosses file systems',
  };
  return new CheckpointError('io_error', `${doing}: ${why[code ?? ''] ?? `system error ${code ?? 'unknown'}`}`, file);
}
