/**
 * The package contract is written once (issue #12): src/package holds the sampler, blend, variant
 * and backend names, and src/store/types.ts the manifest (its `lora` section is the LoRA layout).
 * A second copy elsewhere drifts, as five sampler lists and two `BlendMode`s once did. This reads
 * the sources: no literal list of those names outside src/package, no restated LoRA layout outside
 * the manifest type, and the layering that lets every layer import the contract (src/package
 * imports only itself; src/store nothing above it, the engine least of all).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = 'src';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.tsx?$/.test(e.name) ? [path] : [];
  });
}

const files = sources(SRC).map((path) => ({ path: relative('.', path).replaceAll('\\', '/'), text: readFileSync(path, 'utf8') }));

function importsOf(text: string): string[] {
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/g), ...text.matchAll(/import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!);
}

/** Lines of files outside `except` that match `pattern`, as "path:line: text". */
function hits(pattern: RegExp, except: (path: string) => boolean): string[] {
  const out: string[] = [];
  for (const f of files) {
    if (except(f.path)) continue;
    f.text.split('\n').forEach((line, i) => {
      if (pattern.test(line)) out.push(`${f.path}:${i + 1}: ${line.trim()}`);
    });
  }
  return out;
}

const inPackage = (p: string) => p.startsWith('src/package/');

describe('the package contract is declared once', () => {
  it('finds the sources it checks', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files.some((f) => f.path === 'src/package/request.ts')).toBe(true);
  });

  it('src/package imports only itself', () => {
    const outside = files.filter((f) => inPackage(f.path)).flatMap((f) => importsOf(f.text).filter((s) => !s.startsWith('./')).map((s) => `${f.path} imports ${s}`));
    expect(outside).toEqual([]);
  });

  it('src/store imports nothing from the layers above it (engine, worker, app, cli, media, votes)', () => {
    const up = files
      .filter((f) => f.path.startsWith('src/store/'))
      .flatMap((f) => importsOf(f.text).filter((s) => /^\.\.\/(engine|worker|app|cli|media|votes)(\/|$)/.test(s)).map((s) => `${f.path} imports ${s}`));
    expect(up).toEqual([]);
  });

  it('no sampler, blend-mode, variant or backend list is spelled out outside src/package', () => {
    // A whole vocabulary in a list, or two of its names in a type union. (An ordered preference such
    // as backend.ts's ['int8', 'fp32', 'q4'] is a rule about the names, typed Variant[]: allowed.)
    const list = (names: readonly string[]) => names.map((n) => `'${n}'`).join(String.raw`\s*,\s*`);
    const union = (names: readonly string[]) => `'(${names.join('|')})'` + String.raw`\s*\|\s*` + `'(${names.join('|')})'`;
    const vocabularies = [
      ['euler', 'heun', 'euler-ancestral', 'x0-renoise', 'unipc'],
      ['constant', 'dualreal'],
      ['fp32', 'fp16', 'int8', 'q4'],
      ['webgpu', 'wasm'],
    ];
    const pattern = new RegExp(vocabularies.flatMap((v) => [list(v.slice(0, 2)), list(v.slice(0, 2).reverse()), union(v)]).join('|'));
    expect(hits(pattern, inPackage)).toEqual([]);
  });

  it("the LoRA layout is the manifest's `lora` section, not restated", () => {
    expect(hits(/\bslots: (readonly )?string\[\];\s*depth: number/, (p) => p === 'src/store/types.ts')).toEqual([]);
  });
});
