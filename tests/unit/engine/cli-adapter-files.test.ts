/**
 * `--adapter` / `--lora FILE.safetensors`: the description beside the weights is optional (a LoRA
 * from another trainer has none), and the CLI says when an adapter came without one.
 */
import { describe, expect, it } from 'vitest';
import { addedLine, readAdapterFile, type ReadBytes } from '../../../src/cli/adapter-files';

const enoent = (path: string) => Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
const files = (entries: Record<string, string>): ReadBytes => async (path) => {
  if (!(path in entries)) throw enoent(path);
  return new TextEncoder().encode(entries[path]);
};

describe('readAdapterFile', () => {
  it('reads FILE.json beside FILE.safetensors when there is one', async () => {
    const got = await readAdapterFile('a/pip.safetensors', '--adapter', files({ 'a/pip.safetensors': 'w', 'a/pip.json': '{"name":"pip"}' }));
    expect(new TextDecoder().decode(got.weights)).toBe('w');
    expect(got.description).toEqual({ name: 'pip' });
  });

  it('takes a .safetensors without a .json as an adapter without a description', async () => {
    const got = await readAdapterFile('wan_lora.safetensors', '--lora', files({ 'wan_lora.safetensors': 'w' }));
    expect('description' in got).toBe(false);
  });

  it('still refuses a missing weights file, an unreadable and an invalid description', async () => {
    await expect(readAdapterFile('x.safetensors', '--lora', files({}))).rejects.toThrow('--lora x.safetensors: there is no such file.');
    await expect(readAdapterFile('x.safetensors', '--adapter', files({ 'x.safetensors': 'w', 'x.json': '{oops' }))).rejects.toThrow(/its description x\.json is not valid JSON/);
    const denied: ReadBytes = async (path) => {
      if (path.endsWith('.json')) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      return new Uint8Array(1);
    };
    await expect(readAdapterFile('x.safetensors', '--adapter', denied)).rejects.toThrow(/its description x\.json could not be read \(EACCES/);
  });
});

describe('addedLine', () => {
  it('says when the adapter came without a description', () => {
    expect(addedLine({ name: 'pip', kind: 'identity' }, 'pip.safetensors')).toBe('adapter pip (identity) added from pip.safetensors');
    expect(addedLine({ name: 'wan-lora', kind: 'style', noDescription: true }, 'wan_lora.safetensors', '; use it with --lora wan-lora')).toBe(
      'adapter wan-lora (style) added from wan_lora.safetensors (no description: Vidlet cannot check which model it was made for; its layers and shapes fit); use it with --lora wan-lora',
    );
  });
});
