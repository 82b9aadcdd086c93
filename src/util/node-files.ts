import type { FileAccess } from '../context/types.js';
import { readTextFile } from './files.js';

/** File access for shells on this machine (the CLI, validation): what the user can read, Sinan reads. */
export const nodeFiles: FileAccess = { readText: (path, limit) => readTextFile(path, limit) };
