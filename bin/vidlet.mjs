#!/usr/bin/env node
/**
 * `npx vidlet …` from the repository: runs src/cli/main.ts under tsx (TypeScript without a build
 * step) in a child Node, passing arguments, stdio and the exit code through.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
let tsx;
try {
  tsx = import.meta.resolve('tsx');
} catch {
  console.error('vidlet: the tsx package is missing; run `npm install` in the repository first.');
  process.exit(1);
}
const child = spawn(process.execPath, ['--import', tsx, main, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
