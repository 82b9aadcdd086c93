import { readTextFile } from '../util/files.js';
import type { FileAccess } from './types.js';

/** File access for shells on this machine (the CLI, validation): what the user can read, Sinan reads. */
export const nodeFiles: FileAccess = { readText: (path, limit) => readTextFile(path, limit) };
