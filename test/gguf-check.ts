/**
 * The real ggml library as a test oracle: `../shared/tools/gguf-check/gguf-check` (built from
 * ggml's C sources; see its README), or the binary named by GGUF_CHECK. Tests call
 * `ggufCheckMissing()` and skip with its message where the binary is absent, not executable, or
 * does not run on this platform.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const GGUF_CHECK = process.env.GGUF_CHECK ?? resolve(import.meta.dirname, '../../shared/tools/gguf-check/gguf-check');

let missing: string | null | undefined;

/** Why the checker cannot be used here, or null when it can. */
export function ggufCheckMissing(): string | null {
  if (missing !== undefined) return missing;
  try {
    accessSync(GGUF_CHECK, constants.X_OK);
    execFileSync(GGUF_CHECK, ['types'], { stdio: ['ignore', 'pipe', 'pipe'] });
    missing = null;
  } catch (e) {
    missing = `ggml checker ${GGUF_CHECK} is absent, not executable or does not run here (${(e as Error).message.split('\n')[0]}); skipping the comparison with ggml`;
  }
  return missing;
}

/** ggml's reference quantization of `rows` x `cols` float32 values (`gguf-check quant`). */
export function ggmlQuantize(ggmlName: string, x: Float32Array, rows: number, cols: number): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'gguf-check-'));
  try {
    writeFileSync(join(dir, 'in.f32'), new Uint8Array(x.buffer, x.byteOffset, rows * cols * 4));
    execFileSync(GGUF_CHECK, ['quant', ggmlName, join(dir, 'in.f32'), String(rows), String(cols), join(dir, 'out.bin')]);
    return new Uint8Array(readFileSync(join(dir, 'out.bin')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface GgmlInfo {
  version: number;
  alignment: number;
  dataOffset: number;
  metadata: Record<string, unknown>;
  tensors: { name: string; type: string; ne: number[]; offset: number; bytes: number }[];
}

/** ggml's reading of a GGUF file (`gguf-check info`), with the raw JSON text (64-bit integers lose precision in JSON.parse). */
export function ggmlInfo(file: string): GgmlInfo & { raw: string } {
  const raw = execFileSync(GGUF_CHECK, ['info', file], { maxBuffer: 64 << 20 }).toString('utf8');
  return { ...(JSON.parse(raw) as GgmlInfo), raw };
}

/** A tensor of a GGUF file dequantized by ggml (`gguf-check dequant`), ne[0] fastest. */
export function ggmlDequantize(file: string, tensor: string): Float32Array {
  const dir = mkdtempSync(join(tmpdir(), 'gguf-check-'));
  try {
    execFileSync(GGUF_CHECK, ['dequant', file, tensor, join(dir, 'out.f32')]);
    const b = readFileSync(join(dir, 'out.f32'));
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the checker on a file expected to be rejected; returns its exit status and message. */
export function ggmlReject(file: string): { status: number; stderr: string } {
  try {
    execFileSync(GGUF_CHECK, ['info', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: 0, stderr: '' };
  } catch (e) {
    const err = e as { status?: number; stderr?: Buffer };
    return { status: err.status ?? -1, stderr: err.stderr?.toString() ?? '' };
  }
}

/** `n` bytes of a file from `offset` (only that range is read: the tensor data a test compares). */
export function readBytes(path: string, offset: number, n: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const b = new Uint8Array(n);
    readSync(fd, b, 0, n, offset);
    return b;
  } finally {
    closeSync(fd);
  }
}
