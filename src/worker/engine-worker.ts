/**
 * The module Web Worker that runs the engine, off the page's main thread so the UI stays
 * responsive while onnxruntime computes. Created by engine-client.ts.
 */
import * as Comlink from 'comlink';
import { VidletEngine } from '../engine/engine';
import { BrowserModelFileStore } from '../store/browser-store';
import { EngineHost } from './engine-host';
import { ortForBackend } from './ort-bundle';

const store = new BrowserModelFileStore();
const engine = new VidletEngine(store, ortForBackend);
// The page reaches the model cache only through this worker, so one context owns its IndexedDB.
Comlink.expose(new EngineHost(engine, store.cache));
