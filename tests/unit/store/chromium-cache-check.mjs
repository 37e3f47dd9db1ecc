// Real-IndexedDB check of the browser store in headless Chromium (not a vitest file: it needs
// /usr/bin/chromium and ~1 core for ~20 s). Run: node tests/unit/store/chromium-cache-check.mjs
// A 150 MiB random file (3 chunks of 64 MiB; random so Chromium cannot compress it) is served by
// a local server that cuts the first download at 100 MiB. Checked, each with a fresh store object
// after a page reload: (1) the cut leaves 1 stored chunk, (2) the reload resumes with
// Range: bytes=67108864-, (3) with /m/ blocked the manifest, tokenizer and file load from
// IndexedDB, (4) a flipped byte in a stored chunk is caught, deleted and fetched again,
// (5) the repaired copy loads from the cache. Exits 1 on the first failed check.
import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const root = new URL('../../../', import.meta.url).pathname;
const bundle = (await build({
  stdin: {
    contents: `import { BrowserModelStore } from './src/store/browser-store'; globalThis.BrowserModelStore = BrowserModelStore;`,
    resolveDir: root, loader: 'ts',
  },
  bundle: true, format: 'iife', write: false,
})).outputFiles[0].text;

const big = randomBytes(150 << 20);
const file = { path: 'big.bin', bytes: big.length, sha256: createHash('sha256').update(big).digest('hex') };
const requests = [];
let cutNext = true;
const srv = createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  if (path.startsWith('/m/')) requests.push(`${path} ${req.headers.range ?? ''}`.trim());
  if (path === '/') return res.end('<!doctype html><script src="/bundle.js"></script>');
  if (path === '/bundle.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
  if (path === '/m/manifest.json') return res.end(JSON.stringify({ format: 'vidlet-model', formatVersion: 1, name: 'check-model' }));
  if (path === '/m/tokenizer.json') return res.end('{"tok":1}');
  if (path !== '/m/big.bin') return res.writeHead(404).end();
  const m = /bytes=(\d+)-/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  const body = big.subarray(start);
  const headers = { 'content-length': body.length, 'accept-ranges': 'bytes' };
  if (m) headers['content-range'] = `bytes ${start}-${big.length - 1}/${big.length}`;
  res.writeHead(m ? 206 : 200, headers);
  if (!cutNext) return res.end(body);
  cutNext = false;
  res.write(body.subarray(0, 100 << 20), () => setTimeout(() => res.destroy(), 50));
});
await new Promise((r) => srv.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${srv.address().port}`;
const profile = mkdtempSync(join(tmpdir(), 'vidlet-cache-check-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = ctx.pages()[0] ?? (await ctx.newPage());

const load = (retries = 5) => page.evaluate(async ({ file, retries }) => {
  const warnings = [];
  const store = new BrowserModelStore({ retries, backoffBaseMs: 50, onWarning: (w) => warnings.push(w) });
  const progress = [];
  try {
    await store.readManifest('/m/');
    const tok = await store.readText('/m/', 'tokenizer.json');
    const data = await store.getFile('/m/', file, (p) => progress.push(p));
    return { ok: data.length === file.bytes, tok, fromCache: progress.at(-1).fromCache, firstLoaded: progress[0].loadedBytes, warnings };
  } catch (e) {
    const rec = await store.cache.getRecord('check-model', file);
    return { ok: false, error: `${e.name}: ${e.message}`, chunks: rec?.chunks, warnings };
  }
}, { file, retries });

let failed = false;
const check = (label, cond, detail) => {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${label}${cond ? '' : ' ' + JSON.stringify(detail)}`);
  failed ||= !cond;
};
try {
  await page.goto(origin + '/');
  let r = await load(0);
  check('1 cut download fails and keeps 1 stored chunk', !r.ok && r.chunks === 1, r);
  await page.reload();
  requests.length = 0;
  r = await load();
  check('2 reload resumes with Range from the stored chunk', r.ok && r.firstLoaded === 64 << 20 && requests.includes(`/m/big.bin bytes=${64 << 20}-`), { r, requests });
  await page.reload();
  await page.route('**/m/**', (route) => route.abort('internetdisconnected'));
  r = await load();
  check('3 network blocked: manifest, tokenizer and file from IndexedDB', r.ok && r.fromCache && r.tok === '{"tok":1}' && /using the copy saved/.test(r.warnings[0]), r);
  await page.unroute('**/m/**');
  await page.evaluate(async (sha) => {
    const db = await new Promise((res, rej) => { const q = indexedDB.open('vidlet-models'); q.onsuccess = () => res(q.result); q.onerror = () => rej(q.error); });
    const st = db.transaction('files', 'readwrite').objectStore('files');
    const key = `chunk:check-model/big.bin@${sha}#00001`;
    const v = await new Promise((res) => { const q = st.get(key); q.onsuccess = () => res(q.result); });
    v[12345] ^= 0xff;
    await new Promise((res) => { st.put(v, key).onsuccess = res; });
  }, file.sha256);
  requests.length = 0;
  r = await load();
  check('4 corrupt chunk: caught, deleted, fetched again', r.ok && !r.fromCache && /cached copy of big\.bin is corrupt/.test(r.warnings[0]) && requests.includes('/m/big.bin'), { r, requests });
  r = await load();
  check('5 repaired copy loads from the cache', r.ok && r.fromCache, r);
} finally {
  await ctx.close();
  srv.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
