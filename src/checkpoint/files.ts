import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { escapeRegex } from '../util/regex.js';
import { CheckpointError, ioError } from './errors.js';

/**
 * File-system safety for the checkpoint engine: inputs are opened so that nothing can hang or
 * mislead (a FIFO, a device, a folder or a symlink loop is an error naming the file; symlinks
 * to regular files work, as the Hugging Face cache needs), reads are exact (a file that ends
 * early, e.g. truncated during a run, is an error naming it), and outputs never touch inputs and
 * appear atomically: everything is written into a temporary file or folder beside the target
 * and renamed into place only when complete.
 */

/** Opens a regular file for reading (following symlinks) without blocking on FIFOs or devices. */
export function openRegular(path: string, what = 'file'): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw ioError(e, path, `cannot open the ${what}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const kind = st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO (named pipe)' : st.isSocket() ? 'a socket' : 'a device';
      throw new CheckpointError('invalid_file', `is ${kind}, not a regular ${what}`, path);
    }
    return { fd, size: st.size };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** Reads exactly buf.length bytes at `position`; a short read means the file ended early. */
export function readExact(fd: number, buf: Uint8Array, position: number, file: string, what: () => string): void {
  let off = 0;
  while (off < buf.length) {
    let n: number;
    try {
      n = readSync(fd, buf, off, buf.length - off, position + off);
    } catch (e) {
      throw ioError(e, file, `cannot read ${what()}`);
    }
    if (n === 0) throw endedEarly(position + off, what(), file);
    off += n;
  }
}

/** The error for a file that ends before the bytes being read (it shrank, or was replaced, during the run). */
export function endedEarly(at: number, what: string, file: string): CheckpointError {
  return new CheckpointError('io_error', `the file ends at byte ${at} while reading ${what} (was it truncated or replaced during the run?)`, file);
}

/** Reads a small regular file as UTF-8 text (at most `limit` bytes). */
export function readSmallText(path: string, what: string, limit = 64 * 1024 * 1024): string {
  const { fd, size } = openRegular(path, what);
  try {
    if (size > limit) throw new CheckpointError('invalid_file', `is ${size} bytes, more than the ${limit}-byte limit for a ${what}`, path);
    const buf = new Uint8Array(size);
    readExact(fd, buf, 0, path, () => `the ${what}`);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buf);
    } catch {
      throw new CheckpointError('invalid_file', `the ${what} is not valid UTF-8`, path);
    }
  } finally {
    closeSync(fd);
  }
}

/** JSON.parse that never echoes the text (V8's messages quote it). */
export function parseJsonText(text: string, file: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CheckpointError('invalid_file', `the ${what} is not valid JSON`, file);
  }
}

/** What kind of thing a path is, following symlinks ('none' when it does not exist). */
export function pathKind(path: string): 'file' | 'folder' | 'other' | 'none' {
  try {
    const st = statSync(path);
    return st.isFile() ? 'file' : st.isDirectory() ? 'folder' : 'other';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      // a dangling symlink is not "nothing"
      try {
        lstatSync(path);
        return 'other';
      } catch {
        return 'none';
      }
    }
    throw ioError(e, path, 'cannot look at it');
  }
}

/** What a path that is neither a regular file nor a folder is, in words. */
export function otherKind(path: string): string {
  try {
    const st = statSync(path);
    return st.isFIFO() ? 'a FIFO (named pipe)' : st.isSocket() ? 'a socket' : 'a device';
  } catch {
    return 'a dangling symlink';
  }
}

/** The real path of `p`, resolving symlinks of its existing ancestors (p itself may not exist yet). */
export function realish(p: string): string {
  const abs = resolve(p);
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return join(realpathSync(cur), ...rest.reverse());
    } catch {
      const parent = dirname(cur);
      if (parent === cur) return abs;
      rest.push(basename(cur));
      cur = parent;
    }
  }
}

const inside = (child: string, parent: string) => child !== parent && child.startsWith(parent.endsWith(sep) ? parent : parent + sep);

/**
 * Refuses an output that is, contains or lies inside an input: `inputs` are the input path and
 * the real paths of every file read (symlink targets included), `folders` the input folders.
 */
export function checkOutputPlacement(output: string, inputs: string[], folders: string[]): void {
  const out = realish(output);
  const files = inputs.map(realish);
  const dirs = folders.map(realish);
  for (const d of dirs) if (out === d) throw new CheckpointError('unsafe_output', `the output is the input folder ${d}; write somewhere else`, output);
  for (const f of files) if (out === f) throw new CheckpointError('unsafe_output', `the output is the input ${f}; write somewhere else`, output);
  for (const d of dirs)
    if (inside(out, d)) throw new CheckpointError('unsafe_output', `the output lies inside the input folder ${d}; write somewhere else`, output);
  for (const p of [...dirs, ...files])
    if (inside(p, out)) throw new CheckpointError('unsafe_output', `the output contains the input ${p}; write somewhere else`, output);
}

/**
 * Files a replaceable checkpoint folder may hold: what Sinan writes into one (weights and their
 * index, config.json, GGUF, containers, its optimization report) and the Hugging Face files it
 * copies beside them. Anything else (notes, READMEs, other JSON) makes --force refuse the folder.
 */
const CHECKPOINT_FILE =
  /^(.+\.safetensors|.+\.safetensors\.index\.json|.+\.gguf|.+\.sinanz|config\.json|generation_config\.json|optimization\.json|tokenizer(_config)?\.json|tokenizer\.model|special_tokens_map\.json|added_tokens\.json|vocab\.(json|txt)|merges\.txt|chat_template\.(jinja|json)|preprocessor_config\.json)$/;

/** Extensions of single-file formats: an output named so is a mistake for a folder output. */
const FILE_LIKE = /\.(bin|pt|pth|ckpt|gguf|sinanz|json|safetensor|st|npz|h5|onnx)$/i;

/**
 * Whether `output` is one .safetensors file (true) or a checkpoint folder (false); a name with a
 * file extension that is not .safetensors (out.bin, model.gguf) is refused rather than silently
 * made a folder of that name.
 */
export function singleFileOutput(output: string): boolean {
  if (output.endsWith('.safetensors')) return true;
  const m = FILE_LIKE.exec(basename(output));
  if (m)
    throw new CheckpointError(
      'invalid_option',
      `the output is named like a ${m[1]} file, but this command writes a checkpoint folder, or one file when the name ends in .safetensors: name a folder, or use .safetensors`,
      output,
    );
  return false;
}

/** The temporary outputs of AtomicOutput for `path`, by the process that made them. */
const tempPattern = (path: string) => new RegExp(`^\\.${escapeRegex(basename(path))}\\.sinan-(\\d+)-[0-9a-z]+\\.tmp(\\.old)?$`);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Removes temporaries a killed run left beside `path` (SIGKILL gives no chance to clean up):
 * only Sinan's own names for this target, and only when their process is gone.
 */
function removeStaleTemporaries(path: string, parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  const re = tempPattern(path);
  for (const n of names) {
    const m = re.exec(n);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    // killed between commit's two renames: the previous output is the `.old` one; put it back
    if (m[2] && !existsSync(path)) renameSync(join(parent, n), path);
    else rmSync(join(parent, n), { recursive: true, force: true });
  }
}

/**
 * An output written atomically: `path` (a file or a folder) is built as a temporary sibling and
 * renamed into place by commit(); abort() (or a failure, or the process being interrupted)
 * removes the temporary. An existing target is an error unless `force`, and even then a folder
 * is replaced only if it looks like a checkpoint (no subfolders, only checkpoint files).
 */
export class AtomicOutput {
  readonly temp: string;
  private done = false;
  private readonly cleanup = () => this.abort();

  /**
   * `alsoReplaceable`: names besides CHECKPOINT_FILE an existing folder may hold and still be
   * replaced, because this run writes them too (the input's companion files it copies).
   */
  constructor(
    readonly path: string,
    readonly kind: 'file' | 'folder',
    force: boolean,
    alsoReplaceable: ReadonlySet<string> = new Set(),
  ) {
    const existing = pathKind(path);
    if (existing !== 'none') {
      if (!force) throw new CheckpointError('output_exists', `already exists; pass --force to replace it`, path);
      if (existing === 'other') throw new CheckpointError('unsafe_output', 'exists and is not a regular file or folder; remove it yourself', path);
      if (existing === 'folder') {
        for (const e of readdirSync(path, { withFileTypes: true }))
          if (e.isDirectory() || !(CHECKPOINT_FILE.test(e.name) || alsoReplaceable.has(e.name)))
            throw new CheckpointError(
              'unsafe_output',
              `exists and holds ${e.isDirectory() ? 'a folder' : 'a file'} this output does not (${JSON.stringify(e.name.slice(0, 80))}), which --force would delete; remove it yourself or write elsewhere`,
              path,
            );
      }
    }
    const parent = dirname(resolve(path));
    removeStaleTemporaries(path, parent);
    try {
      mkdirSync(parent, { recursive: true });
    } catch (e) {
      throw ioError(e, parent, 'cannot create the output folder');
    }
    this.temp = join(parent, `.${basename(path)}.sinan-${process.pid}-${Date.now().toString(36)}.tmp`);
    if (kind === 'folder')
      try {
        mkdirSync(this.temp);
      } catch (e) {
        throw ioError(e, this.temp, 'cannot create a temporary folder');
      }
    process.once('exit', this.cleanup);
  }

  /** Where a file of the output goes while it is being written. */
  file(name?: string): string {
    return this.kind === 'folder' ? join(this.temp, name ?? '') : this.temp;
  }

  commit(): void {
    if (this.done) return;
    const old = existsSync(this.path) ? `${this.temp}.old` : null;
    try {
      if (old) renameSync(this.path, old);
      renameSync(this.temp, this.path);
    } catch (e) {
      if (old && !existsSync(this.path)) renameSync(old, this.path);
      this.abort();
      throw ioError(e, this.path, 'cannot move the finished output into place');
    }
    this.done = true;
    process.removeListener('exit', this.cleanup);
    if (old) rmSync(old, { recursive: true, force: true });
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    process.removeListener('exit', this.cleanup);
    rmSync(this.temp, { recursive: true, force: true });
  }
}
