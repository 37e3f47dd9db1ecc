/**
 * Decoded frames through the worker layer (#11), on the converted tiny Wan package
 * (tests/fixtures/wan-tiny, a frame-by-frame VAE decoder): the real engine (onnxruntime-web wasm in
 * Node) behind EngineHost, reached by the page's EngineClient over a MessageChannel standing in for
 * the Worker. Every frame must reach the page once, in order, and the groups joined as the page
 * joins them (src/app/data/decoded-frames.ts) must be the finished clip byte for byte. The decode is
 * also tiled, so the groups are blended tiles, as a large model's would be.
 */
import * as Comlink from 'comlink';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { addDecodedGroup, type DecodedSoFar } from '../../src/app/data/decoded-frames';
import { VidletEngine } from '../../src/engine/engine';
import type { Ort } from '../../src/engine/sessions';
import type { GenerateRequest } from '../../src/engine/types';
import { NodeFolderStore } from '../../src/store/node-store';
import { EngineClient } from '../../src/worker/engine-client';
import { EngineHost } from '../../src/worker/engine-host';

const MODEL = 'tests/fixtures/wan-tiny';

describe('decoded frames from a frame-by-frame decoder, through the engine worker layer', () => {
  it('arrive on the page once each, in order, and join into the finished clip', async () => {
    // 4×4 latent pixels in 3×3 tiles overlapping by 1: two tiles per axis.
    const engine = new VidletEngine(new NodeFolderStore(), ortWeb as unknown as Ort, { vaeDecode: { graphs: 'frames', tiling: { tile: 3, overlap: 1 } } });
    const { port1, port2 } = new MessageChannel();
    Comlink.expose(new EngineHost(engine), port2);
    const client = new EngineClient(Object.assign(port1, { terminate: () => port1.close() }) as unknown as Worker);
    try {
      const info = await client.loadModel({ base: MODEL }, { numThreads: 1 });
      expect(info.vaeDecode).toEqual({ graphs: 'frames', tiling: { tile: 3, overlap: 1 } });
      const request: GenerateRequest = { prompt: 'a red ball on the beach', seed: 3, steps: 2, guidance: 5, innerGuidance: 0, sampler: 'euler' };
      const groups: [number, number][] = [];
      let joined: DecodedSoFar | undefined;
      const result = await client.generate(request, {
        onFrames: (p) => {
          groups.push([p.firstFrame, p.frames.frames]);
          joined = addDecodedGroup(joined, p, info.video.frames);
        },
      });
      // The callbacks travel on their own port, but the worker sends the result only once the page had every group.
      expect(joined?.frames.frames).toBe(result.video.frames);
      // 3 latent frames: video frames 0–4 from `first`, 5–8 from one `next`
      expect(groups).toEqual([[0, 5], [5, 4]]);
      const { frames, width, height } = result.video;
      expect([frames, width, height]).toEqual([info.video.frames, info.video.width, info.video.height]);
      expect(joined!.frames).toMatchObject({ frames, width, height });
      expect(Buffer.from(joined!.frames.data).equals(Buffer.from(result.video.data))).toBe(true);
      let lit = 0;
      for (const v of result.video.data) lit = Math.max(lit, v);
      expect(lit).toBeGreaterThan(0); // not two black clips agreeing
      await client.unload();
    } finally {
      client.terminate();
      port2.close();
    }
  }, 180_000);
});
