/**
 * `npx tsx src/store/check-package-cli.ts public/models/vidlet-tiny` — validates a model folder
 * (manifest, sizes, sha256 of every file, auxiliary files). Exit code 0 only if all is well.
 */
import { checkPackage } from './check-package';
import { formatBytes } from './errors';
import { NodeFolderStore } from './node-store';

const folder = process.argv[2];
if (!folder) {
  console.error('usage: tsx src/store/check-package-cli.ts <model folder>');
  process.exit(2);
}
try {
  const r = await checkPackage(new NodeFolderStore(), folder);
  for (const f of r.files) console.log(`${f.error ? 'FAIL' : 'ok  '} ${f.path} (${formatBytes(f.bytes)}, ${f.listedAt})${f.error ? `\n     ${f.error}` : ''}`);
  console.log(`${r.manifest.name}: ${r.files.length} files, ${formatBytes(r.totalBytes)} listed, ${r.ok ? 'all verified' : 'FAILED'}`);
  process.exit(r.ok ? 0 : 1);
} catch (e) {
  console.error(`${(e as Error).name}: ${(e as Error).message}`);
  process.exit(1);
}
