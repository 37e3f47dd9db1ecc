/**
 * External data on a real graph in onnxruntime-web (wasm): tests/fixtures/external-data holds a
 * tiny MatMul + Add graph whose weights live in tiny-matmul.onnx.data (make.py writes both),
 * loaded through the engine's createComponentSession as a manifest variant lists it: the graph
 * first, then its data. video = latent · W + b, so the output shows the weights were read.
 */
import { readFileSync } from 'node:fs';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../src/engine/errors';
import { createComponentSession, runComponent, type FileBytes, type Ort } from '../../src/engine/sessions';
import type { BackendInfo } from '../../src/engine/types';
import type { Component } from '../../src/store/types';

const DIR = 'tests/fixtures/external-data';
const graph = readFileSync(`${DIR}/tiny-matmul.onnx`);
const data = readFileSync(`${DIR}/tiny-matmul.onnx.data`);
const wasm: BackendInfo = { backend: 'wasm', description: 'WebAssembly, 1 thread', reason: '', shaderF16: false, threads: 1 };
const ort = ortWeb as unknown as Ort;
ortWeb.env.wasm.numThreads = 1;

function component(files: FileBytes[]): Component {
  return { inputs: { latent: 'latent' }, outputs: { video: 'video' }, variants: { fp32: { files: files.map((f) => ({ path: f.path, bytes: f.data.length, sha256: '0'.repeat(64) })) } } };
}

async function outputFor(files: FileBytes[]): Promise<number[]> {
  const s = await createComponentSession(ort, 'vaeDecoder', 'fp32', component(files), files, wasm, ['latent'], ['video']);
  try {
    const out = await runComponent(s, { latent: new ortWeb.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [1, 4]) });
    return Array.from(out.video!.data as Float32Array);
  } finally {
    await s.session.release();
  }
}

// [1, 2, 3, 4] · W with W[i][j] = i − j/4, plus b = [0.5, −1, 2] (make.py).
const EXPECTED = [20.5, 16.5, 17];

describe('external data on a real ONNX graph (onnxruntime-web, wasm)', () => {
  it('loads the weights from the data file listed after the graph', async () => {
    expect(graph.length).toBeLessThan(400); // the weights are not inside the graph
    expect(await outputFor([{ path: 'tiny-matmul.onnx', data: graph }, { path: 'tiny-matmul.onnx.data', data }])).toEqual(EXPECTED);
  });

  it('finds the data of a graph kept in a subfolder of the package', async () => {
    expect(await outputFor([{ path: 'vae/tiny-matmul.onnx', data: graph }, { path: 'vae/tiny-matmul.onnx.data', data }])).toEqual(EXPECTED);
  });

  it('without its data file, or with it under another name, says which manifest entry to fix', async () => {
    for (const files of [
      [{ path: 'tiny-matmul.onnx', data: graph }],
      [{ path: 'tiny-matmul.onnx', data: graph }, { path: 'weights.bin', data }],
    ]) {
      const err = await outputFor(files).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelFormatError);
      expect((err as Error).message).toContain('(tiny-matmul.onnx, fp32): its graph keeps weights in the external data file "tiny-matmul.onnx.data"');
      expect((err as Error).message).toContain('List it in manifest.components.vaeDecoder.variants.fp32.files after the graph');
    }
  });
});
