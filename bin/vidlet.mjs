#!/usr/bin/env node
// Launcher for `npx vidlet …` from the repository: registers tsx so the TypeScript CLI in
// src/cli runs without a build step, then hands over argv. tsx is therefore a run-time
// dependency, not a dev one: `npm install --omit=dev` must still give a working `vidlet`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
// Exit explicitly: onnxruntime's wasm worker threads would otherwise keep Node alive.
process.exit(await main(process.argv.slice(2)));
