/**
 * RGBA → I420 (YUV 4:2:0 planar), BT.601 limited range: the colour space decoders assume for
 * an untagged VP8/VP9 stream. Needed where the encoder takes raw YUV (libav.js in Node);
 * WebCodecs and h264-mp4-encoder convert by themselves.
 */
export function rgbaToI420(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Uint8Array {
  if (width % 2 || height % 2) throw new RangeError(`I420 needs even sizes, got ${width}×${height}; pad the clip first.`);
  const ySize = width * height;
  const cw = width / 2;
  const out = new Uint8Array(ySize * 3 / 2);
  for (let i = 0; i < ySize; i++) {
    const r = rgba[i * 4]!, g = rgba[i * 4 + 1]!, b = rgba[i * 4 + 2]!;
    out[i] = Math.round(16 + 0.256788 * r + 0.504129 * g + 0.097906 * b);
  }
  for (let y = 0; y < height / 2; y++) {
    for (let x = 0; x < cw; x++) {
      // Chroma of the 2×2 block's mean colour.
      let r = 0, g = 0, b = 0;
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
        const p = ((2 * y + dy) * width + 2 * x + dx) * 4;
        r += rgba[p]!; g += rgba[p + 1]!; b += rgba[p + 2]!;
      }
      r /= 4; g /= 4; b /= 4;
      out[ySize + y * cw + x] = Math.round(128 - 0.148223 * r - 0.290993 * g + 0.439216 * b);
      out[ySize + ySize / 4 + y * cw + x] = Math.round(128 + 0.439216 * r - 0.367788 * g - 0.071427 * b);
    }
  }
  return out;
}
