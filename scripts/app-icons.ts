/**
 * The installed app's icons (web app manifest, vite.config.ts): Vidlet's purple tile with a white
 * play triangle, the same drawing as the favicon in index.html, as PNGs drawn here with fast-png.
 * `npx tsx scripts/app-icons.ts` rewrites public/icons/; the PNGs are committed.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { encode } from 'fast-png';

/** The favicon's colour (index.html) and the manifest's theme colour. */
export const BRAND_RGB = [0x5b, 0x3d, 0xf5] as const;

export interface IconOptions {
  /**
   * Maskable icons fill the whole square and keep the drawing inside the central 80 % circle
   * (the "safe zone" of the W3C manifest spec), since the platform crops them to its own shape.
   */
  maskable?: boolean;
}

/** Coverage (0–1) of one pixel by a shape, sampled on a 4×4 grid: smooth edges without a renderer. */
function coverage(x: number, y: number, inside: (px: number, py: number) => boolean): number {
  let hits = 0;
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) if (inside(x + (i + 0.5) / 4, y + (j + 0.5) / 4)) hits++;
  return hits / 16;
}

/** RGBA pixels of the icon at `size` × `size`. */
export function drawIcon(size: number, options: IconOptions = {}): Uint8Array {
  const s = size / 32; // the favicon's 32-unit viewBox
  const radius = options.maskable ? 0 : 8 * s;
  const inTile = (px: number, py: number) => {
    const dx = Math.max(radius - px, 0, px - (size - radius));
    const dy = Math.max(radius - py, 0, py - (size - radius));
    return dx * dx + dy * dy <= radius * radius;
  };
  // The favicon's triangle (12,9)–(23,16)–(12,23), scaled about the centre for the safe zone.
  const k = options.maskable ? 0.8 : 1;
  const at = (u: number) => (16 + (u - 16) * k) * s;
  const [ax, ay, bx, by, cx, cy] = [at(12), at(9), at(23), at(16), at(12), at(23)];
  const side = (x1: number, y1: number, x2: number, y2: number, px: number, py: number) => (x2 - x1) * (py - y1) - (y2 - y1) * (px - x1);
  const inTriangle = (px: number, py: number) => {
    const d1 = side(ax, ay, bx, by, px, py);
    const d2 = side(bx, by, cx, cy, px, py);
    const d3 = side(cx, cy, ax, ay, px, py);
    return (d1 >= 0 && d2 >= 0 && d3 >= 0) || (d1 <= 0 && d2 <= 0 && d3 <= 0);
  };
  const out = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const tile = coverage(x, y, inTile);
      const white = coverage(x, y, inTriangle);
      const o = (y * size + x) * 4;
      for (let c = 0; c < 3; c++) out[o + c] = Math.round(BRAND_RGB[c] * (1 - white) + 255 * white);
      out[o + 3] = Math.round(255 * tile);
    }
  }
  return out;
}

export function iconPng(size: number, options: IconOptions = {}): Uint8Array {
  return encode({ width: size, height: size, data: drawIcon(size, options), channels: 4, depth: 8 });
}

/** Every icon the manifest names: file name → size and options. */
export const APP_ICONS = [
  { file: 'icon-192.png', size: 192, maskable: false },
  { file: 'icon-512.png', size: 512, maskable: false },
  { file: 'icon-maskable-512.png', size: 512, maskable: true },
] as const;

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const dir = resolve(import.meta.dirname, '../public/icons');
  for (const icon of APP_ICONS) writeFileSync(join(dir, icon.file), iconPng(icon.size, { maskable: icon.maskable }));
}
