import { describe, expect, it } from 'vitest';
import { SafetensorsError } from '../../../src/engine/adapters/errors';
import { halfToFloat, parseSafetensors, tensorToFloat32 } from '../../../src/engine/adapters/safetensors';
import { encodeSafetensors, rawSafetensors } from './build-safetensors';

const f32 = (bytes: number[]) => new Uint8Array(Float32Array.from(bytes).buffer);

function expectReject(bytes: Uint8Array, pattern: RegExp, options = {}) {
  let error: unknown;
  try {
    parseSafetensors(bytes, options);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(SafetensorsError);
  expect((error as Error).message).toMatch(pattern);
}

describe('parseSafetensors: valid files', () => {
  it('reads metadata, dtype, shape and values', () => {
    const bytes = encodeSafetensors(
      {
        a: { shape: [2, 3], values: [1, 2, 3, 4, 5, 6] },
        b: { shape: [], values: [7.5] },
      },
      { rank: '4', note: 'hi' },
    );
    const file = parseSafetensors(bytes);
    expect(file.metadata).toEqual({ rank: '4', note: 'hi' });
    expect([...file.tensors.keys()]).toEqual(['a', 'b']);
    const a = file.tensors.get('a')!;
    expect(a.dtype).toBe('F32');
    expect(a.shape).toEqual([2, 3]);
    expect([...tensorToFloat32(a)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...tensorToFloat32(file.tensors.get('b')!)]).toEqual([7.5]);
  });

  it('returns views into the buffer, not copies, for aligned F32 data', () => {
    const bytes = encodeSafetensors({ w: { shape: [4], values: [1, 2, 3, 4] } });
    const t = parseSafetensors(bytes).tensors.get('w')!;
    expect(t.data.buffer).toBe(bytes.buffer);
    const values = tensorToFloat32(t);
    expect(values.buffer).toBe(bytes.buffer);
    // Writing through the file's bytes shows up in the view: proof it is the same memory.
    new Float32Array(bytes.buffer, values.byteOffset, 1)[0] = 42;
    expect(values[0]).toBe(42);
  });

  it('copies F32 data only when it is not 4-byte aligned, with the same values', () => {
    const bytes = encodeSafetensors({ w: { shape: [3], values: [1.5, -2, 3.25] } }, undefined, { pad: false });
    // Header '{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}' is 55 bytes: data starts at 63.
    const t = parseSafetensors(bytes).tensors.get('w')!;
    expect(t.data.byteOffset % 4).not.toBe(0);
    const values = tensorToFloat32(t);
    expect(values.buffer).not.toBe(bytes.buffer);
    expect([...values]).toEqual([1.5, -2, 3.25]);
  });

  it('reads a file that sits at an offset inside a larger buffer', () => {
    const inner = encodeSafetensors({ w: { shape: [2], values: [3, 4] } });
    const outer = new Uint8Array(inner.length + 16);
    outer.set(inner, 8);
    const t = parseSafetensors(outer.subarray(8, 8 + inner.length)).tensors.get('w')!;
    expect([...tensorToFloat32(t)]).toEqual([3, 4]);
  });

  it('converts F16 and BF16 to float32 exactly', () => {
    const values = [0, 1, -2, 0.5, 1024, -0.099609375, 65504];
    const bf = [0, 1, -2, 0.5, 1024, -0.099609375, 3.0e38];
    const file = parseSafetensors(
      encodeSafetensors({
        h: { dtype: 'F16', shape: [7], values },
        b: { dtype: 'BF16', shape: [7], values: bf },
      }),
    );
    expect([...tensorToFloat32(file.tensors.get('h')!)]).toEqual(values);
    const b = tensorToFloat32(file.tensors.get('b')!);
    expect([...b.subarray(0, 6)]).toEqual(bf.slice(0, 6));
    // 3e38 is not a bfloat16 value: truncation keeps the top 8 mantissa bits.
    expect(Math.abs(b[6]! - 3.0e38) / 3.0e38).toBeLessThan(1 / 128);
  });

  it('decodes half-precision special values', () => {
    expect(halfToFloat(0x0001)).toBe(2 ** -24); // smallest subnormal
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    expect(halfToFloat(0x3c00)).toBe(1);
  });

  it('accepts a file without tensors and zero-sized tensors', () => {
    expect(parseSafetensors(rawSafetensors('{}')).tensors.size).toBe(0);
    const file = parseSafetensors(
      rawSafetensors('{"e":{"dtype":"F32","shape":[0,4],"data_offsets":[0,0]},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32([9])),
    );
    expect(tensorToFloat32(file.tensors.get('e')!).length).toBe(0);
    expect([...tensorToFloat32(file.tensors.get('x')!)]).toEqual([9]);
  });
});

describe('parseSafetensors: malformed and hostile files', () => {
  const tensor = (extra: string) => `{"w":{${extra}}}`;

  it('rejects a file shorter than the length field', () => {
    expectReject(new Uint8Array(5), /5 bytes, fewer than the 8-byte header length/);
  });

  it('rejects a header length larger than the file', () => {
    expectReject(rawSafetensors('{}', new Uint8Array(0), 1000), /claims 1000 bytes, but the file has only 2/);
  });

  it('rejects an absurd header length before allocating anything', () => {
    expectReject(rawSafetensors('{}', new Uint8Array(0), 2 ** 40), /claims 1099511627776 bytes, more than the 100000000/);
    expectReject(rawSafetensors('{}', new Uint8Array(0), 150_000_000), /more than the 100000000 bytes allowed/);
    expectReject(rawSafetensors('{"a":1}'), /more than the 4 bytes allowed/, { maxHeaderBytes: 4 });
  });

  it('rejects headers that are not UTF-8, not JSON or not an object', () => {
    const bad = rawSafetensors('{}');
    bad[8] = 0xff;
    expectReject(bad, /not valid UTF-8/);
    expectReject(rawSafetensors('{"w": '), /not JSON/);
    expectReject(rawSafetensors('[1,2]'), /must be a JSON object, but it is a list/);
    expectReject(rawSafetensors('null'), /must be a JSON object, but it is null/);
    expectReject(rawSafetensors('"x"'), /must be a JSON object, but it is string/);
  });

  it('rejects bad __metadata__', () => {
    expectReject(rawSafetensors('{"__metadata__":[1]}'), /__metadata__ must be an object of strings/);
    expectReject(rawSafetensors('{"__metadata__":{"rank":8}}'), /__metadata__.rank must be a string, but it is number 8/);
  });

  it('rejects unsupported dtypes', () => {
    expectReject(rawSafetensors(tensor('"dtype":"I64","shape":[1],"data_offsets":[0,8]'), new Uint8Array(8)), /dtype string "I64"; Vidlet reads F32, F16 and BF16/);
    expectReject(rawSafetensors(tensor('"shape":[1],"data_offsets":[0,4]'), new Uint8Array(4)), /dtype missing/);
  });

  it('rejects negative, fractional and non-numeric dimensions', () => {
    for (const shape of ['[-1]', '[1.5]', '["2"]', '[1e300]']) {
      expectReject(rawSafetensors(tensor(`"dtype":"F32","shape":${shape},"data_offsets":[0,4]`), new Uint8Array(4)), /every size must be a non-negative integer/);
    }
    expectReject(rawSafetensors(tensor('"dtype":"F32","shape":4,"data_offsets":[0,16]'), new Uint8Array(16)), /not a list of sizes/);
  });

  it('rejects malformed and out-of-range offsets', () => {
    expectReject(rawSafetensors(tensor('"dtype":"F32","shape":[1],"data_offsets":[0]'), new Uint8Array(4)), /not two non-negative integers/);
    expectReject(rawSafetensors(tensor('"dtype":"F32","shape":[1],"data_offsets":[-4,0]'), new Uint8Array(4)), /not two non-negative integers/);
    expectReject(rawSafetensors(tensor('"dtype":"F32","shape":[1],"data_offsets":[0,4]'), new Uint8Array(2)), /ends at byte 4 of the data, but the file holds only 2/);
    expectReject(rawSafetensors(tensor('"dtype":"F32","shape":[0],"data_offsets":[4,0]'), new Uint8Array(4)), /begin is after end/);
  });

  it('rejects a byte length that does not match shape × dtype size', () => {
    expectReject(
      rawSafetensors(tensor('"dtype":"F16","shape":[2,3],"data_offsets":[0,8]'), new Uint8Array(8)),
      /shape \[2,3\] of F16 \(6 × 2 bytes\), but data_offsets \[0, 8\] hold 8 bytes/,
    );
    // A shape whose element count overflows exact arithmetic can never match.
    expectReject(
      rawSafetensors(tensor('"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]'), new Uint8Array(4)),
      /hold 4 bytes/,
    );
  });

  it('rejects overlapping tensors', () => {
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
    expectReject(rawSafetensors(header, new Uint8Array(12)), /tensor "b" \(bytes 4–12\) overlaps tensor "a" \(which ends at 8\)/);
  });

  it('rejects two tensors claiming the same bytes', () => {
    const header = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    expectReject(rawSafetensors(header, new Uint8Array(4)), /overlaps/);
  });

  it('rejects holes between tensors and unclaimed trailing bytes', () => {
    const gap = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}';
    expectReject(rawSafetensors(gap, new Uint8Array(12)), /bytes 4–8 of the data, between tensor "a" and tensor "b", belong to no tensor/);
    const late = '{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expectReject(rawSafetensors(late, new Uint8Array(8)), /bytes 0–4 of the data, between the start of the data and tensor "b"/);
    const trailing = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    expectReject(rawSafetensors(trailing, new Uint8Array(10)), /the last 6 bytes of the file \(after tensor "a"\) belong to no tensor/);
  });

  it('accepts tensors listed out of offset order when they tile the data', () => {
    const header = '{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    const file = parseSafetensors(rawSafetensors(header, f32([1, 2])));
    expect([...tensorToFloat32(file.tensors.get('b')!)]).toEqual([2]);
  });

  it('rejects a tensor entry that is not an object', () => {
    expectReject(rawSafetensors('{"w":[1,2]}'), /tensor "w" must be an object \{dtype, shape, data_offsets\}, but it is a list/);
  });

  it('names the source in the message', () => {
    expectReject(rawSafetensors('[]'), /^mascot\.safetensors is not a valid \.safetensors file/, { source: 'mascot.safetensors' });
  });
});
