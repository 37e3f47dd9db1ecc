/**
 * Builds .safetensors bytes for tests: `encodeSafetensors` writes a valid file the way the
 * reference writer does (header padded with spaces to 8 bytes, tensors packed in order);
 * `rawSafetensors` writes any header text and data bytes, for hostile-input tests.
 */
export type Dtype = 'F32' | 'F16' | 'BF16';

export interface TensorSpec {
  dtype?: Dtype;
  shape: number[];
  /** Values; F16/BF16 are rounded by the encoders below. */
  values: ArrayLike<number>;
}

export function rawSafetensors(headerText: string, data: Uint8Array = new Uint8Array(0), claimedLength?: number): Uint8Array {
  const header = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + header.length + data.length);
  const view = new DataView(out.buffer);
  const n = claimedLength ?? header.length;
  view.setUint32(0, n % 2 ** 32, true);
  view.setUint32(4, Math.floor(n / 2 ** 32), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

export function encodeSafetensors(
  tensors: Record<string, TensorSpec>,
  metadata?: Record<string, string>,
  options: { pad?: boolean } = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header['__metadata__'] = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const dtype = t.dtype ?? 'F32';
    const bytes = encodeValues(dtype, t.values);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let text = JSON.stringify(header);
  if (options.pad !== false) text += ' '.repeat((8 - ((8 + text.length) % 8)) % 8);
  const data = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.length;
  }
  return rawSafetensors(text, data);
}

function encodeValues(dtype: Dtype, values: ArrayLike<number>): Uint8Array {
  const n = values.length;
  if (dtype === 'F32') return new Uint8Array(Float32Array.from(values).buffer);
  const out = new Uint8Array(n * 2);
  const view = new DataView(out.buffer);
  const f = new Float32Array(1);
  const bits = new Uint32Array(f.buffer);
  for (let i = 0; i < n; i++) {
    f[0] = values[i]!;
    // Truncation is fine: tests use values that BF16/F16 hold exactly.
    view.setUint16(i * 2, dtype === 'BF16' ? bits[0]! >>> 16 : floatToHalf(values[i]!), true);
  }
  return out;
}

/** float → binary16 for values a half holds exactly (normal range, ≤ 10 mantissa bits) and 0. */
function floatToHalf(x: number): number {
  if (x === 0) return Object.is(x, -0) ? 0x8000 : 0;
  const sign = x < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  const e = Math.floor(Math.log2(a));
  const mant = Math.round((a / 2 ** e - 1) * 1024);
  return sign | ((e + 15) << 10) | mant;
}
