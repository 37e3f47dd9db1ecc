/**
 * A .safetensors reader that trusts nothing in the file and copies no tensor data.
 *
 * Layout (https://github.com/huggingface/safetensors, "Format"): 8-byte little-endian header
 * length N, N bytes of UTF-8 JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, …,
 * "__metadata__": { string: string } }`, then the data region; offsets are relative to the
 * data region. Like the reference Rust reader, we require the tensors to tile the data region
 * exactly (sorted by offset, each begins where the previous ends, the last ends at the end of
 * the file): any hole or overlap means the header lies about the bytes.
 *
 * Adapters come from users (drop a file on the page), so every number in the header is checked
 * before it is used to index the buffer.
 */
import { SafetensorsError } from './errors';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };

/**
 * The reference reader caps the header at 100 MB (safetensors `MAX_HEADER_SIZE`); a LoRA for a
 * model of thousands of layers has a header of a few hundred kB, so a larger claim is hostile.
 */
export const DEFAULT_MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** The tensor's bytes: a view into the file's buffer, not a copy. */
  data: Uint8Array;
}

export interface SafetensorsFile {
  /** `__metadata__` (free-form string → string), empty when the file has none. */
  metadata: Record<string, string>;
  /** Tensors by name, in header order. */
  tensors: Map<string, SafetensorsTensor>;
}

export interface ParseOptions {
  /** Largest header accepted, in bytes (default 100 MB). */
  maxHeaderBytes?: number;
  /** Named in error messages, e.g. the file name the user dropped. */
  source?: string;
}

/** Throws the SafetensorsError for one check: `where` names the field, `why` says what is wrong. */
type Fail = (where: string, why: string) => never;

/** Parses and validates a .safetensors file. Tensor data stays in `bytes` (views, no copies). */
export function parseSafetensors(bytes: Uint8Array, options: ParseOptions = {}): SafetensorsFile {
  const source = options.source ?? 'the .safetensors file';
  const fail: Fail = (where, why) => {
    throw new SafetensorsError(where, `${source} is not a valid .safetensors file: ${why}`);
  };
  const { entries, headerLength } = readHeader(bytes, options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES, fail);
  const metadata = readMetadata(entries['__metadata__'], fail);

  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  const tensors = new Map<string, SafetensorsTensor>();
  const ranges: TensorRange[] = [];
  for (const [name, raw] of Object.entries(entries)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, begin, end } = readTensorEntry(name, raw, dataLength, fail);
    ranges.push({ name, begin, end });
    tensors.set(name, { name, dtype, shape, data: bytes.subarray(dataStart + begin, dataStart + end) });
  }
  checkTiling(ranges, dataLength, fail);
  return { metadata, tensors };
}

