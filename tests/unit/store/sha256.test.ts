import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { IntegrityError, SizeMismatchError } from '../../../src/store/errors';
import { sha256Hex, verifyFile } from '../../../src/store/sha256';

const nodeSha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('sha256', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('without crypto.subtle (a page on plain http), the fallback gives the FIPS 180-4 test vectors', async () => {
    vi.stubGlobal('crypto', undefined);
    const enc = new TextEncoder();
    expect(await sha256Hex(enc.encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await sha256Hex(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(await sha256Hex(enc.encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))
      .toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('without crypto.subtle, parts fed in odd pieces hash as their concatenation', async () => {
    vi.stubGlobal('crypto', undefined);
    const data = randomBytes(300);
    for (let n = 0; n <= 300; n += 13) {
      const part = data.subarray(0, n);
      const pieces = [];
      for (let i = 0; i < n; i += 7) pieces.push(part.subarray(i, Math.min(n, i + 7)));
      expect(await sha256Hex(pieces), `length ${n}`).toBe(nodeSha(part));
    }
  });

  it('sha256Hex (crypto.subtle) agrees for one buffer and for parts', async () => {
    const data = randomBytes(1 << 20);
    expect(await sha256Hex(data)).toBe(nodeSha(data));
    expect(await sha256Hex([data.subarray(0, 1000), data.subarray(1000)])).toBe(nodeSha(data));
  });

  it('verifyFile rejects a wrong hash naming the file, expected and actual', async () => {
    const data = randomBytes(4096);
    const file = { path: 'denoiser.onnx', bytes: data.length, sha256: nodeSha(data).toUpperCase() };
    await expect(verifyFile(file, data, 'test')).resolves.toBeUndefined(); // case-insensitive
    data[100] ^= 1;
    const err = await verifyFile(file, data, 'test').catch((e) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.path).toBe('denoiser.onnx');
    expect(err.message).toContain('denoiser.onnx');
    expect(err.message).toContain(file.sha256.toLowerCase());
    expect(err.message).toContain(nodeSha(data));
    await expect(verifyFile({ ...file, bytes: 10 }, data, 'test')).rejects.toBeInstanceOf(SizeMismatchError);
  });
});
