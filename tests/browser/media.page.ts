/**
 * Page for tests/browser/media.test.ts: exposes the media module (and mediabunny for
 * decoding) on window, so the test drives it with page.evaluate in real Chromium.
 */
import * as mediabunny from 'mediabunny';
import * as encode from '../../src/media/encode';
import * as frames from '../../src/media/frames';
import * as restore from '../../src/media/restore';
import * as thumbnail from '../../src/media/thumbnail';
import * as videoContainer from '../../src/media/video-container';
import * as webcodecs from '../../src/media/video-webcodecs';

declare global {
  interface Window {
    media: Record<string, unknown>;
    mediaReady: boolean;
  }
}

window.media = { mediabunny, encode, frames, restore, thumbnail, videoContainer, webcodecs };
window.mediaReady = true;