/** The 8-byte length field and the JSON header it announces, which must be an object. */
function readHeader(bytes: Uint8Array, maxHeader: number, fail: Fail): { entries: Record<string, unknown>; headerLength: number } {
  if (bytes.byteLength < 8) {
    fail('header', `it has ${bytes.byteLength} bytes, fewer than the 8-byte header length that starts every such file.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  // hi > 0 means a header of 4 GiB or more: never legitimate, and beyond exact Number arithmetic
  // checks below only if we reject it here.
  const headerLength = hi * 2 ** 32 + lo;
  if (hi > 0 || headerLength > maxHeader) {
    fail('header', `the header claims ${headerLength} bytes, more than the ${maxHeader} bytes allowed (corrupt or hostile file).`);
  }
  if (8 + headerLength > bytes.byteLength) {
    fail('header', `the header claims ${headerLength} bytes, but the file has only ${bytes.byteLength - 8} bytes after the length field (truncated download?).`);
  }

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    return fail('header', 'the header is not valid UTF-8.');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail('header', `the header is not JSON (${(e as Error).message}).`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    fail('header', `the header must be a JSON object, but it is ${describeJson(header)}.`);
  }
  return { entries: header as Record<string, unknown>, headerLength };
}

/** `__metadata__`: absent (empty), or an object of strings. */
function readMetadata(rawMeta: unknown, fail: Fail): Record<string, string> {
  const metadata: Record<string, string> = {};
  if (rawMeta === undefined) return metadata;
  if (rawMeta === null || typeof rawMeta !== 'object' || Array.isArray(rawMeta)) {
    fail('__metadata__', `__metadata__ must be an object of strings, but it is ${describeJson(rawMeta)}.`);
  }
  for (const [k, v] of Object.entries(rawMeta as Record<string, unknown>)) {
    if (typeof v !== 'string') fail('__metadata__', `__metadata__.${k} must be a string, but it is ${describeJson(v)}.`);
    metadata[k] = v as string;
  }
  return metadata;
}

interface TensorRange {
  name: string;
  begin: number;
  end: number;
}

/**
 * One tensor's header entry: a known dtype, a shape of non-negative integers, and data_offsets
 * inside the data region holding exactly shape × dtype bytes.
 */
function readTensorEntry(name: string, raw: unknown, dataLength: number, fail: Fail): { dtype: SafetensorsDtype; shape: number[]; begin: number; end: number } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    fail(name, `tensor "${name}" must be an object {dtype, shape, data_offsets}, but it is ${describeJson(raw)}.`);
  }
  const info = raw as Record<string, unknown>;
  const dtype = info['dtype'];
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
    fail(name, `tensor "${name}" has dtype ${describeJson(dtype)}; Vidlet reads F32, F16 and BF16 (save the adapter in one of them).`);
  }
  const shape = info['shape'];
  if (!Array.isArray(shape)) fail(name, `tensor "${name}" has shape ${describeJson(shape)}, not a list of sizes.`);
  let elements = 1;
  for (const dim of shape as unknown[]) {
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
      fail(name, `tensor "${name}" has shape ${JSON.stringify(shape)}: every size must be a non-negative integer.`);
    }
    elements *= dim as number;
  }
  const offsets = info['data_offsets'];
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)
  ) {
    fail(name, `tensor "${name}" has data_offsets ${describeJson(offsets)}, not two non-negative integers [begin, end].`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(name, `tensor "${name}" has data_offsets [${begin}, ${end}]: begin is after end.`);
  if (end > dataLength) {
    fail(name, `tensor "${name}" ends at byte ${end} of the data, but the file holds only ${dataLength} data bytes (truncated?).`);
  }
  const size = DTYPE_BYTES[dtype as SafetensorsDtype];
  // elements can exceed 2^53 only for absurd shapes; then it cannot equal a real byte length.
  if (elements * size !== end - begin) {
    fail(
      name,
      `tensor "${name}" has shape ${JSON.stringify(shape)} of ${dtype} (${elements} × ${size} bytes), ` +
        `but data_offsets [${begin}, ${end}] hold ${end - begin} bytes.`,
    );
  }
  return { dtype: dtype as SafetensorsDtype, shape: (shape as number[]).slice(), begin, end };
}

/** The tensors tile the data region exactly: sorted by offset, no overlap, no hole, nothing after the last. */
function checkTiling(ranges: TensorRange[], dataLength: number, fail: Fail): void {
  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous = 'the start of the data';
  for (const r of ranges) {
    if (r.begin < covered) {
      fail(r.name, `tensor "${r.name}" (bytes ${r.begin}–${r.end}) overlaps ${previous} (which ends at ${covered}).`);
    }
    if (r.begin > covered) {
      fail(r.name, `bytes ${covered}–${r.begin} of the data, between ${previous} and tensor "${r.name}", belong to no tensor.`);
    }
    covered = r.end;
    previous = `tensor "${r.name}"`;
  }
  if (covered !== dataLength) {
    fail('header', `the last ${dataLength - covered} bytes of the file (after ${previous}) belong to no tensor.`);
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The tensor's values as float32, converted from F16/BF16. F32 data comes back as a view into
 * the file's buffer when it can: a Float32Array must start at a multiple of 4 bytes, and the
 * format only guarantees that if the writer padded the header (the reference writer pads it to
 * 8), so an unaligned tensor is copied; so is any tensor on a big-endian host.
 */
export function tensorToFloat32(tensor: SafetensorsTensor): Float32Array {
  const { data } = tensor;
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (tensor.dtype === 'F32') {
    const n = data.byteLength / 4;
    if (LITTLE_ENDIAN && data.byteOffset % 4 === 0) return new Float32Array(data.buffer, data.byteOffset, n);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
    return out;
  }
  const n = data.byteLength / 2;
  const out = new Float32Array(n);
  if (tensor.dtype === 'BF16') {
    // bfloat16 is the top half of a float32: shift it back into place.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = dv.getUint16(i * 2, true) << 16;
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(i * 2, true));
  return out;
}

/** IEEE 754 binary16 → number (exact: every half value is a float32 value). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function describeJson(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  const s = JSON.stringify(v);
  return `${typeof v} ${s.length > 40 ? `${s.slice(0, 40)}…` : s}`;
}
