/**
 * Plays FramesRGBA on a canvas as a loop at the clip's fps. A Lit controller so the timer
 * stops when the component leaves the page.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { FramesRGBA } from '../../engine/types';
import { drawFrame } from '../data/frames';

export class FrameLoop implements ReactiveController {
  #frames?: FramesRGBA;
  #canvas?: HTMLCanvasElement;
  #fps = 8;
  #index = 0;
  #timer?: ReturnType<typeof setInterval>;
  #paused = false;

  constructor(host: ReactiveControllerHost) {
    host.addController(this);
  }

  /** Shows `frames` on `canvas`, keeping the position in the loop when only the frames change. */
  play(canvas: HTMLCanvasElement | undefined | null, frames: FramesRGBA | undefined, fps: number): void {
    if (!canvas || !frames) return;
    const restart = canvas !== this.#canvas || fps !== this.#fps || this.#timer === undefined;
    this.#canvas = canvas;
    this.#frames = frames;
    this.#fps = fps > 0 ? fps : 8;
    this.#index %= frames.frames;
    drawFrame(canvas, frames, this.#index);
    if (restart) this.#start();
  }

  /** Stops the loop on one frame (scrubbing). */
  show(index: number): void {
    this.#paused = true;
    this.#index = index;
    if (this.#canvas && this.#frames) drawFrame(this.#canvas, this.#frames, index);
  }

  resume(): void {
    this.#paused = false;
  }

  get index(): number {
    return this.#index;
  }

  #start(): void {
    this.#stop();
    this.#timer = setInterval(() => {
      if (this.#paused || !this.#canvas || !this.#frames) return;
      this.#index = (this.#index + 1) % this.#frames.frames;
      drawFrame(this.#canvas, this.#frames, this.#index);
    }, 1000 / this.#fps);
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.#stop();
    this.#canvas = undefined;
  }
}
