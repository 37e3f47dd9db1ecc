import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { IntegrityError, SizeMismatchError } from '../../../src/store/errors';
import { Sha256, sha256Hex, verifyFile } from '../../../src/store/sha256';

const nodeSha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('sha256', () => {
  it('matches the FIPS 180-4 test vectors (pure-JS fallback)', () => {
    const enc = new TextEncoder();
    expect(new Sha256().update(enc.encode('abc')).hex()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(new Sha256().update(new Uint8Array(0)).hex()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(new Sha256().update(enc.encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).hex())
      .toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('pure-JS matches node:crypto for every length around block boundaries, fed in odd pieces', () => {
    const data = randomBytes(300);
    for (let n = 0; n <= 300; n += 1) {
      const h = new Sha256();
      const part = data.subarray(0, n);
      for (let i = 0; i < n; i += 7) h.update(part.subarray(i, Math.min(n, i + 7)));
      expect(h.hex(), `length ${n}`).toBe(nodeSha(part));
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
