import { defineConfig } from 'vite';

// Cross-origin isolation (COOP + COEP) enables SharedArrayBuffer, which onnxruntime-web needs
// for multithreaded WebAssembly (../shared/BROWSER.md: 2 threads roughly halved step times).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  server: { headers: isolation },
  preview: { headers: isolation },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 2048 },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
});
