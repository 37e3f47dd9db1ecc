/**
 * The module Web Worker that runs the engine, off the page's main thread so the UI stays
 * responsive while onnxruntime computes. Created by engine-client.ts.
 */
import * as Comlink from 'comlink';
import * as ort from 'onnxruntime-web/webgpu';
import { VidletEngine } from '../engine/engine';
import { BrowserModelFileStore } from '../store/browser-store';
import { EngineHost } from './engine-host';

const engine = new VidletEngine(new BrowserModelFileStore(), ort);
Comlink.expose(new EngineHost(engine));
