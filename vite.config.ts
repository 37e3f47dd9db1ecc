import { readFileSync } from 'node:fs';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

// Cross-origin isolation (COOP + COEP) enables SharedArrayBuffer, which onnxruntime-web needs
// for multithreaded WebAssembly (../shared/BROWSER.md: 2 threads roughly halved step times).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * What the page and the engine worker report as their build (src/build-info.ts): the package
 * version unless VIDLET_BUILD names the deployment. The update test builds twice with two names.
 */
const version = process.env.VIDLET_BUILD || JSON.parse(readFileSync(new URL('package.json', import.meta.url), 'utf8')).version;

/** onnxruntime-web's WebGPU (asyncify) wasm, as vite emits it: cached at runtime, not precached (below). */
const ASYNCIFY_WASM_GLOB = 'assets/*.asyncify*.wasm';

/** The brand colour of the favicon (index.html) and the icons (scripts/app-icons.ts). */
const THEME = '#5b3df5';

export default defineConfig(({ command }) => ({
  server: { headers: isolation },
  preview: { headers: isolation },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 2048 },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  define: { __VIDLET_VERSION__: JSON.stringify(version), __VIDLET_SERVICE_WORKER__: JSON.stringify(command === 'build') },
  plugins: [
    // The service worker (Workbox generateSW) precaches the app shell: the page, its script, the
    // engine worker and the plain onnxruntime .wasm that the WebAssembly backend runs on, all from
    // one build; src/app/data/app-shell.ts registers it and offers updates. Not the model
    // (public/models/, ~150 MB): the engine keeps that, verified, in IndexedDB and loads it from
    // there offline (src/store/browser-store.ts). Not the WebGPU bundle's asyncify .wasm (~27 MB,
    // src/worker/ort-bundle.ts): only a WebGPU load fetches it, and the service worker keeps it
    // then (runtimeCaching), so every first visit does not download it. Offline before a first
    // WebGPU load, the engine's WebGPU→wasm fallback runs the model on the precached plain bundle.
    VitePWA({
      registerType: 'prompt', // a new version waits until the user says Reload (never a mix of two builds)
      injectRegister: false, // registered by app-shell.ts with workbox-window
      manifest: {
        name: 'Vidlet · text to video in your browser',
        short_name: 'Vidlet',
        description: 'Vidlet turns a sentence into a short video clip, entirely inside your browser.',
        start_url: '.',
        scope: '.',
        display: 'standalone',
        background_color: '#f7f6fb',
        theme_color: THEME,
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{html,js,mjs,css,wasm,svg}'], // + the manifest and its icons, added by the plugin
        globIgnores: ['models/**', ASYNCIFY_WASM_GLOB],
        // onnxruntime's threaded wasm is ~27 MB; Workbox skips files over 2 MiB by default.
        maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
        navigateFallbackDenylist: [/^\/models\//],
        cleanupOutdatedCaches: true,
        runtimeCaching: [{
          urlPattern: ({ url }) => /\/assets\/[^/]*\.asyncify[^/]*\.wasm$/.test(url.pathname),
          handler: 'CacheFirst', // its name carries a content hash: a cached copy is never stale
          options: {
            cacheName: 'vidlet-ort-webgpu-wasm',
            cacheableResponse: { statuses: [200] },
            expiration: { maxEntries: 1 }, // the current build's; an update's replaces it on its first WebGPU load
          },
        }],
      },
    }),
  ],
}));
