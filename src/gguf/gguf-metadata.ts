/**
 * GGUF metadata values (GGUF v3, ggml/docs/gguf.md and gguf.h `enum gguf_type`): typed key/value
 * pairs, checked on construction (the error names the key) and encoded little-endian. Arrays hold
 * one scalar type; arrays of arrays are legal in the spec but ggml's reader rejects them, so they
 * are refused here.
 */

export const GGUF_SCALAR_TYPES = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;
export const GGUF_ARRAY_TYPE = 9;

export type GgufScalarType = keyof typeof GGUF_SCALAR_TYPES;
export type GgufNumberType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';
export type GgufScalar = number | bigint | boolean | string;

export type GgufValue =
  | { type: GgufNumberType; value: number }
  | { type: 'uint64' | 'int64'; value: bigint | number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: GgufScalarType; values: readonly GgufScalar[] };

export interface GgufKv {
  key: string;
  value: GgufValue;
}

export class GgufMetadataError extends Error {
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(`GGUF metadata '${key}': ${message}`);
    this.name = 'GgufMetadataError';
  }
}

const INT_RANGE: Record<'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32', [number, number]> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
};

function checkScalar(key: string, type: GgufScalarType, v: GgufScalar): void {
  switch (type) {
    case 'bool':
      if (typeof v !== 'boolean') throw new GgufMetadataError(`expected a boolean, got ${typeof v}`, key);
      return;
    case 'string':
      if (typeof v !== 'string') throw new GgufMetadataError(`expected a string, got ${typeof v}`, key);
      return;
    case 'float32':
    case 'float64':
      if (typeof v !== 'number') throw new GgufMetadataError(`expected a number, got ${typeof v}`, key);
      return;
    case 'uint64':
    case 'int64': {
      if (typeof v !== 'bigint' && !(typeof v === 'number' && Number.isSafeInteger(v)))
        throw new GgufMetadataError(`expected an integer, got ${String(v)}`, key);
      const b = BigInt(v);
      const ok = type === 'uint64' ? b >= 0n && b < 1n << 64n : b >= -(1n << 63n) && b < 1n << 63n;
      if (!ok) throw new GgufMetadataError(`${b} is out of range for ${type}`, key);
      return;
    }
    default: {
      const [lo, hi] = INT_RANGE[type];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new GgufMetadataError(`${String(v)} is not a ${type} (${lo}..${hi})`, key);
    }
  }
}

/** Validates one pair; throws GgufMetadataError naming the key. */
export function checkKv(kv: GgufKv): void {
  if (!kv.key) throw new GgufMetadataError('keys must not be empty', kv.key);
  if (!/^[\x20-\x7e]+$/.test(kv.key)) throw new GgufMetadataError('keys must be printable ASCII', kv.key);
  const v = kv.value;
  if (v.type === 'array') {
    if (!(v.itemType in GGUF_SCALAR_TYPES))
      throw new GgufMetadataError(`unknown array item type ${String(v.itemType)} (arrays of arrays are not read by ggml)`, kv.key);
    for (const x of v.values) checkScalar(kv.key, v.itemType, x);
  } else {
    if (!(v.type in GGUF_SCALAR_TYPES)) throw new GgufMetadataError(`unknown value type ${String((v as { type: unknown }).type)}`, kv.key);
    checkScalar(kv.key, v.type, v.value);
  }
}

/** Shorthands: `kv.u32('llama.block_count', 32)`. */
export const kv = {
  u8: (key: string, value: number): GgufKv => ({ key, value: { type: 'uint8', value } }),
  i8: (key: string, value: number): GgufKv => ({ key, value: { type: 'int8', value } }),
  u16: (key: string, value: number): GgufKv => ({ key, value: { type: 'uint16', value } }),
  i16: (key: string, value: number): GgufKv => ({ key, value: { type: 'int16', value } }),
  u32: (key: string, value: number): GgufKv => ({ key, value: { type: 'uint32', value } }),
  i32: (key: string, value: number): GgufKv => ({ key, value: { type: 'int32', value } }),
  f32: (key: string, value: number): GgufKv => ({ key, value: { type: 'float32', value } }),
  f64: (key: string, value: number): GgufKv => ({ key, value: { type: 'float64', value } }),
  u64: (key: string, value: bigint | number): GgufKv => ({ key, value: { type: 'uint64', value } }),
  i64: (key: string, value: bigint | number): GgufKv => ({ key, value: { type: 'int64', value } }),
  bool: (key: string, value: boolean): GgufKv => ({ key, value: { type: 'bool', value } }),
  str: (key: string, value: string): GgufKv => ({ key, value: { type: 'string', value } }),
  arr: (key: string, itemType: GgufScalarType, values: readonly GgufScalar[]): GgufKv => ({ key, value: { type: 'array', itemType, values } }),
};

/** A growable little-endian byte sink. */
export class ByteSink {
  private buf = new Uint8Array(4096);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private static readonly enc = new TextEncoder();
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.length));
    this.buf = nb;
    this.view = new DataView(nb.buffer);
  }
  u8(v: number): void {
    this.ensure(1);
    this.view.setUint8(this.length++, v);
  }
  i8(v: number): void {
    this.ensure(1);
    this.view.setInt8(this.length++, v);
  }
  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }
  i16(v: number): void {
    this.ensure(2);
    this.view.setInt16(this.length, v, true);
    this.length += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }
  f32(v: number): void {
    this.ensure(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
  }
  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }
  u64(v: bigint | number): void {
    this.ensure(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  i64(v: bigint | number): void {
    this.ensure(8);
    this.view.setBigInt64(this.length, BigInt(v), true);
    this.length += 8;
  }
  /** A GGUF string: uint64 byte length, then UTF-8 bytes (no terminator). */
  str(s: string): void {
    const b = ByteSink.enc.encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  zeros(n: number): void {
    this.ensure(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  result(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

function putScalar(s: ByteSink, type: GgufScalarType, v: GgufScalar): void {
  switch (type) {
    case 'uint8':
      return s.u8(v as number);
    case 'int8':
      return s.i8(v as number);
    case 'uint16':
      return s.u16(v as number);
    case 'int16':
      return s.i16(v as number);
    case 'uint32':
      return s.u32(v as number);
    case 'int32':
      return s.i32(v as number);
    case 'float32':
      return s.f32(v as number);
    case 'float64':
      return s.f64(v as number);
    case 'uint64':
      return s.u64(v as bigint | number);
    case 'int64':
      return s.i64(v as bigint | number);
    case 'bool':
      return s.u8(v ? 1 : 0);
    case 'string':
      return s.str(v as string);
  }
}

/** Appends one key/value pair in GGUF layout (key, uint32 type, value). */
export function encodeKv(s: ByteSink, kv: GgufKv): void {
  checkKv(kv);
  s.str(kv.key);
  const v = kv.value;
  if (v.type === 'array') {
    s.u32(GGUF_ARRAY_TYPE);
    s.u32(GGUF_SCALAR_TYPES[v.itemType]);
    s.u64(v.values.length);
    for (const x of v.values) putScalar(s, v.itemType, x);
  } else {
    s.u32(GGUF_SCALAR_TYPES[v.type]);
    putScalar(s, v.type, v.value);
  }
}
