/**
 * package.json declares what the code imports (issue #12): `npx vidlet` runs from an install
 * without dev dependencies (`npm install --omit=dev`), so every package the CLI loads at run time,
 * tsx for bin/vidlet.mjs included, must be a dependency; every package any source, script or test
 * imports must be declared somewhere (esbuild was once only there by luck, through vite); and
 * @types/node must describe the oldest Node that `engines.node` allows, so the type check refuses
 * APIs that Node lacks.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  bin: Record<string, string>;
};

interface Import {
  spec: string;
  /** `import type …`: erased at run time. */
  typeOnly: boolean;
  /** A dynamic import: loaded only when that code runs. */
  dynamic: boolean;
}

/**
 * Dev dependencies the CLI may load, each only by a dynamic import in the named file, which says
 * what to install when it is missing: `vidlet bench`'s native baseline (tests/unit/engine/bench-native.test.ts).
 */
const DEV_AT_RUN_TIME: Record<string, string> = { 'onnxruntime-node': 'src/cli/bench.ts' };

function importsOf(text: string): Import[] {
  const out: Import[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?'([^']+)'/g)) out.push({ spec: m[3]!, typeOnly: Boolean(m[2]), dynamic: false });
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) out.push({ spec: m[1]!, typeOnly: false, dynamic: true });
  // An import line inside a template literal (a script writing a worker's source) names no module
  // until it is filled in: '${module}' is a placeholder, and the module it becomes is imported too.
  return out.filter((i) => !i.spec.includes('${'));
}

/** The npm package of a bare specifier ('@noble/hashes/sha2' → '@noble/hashes'); null for node: built-ins, relative paths and Vite's virtual modules. */
function packageOf(spec: string): string | null {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:') || spec.startsWith('virtual:')) return null;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sources(path);
    return /\.(ts|mts|mjs|js)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The files Node loads for `entry`, following relative imports that survive compilation. */
function runtimeClosure(entry: string): Map<string, Import[]> {
  const seen = new Map<string, Import[]>();
  const todo = [normalize(entry)];
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    const imports = importsOf(readFileSync(file, 'utf8')).filter((i) => !i.typeOnly);
    seen.set(file, imports);
    for (const { spec } of imports) {
      if (!spec.startsWith('.')) continue;
      const base = join(dirname(file), spec);
      const found = [base, `${base}.ts`, base.replace(/\.js$/, '.ts'), join(base, 'index.ts')].find((p) => existsSync(p) && statSync(p).isFile());
      if (!found) throw new Error(`${file}: cannot resolve ${spec}`);
      todo.push(normalize(found));
    }
  }
  return seen;
}

describe('package.json declares what the code imports', () => {
  it('every package the CLI loads at run time is a dependency, not a dev one', () => {
    const closure = runtimeClosure(pkg.bin.vidlet!);
    expect(closure.size).toBeGreaterThan(20); // bin → src/cli/main.ts → engine, store, media…
    const missing = [...closure].flatMap(([file, imports]) =>
      imports
        .filter((i) => !(i.dynamic && DEV_AT_RUN_TIME[packageOf(i.spec) ?? ''] === file))
        .map((i) => packageOf(i.spec))
        .filter((p): p is string => p !== null && !(p in pkg.dependencies))
        .map((p) => `${file} loads ${p}`),
    );
    expect(missing).toEqual([]);
    expect(pkg.dependencies).toHaveProperty('tsx'); // bin/vidlet.mjs registers it before anything else
  });

  it('every package a source, script or test imports is declared', () => {
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)]);
    const files = ['src', 'bin', 'scripts', 'tests'].flatMap(sources).concat(['vite.config.ts', 'vitest.config.ts'].filter(existsSync));
    expect(files.length).toBeGreaterThan(100);
    const undeclared = files.flatMap((file) =>
      importsOf(readFileSync(file, 'utf8')).map((i) => packageOf(i.spec)).filter((p): p is string => p !== null && !declared.has(p)).map((p) => `${file} imports ${p}`),
    );
    expect(undeclared).toEqual([]);
  });

  it("@types/node is the oldest Node that engines.node allows", () => {
    const oldest = /^>=\s*(\d+)/.exec(pkg.engines.node)?.[1];
    const types = /^[~^]?(\d+)\./.exec(pkg.devDependencies['@types/node'] ?? '')?.[1];
    expect(oldest, `engines.node ${pkg.engines.node}`).toBeDefined();
    expect(types, `@types/node ${pkg.devDependencies['@types/node']}`).toBe(oldest);
  });
});
