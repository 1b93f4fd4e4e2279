/**
 * A small, dependency-free GGUF v3 writer: header, metadata key/values, tensor infos, then tensor data
 * aligned to `general.alignment`. Only what a generated F32 model needs; see
 * https://github.com/ggml-org/ggml/blob/master/docs/gguf.md for the format.
 */

/** GGUF metadata value types (`gguf_type`). */
export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

type T = typeof GgufValueType;

/** The ggml tensor type of F32 data; the only one this writer emits. */
export const GGML_TYPE_F32 = 0;

/** Alignment of the tensor data when `general.alignment` is absent (and the one used here). */
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** One metadata value, tagged with its GGUF type. */
export type GgufValue =
  | { type: T["UINT32"] | T["INT32"] | T["FLOAT32"]; value: number }
  | { type: T["UINT64"]; value: bigint }
  | { type: T["BOOL"]; value: boolean }
  | { type: T["STRING"]; value: string }
  | { type: T["ARRAY"]; itemType: T["STRING"]; value: readonly string[] }
  | { type: T["ARRAY"]; itemType: T["FLOAT32"] | T["INT32"] | T["UINT32"]; value: ArrayLike<number> };

/** Constructors for metadata values: `gguf.u32(2048)`, `gguf.strings(tokens)`, … */
export const gguf = {
  u32: (value: number): GgufValue => ({ type: GgufValueType.UINT32, value }),
  i32: (value: number): GgufValue => ({ type: GgufValueType.INT32, value }),
  f32: (value: number): GgufValue => ({ type: GgufValueType.FLOAT32, value }),
  u64: (value: bigint): GgufValue => ({ type: GgufValueType.UINT64, value }),
  bool: (value: boolean): GgufValue => ({ type: GgufValueType.BOOL, value }),
  str: (value: string): GgufValue => ({ type: GgufValueType.STRING, value }),
  strings: (value: readonly string[]): GgufValue => ({
    type: GgufValueType.ARRAY,
    itemType: GgufValueType.STRING,
    value,
  }),
  f32s: (value: ArrayLike<number>): GgufValue => ({
    type: GgufValueType.ARRAY,
    itemType: GgufValueType.FLOAT32,
    value,
  }),
  i32s: (value: ArrayLike<number>): GgufValue => ({ type: GgufValueType.ARRAY, itemType: GgufValueType.INT32, value }),
};

/** An F32 tensor. `dims` are in ggml `ne` order: `dims[0]` is the fastest-varying (contiguous) one. */
export type GgufTensor = { name: string; dims: readonly number[]; data: Float32Array };

/** What a GGUF file holds: ordered metadata and tensors. */
export type GgufContent = { metadata: ReadonlyArray<readonly [string, GgufValue]>; tensors: readonly GgufTensor[] };

const encoder = new TextEncoder();

/** Little-endian byte sink that grows as needed. */
class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number) {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number) {
    this.reserve(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }
  u32(v: number) {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number) {
    this.reserve(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }
  f32(v: number) {
    this.reserve(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
  }
  u64(v: bigint | number) {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  bytes(b: Uint8Array) {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  /** A GGUF string: u64 byte length, then UTF-8 bytes (no terminator). */
  str(s: string) {
    const b = encoder.encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  /** Zero bytes up to the next multiple of `alignment`. */
  pad(alignment: number) {
    const n = (alignment - (this.length % alignment)) % alignment;
    this.reserve(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function writeScalar(w: ByteWriter, type: number, value: unknown) {
  switch (type) {
    case GgufValueType.UINT32:
      return w.u32(value as number);
    case GgufValueType.INT32:
      return w.i32(value as number);
    case GgufValueType.FLOAT32:
      return w.f32(value as number);
    case GgufValueType.UINT64:
      return w.u64(value as bigint);
    case GgufValueType.BOOL:
      return w.u8(value ? 1 : 0);
    case GgufValueType.STRING:
      return w.str(value as string);
    default:
      throw new Error(`unsupported GGUF value type ${type}`);
  }
}

function writeValue(w: ByteWriter, v: GgufValue) {
  w.u32(v.type);
  if (v.type !== GgufValueType.ARRAY) return writeScalar(w, v.type, v.value);
  w.u32(v.itemType);
  w.u64(v.value.length);
  for (let i = 0; i < v.value.length; i++) writeScalar(w, v.itemType, v.value[i]);
}

/**
 * Serializes `content` as a GGUF v3 file. The alignment is `general.alignment` when the metadata has it
 * (it must be a UINT32), else 32 and the key is added. Tensor data is laid out in the given order.
 */
export function encodeGguf(content: GgufContent): Uint8Array {
  const metadata = [...content.metadata];
  const alignmentKv = metadata.find(([key]) => key === "general.alignment");
  let alignment = GGUF_DEFAULT_ALIGNMENT;
  if (alignmentKv) {
    const v = alignmentKv[1];
    if (v.type !== GgufValueType.UINT32 || v.value <= 0 || v.value % 8 !== 0)
      throw new Error("general.alignment must be a UINT32 multiple of 8");
    alignment = v.value;
  } else metadata.push(["general.alignment", gguf.u32(alignment)]);
  const keys = new Set<string>();
  for (const [key] of metadata) {
    if (keys.has(key)) throw new Error(`duplicate metadata key ${key}`);
    keys.add(key);
  }

  const w = new ByteWriter();
  w.bytes(encoder.encode("GGUF"));
  w.u32(3);
  w.u64(content.tensors.length);
  w.u64(metadata.length);
  for (const [key, value] of metadata) {
    w.str(key);
    writeValue(w, value);
  }

  let offset = 0;
  const offsets: number[] = [];
  for (const t of content.tensors) {
    const elements = t.dims.reduce((a, b) => a * b, 1);
    if (elements !== t.data.length)
      throw new Error(
        `tensor ${t.name}: dims [${t.dims.join(", ")}] hold ${elements} values, data has ${t.data.length}`,
      );
    offset += (alignment - (offset % alignment)) % alignment;
    offsets.push(offset);
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(GGML_TYPE_F32);
    w.u64(offset);
    offset += t.data.length * 4;
  }

  w.pad(alignment);
  const dataStart = w.length;
  content.tensors.forEach((t, i) => {
    w.pad(alignment);
    if (w.length - dataStart !== offsets[i]) throw new Error("GGUF tensor layout mismatch");
    const bytes = new Uint8Array(t.data.length * 4);
    const view = new DataView(bytes.buffer);
    for (let j = 0; j < t.data.length; j++) view.setFloat32(j * 4, t.data[j] as number, true);
    w.bytes(bytes);
  });
  return w.result();
}
