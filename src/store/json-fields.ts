/**
 * Typed readers for untrusted JSON that throw a ManifestError naming the exact field.
 * Field paths are dotted from the manifest root ('components.denoiser.variants.fp16.files[0].sha256');
 * messages start with 'manifest.<field>' so a user can find the line in manifest.json.
 */
import { describeLimit, isWithin, type NumberLimit } from '../package/request';
import { ManifestError } from './errors';

export type Json = Record<string, unknown>;

const REEXPORT = 're-export the model with training/export, or fix manifest.json by hand';

export function fail(field: string, problem: string, advice: string = REEXPORT): never {
  throw new ManifestError(field, `manifest.${field} ${problem}: ${advice}`);
}

export function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 60 ? v.slice(0, 60) + '…' : v)}`;
  if (typeof v === 'number') return String(v);
  return `a ${typeof v}`;
}

export function join(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

export function obj(v: unknown, field: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, `is ${describe(v)}, but must be an object`);
  return v as Json;
}

export function arr(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) fail(field, `is ${describe(v)}, but must be an array`);
  return v;
}

export function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0) fail(field, `is ${describe(v)}, but must be a non-empty string`);
  return v;
}

export function bool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') fail(field, `is ${describe(v)}, but must be true or false`);
  return v;
}

export function optStr(v: unknown, field: string): string | undefined {
  return v === undefined ? undefined : str(v, field);
}

export function num(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(field, `is ${describe(v)}, but must be a finite number`);
  return v;
}

export function positiveNum(v: unknown, field: string): number {
  const n = num(v, field);
  if (n <= 0) fail(field, `is ${n}, but must be greater than 0`);
  return n;
}

export function int(v: unknown, field: string, min: number): number {
  const n = num(v, field);
  if (!Number.isSafeInteger(n)) fail(field, `is ${n}, but must be an integer`);
  if (n < min) fail(field, `is ${n}, but must be at least ${min}`);
  return n;
}

export function oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    fail(field, `is ${describe(v)}, but must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
  return v as T;
}

/** A number within one of the request limits (src/package/request.ts). */
export function limited(v: unknown, field: string, limit: NumberLimit): number {
  if (!isWithin(limit, v)) fail(field, `is ${describe(v)}, but must be ${describeLimit(limit)}`);
  return v;
}

/** A non-empty array of distinct non-empty strings. */
export function uniqueStrings(v: unknown, field: string): string[] {
  const a = arr(v, field);
  if (a.length === 0) fail(field, 'is empty, but must list at least one name');
  const out = a.map((x, i) => str(x, join(field, i)));
  const dup = out.find((x, i) => out.indexOf(x) !== i);
  if (dup !== undefined) fail(field, `lists ${JSON.stringify(dup)} twice`);
  return out;
}

/**
 * A path relative to the model folder. Refused: absolute paths, URLs (any scheme, or '//host'),
 * backslashes, empty segments and '.'/'..' segments, also percent-encoded ones, because the
 * WHATWG URL parser turns '%2e%2e' into '..' — the browser store joins paths onto a base URL
 * and the Node store onto a folder, and neither may leave the model's folder.
 */
export function relPath(v: unknown, field: string): string {
  const p = str(v, field);
  const advice = 'every file must be named relative to the model folder, like "denoiser.int8.onnx" or "adapters/x.safetensors"';
  if (p.startsWith('/') || /^[a-zA-Z]:/.test(p)) fail(field, `is the absolute path ${JSON.stringify(p)}`, advice);
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(p)) fail(field, `is the URL ${JSON.stringify(p)}`, advice);
  if (p.includes('\\')) fail(field, `contains a backslash (${JSON.stringify(p)})`, advice + ', with "/" between folders');
  if (/[\u0000-\u001f?#]/.test(p)) fail(field, `contains a control character, '?' or '#' (${JSON.stringify(p)})`, advice);
  for (const seg of p.split('/')) {
    let decoded = seg;
    try {
      decoded = decodeURIComponent(seg);
    } catch {
      fail(field, `has a malformed percent-escape in ${JSON.stringify(p)}`, advice);
    }
    if (seg === '' || decoded === '.' || decoded === '..' || /^%2e(%2e|\.)?$|^\.%2e$/i.test(seg)) {
      fail(field, `escapes or leaves the model folder (${JSON.stringify(p)})`, advice);
    }
  }
  return p;
}
