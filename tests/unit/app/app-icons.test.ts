import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { BRAND_RGB, drawIcon, iconPng } from '../../../scripts/app-icons';

const at = (px: Uint8Array, size: number, x: number, y: number) => Array.from(px.subarray((y * size + x) * 4, (y * size + x) * 4 + 4));

describe('app icons', () => {
  it('draws a brand tile with rounded, transparent corners and a white play triangle at the centre', () => {
    const px = drawIcon(64);
    expect(at(px, 64, 0, 0)[3]).toBe(0); // corner cut by the radius
    expect(at(px, 64, 32, 2)).toEqual([...BRAND_RGB, 255]); // top edge, away from the triangle
    expect(at(px, 64, 30, 32)).toEqual([255, 255, 255, 255]); // inside the triangle
  });

  it('fills the whole square when maskable and keeps the triangle inside the central 80 % safe zone', () => {
    const size = 100;
    const px = drawIcon(size, { maskable: true });
    expect(at(px, size, 0, 0)).toEqual([...BRAND_RGB, 255]);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        if (at(px, size, x, y)[0] === BRAND_RGB[0]) continue; // background
        expect(Math.hypot(x + 0.5 - size / 2, y + 0.5 - size / 2)).toBeLessThanOrEqual(0.4 * size);
      }
    }
  });

  it('encodes a PNG of the asked size', () => {
    const png = decode(iconPng(48));
    expect([png.width, png.height, png.channels]).toEqual([48, 48, 4]);
  });
});
