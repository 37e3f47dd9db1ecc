/** A picked folder's file list against its manifest: paths inside the package, missing and wrong-size files named. */
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../../src/store/manifest';
import { listedBytes, packageFileProblems, packagePaths, requiredTexts } from '../../../src/store/package-files';
import { validManifest } from './manifest-fixture';

const manifest = parseManifest(validManifest());
/** Every file the fixture manifest names, at its listed size. */
function complete(): Map<string, number> {
  return new Map<string, number>([
    ['text_encoder.onnx', 1000], ['text_encoder.int8.onnx', 1000],
    ['denoiser.onnx', 500], ['denoiser.onnx.data', 9000], ['denoiser.fp16.onnx', 1000],
    ['vae_decoder.onnx', 1000], ['preview_decoder.onnx', 1000],
    ['adapters/spin.safetensors', 2048], ['blender.json', 100],
    ['tokenizer.json', 10], ['vocabulary.json', 10], ['adapters/spin.json', 10],
  ]);
}

describe('packagePaths', () => {
  it('drops the picked folder\'s own name when every path starts with it', () => {
    expect(packagePaths(['wan/manifest.json', 'wan/vae/model.onnx'])).toEqual(['manifest.json', 'vae/model.onnx']);
  });

  it('keeps paths that share no first folder (files dropped loose)', () => {
    expect(packagePaths(['manifest.json', 'vae/model.onnx'])).toEqual(['manifest.json', 'vae/model.onnx']);
    expect(packagePaths(['wan/manifest.json', 'other/x.onnx'])).toEqual(['wan/manifest.json', 'other/x.onnx']);
  });
});

describe('packageFileProblems', () => {
  it('finds none when every listed file and text file is there at its size', () => {
    expect(packageFileProblems(manifest, complete())).toEqual([]);
  });

  it('names a missing weight file and where the manifest lists it', () => {
    const files = complete();
    files.delete('denoiser.onnx.data');
    expect(packageFileProblems(manifest, files)).toEqual([{ path: 'denoiser.onnx.data', problem: 'is missing (the manifest lists it at components.denoiser.variants.fp32)' }]);
  });

  it('names a file of the wrong size with both sizes', () => {
    const files = complete().set('vae_decoder.onnx', 999);
    expect(packageFileProblems(manifest, files)).toEqual([{ path: 'vae_decoder.onnx', problem: 'has 999 bytes, but the manifest lists 1000' }]);
  });

  it('requires the tokenizer, vocabulary and adapter descriptions, not the model card', () => {
    expect(requiredTexts(manifest)).toEqual(['tokenizer.json', 'vocabulary.json', 'adapters/spin.json']);
    const files = complete();
    files.delete('tokenizer.json');
    expect(packageFileProblems(manifest, files).map((p) => p.path)).toEqual(['tokenizer.json']);
  });

  it('requires the colour lexicon when the manifest names one', () => {
    const withLexicon = parseManifest({ ...validManifest(), text: { ...validManifest().text, lexicon: 'lexicon.json' } });
    expect(requiredTexts(withLexicon)).toEqual(['tokenizer.json', 'vocabulary.json', 'lexicon.json', 'adapters/spin.json']);
    expect(packageFileProblems(withLexicon, complete())).toEqual([{ path: 'lexicon.json', problem: 'is missing (the manifest names it)' }]);
  });

  it('requires the contrast nouns when the manifest names them', () => {
    const withContrast = parseManifest({ ...validManifest(), text: { ...validManifest().text, contrast: 'contrast.json' } });
    expect(requiredTexts(withContrast)).toEqual(['tokenizer.json', 'vocabulary.json', 'contrast.json', 'adapters/spin.json']);
    expect(packageFileProblems(withContrast, complete())).toEqual([{ path: 'contrast.json', problem: 'is missing (the manifest names it)' }]);
  });

  it('counts every listed file once for the bytes a folder stores', () => {
    expect(listedBytes(manifest)).toBe(1000 + 1000 + 500 + 9000 + 1000 + 1000 + 1000 + 2048 + 100);
  });
});
