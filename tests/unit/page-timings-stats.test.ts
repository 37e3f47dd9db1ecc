/** The pure part of scripts/page-timings.ts (#13): medians, spreads, paired ratios, warm-start phases, tables. */
import { describe, expect, it } from 'vitest';
import { firstPreviewPhases, median, pairedRatios, spread, table, verdict, warmStartPhases, type Measure } from '../../scripts/page-timings-stats';

describe('median, spread, pairedRatios', () => {
  it('median of odd and even counts, unsorted input untouched', () => {
    const xs = [5, 1, 3];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('spread is max/min', () => {
    expect(spread([1900, 5200, 5300])).toBeCloseTo(5300 / 1900);
    expect(spread([2, 2])).toBe(1);
    expect(spread([])).toBeNaN();
  });

  it('pairs page and Node runs in order; the median is of the per-pair ratios', () => {
    // The figures: 1.9, 5.2, 5.3 s in the page against ~1.3 s in Node.
    const r = pairedRatios([1900, 5200, 5300], [1300, 1300, 1325]);
    expect(r.ratios.map((x) => Number(x.toFixed(3)))).toEqual([1.462, 4, 4]);
    expect(r.median).toBe(4);
    expect(() => pairedRatios([1, 2], [1])).toThrow(/paired/);
  });

  it('verdict: at most the target is ok', () => {
    expect(verdict(2000, 2000)).toBe('ok');
    expect(verdict(2001, 2000)).toBe('MISSED');
    expect(verdict(NaN, 2000)).toBe('MISSED');
  });
});

describe('warmStartPhases', () => {
  // Worker clock starts 100 ms after the page's; the page asks at 400, the engine loads 520–1520 (worker 420–1420).
  const page: Measure[] = [
    { name: 'vidlet:page:model-load', startTime: 400, duration: 1200 },
    { name: 'vidlet:page:after-load', startTime: 1540, duration: 30 },
  ];
  const worker: Measure[] = [
    { name: 'vidlet:load', startTime: 420, duration: 1000 },
    { name: 'vidlet:load:manifest', startTime: 421, duration: 10 },
    { name: 'vidlet:load:probe', startTime: 431, duration: 5 },
    { name: 'vidlet:load:tokenizer', startTime: 436, duration: 20 },
    { name: 'vidlet:load:files', startTime: 456, duration: 400 },
    { name: 'vidlet:store:cache-read', startTime: 457, duration: 150, detail: { file: 'a.onnx' } },
    { name: 'vidlet:store:sha256', startTime: 607, duration: 100, detail: { file: 'a.onnx' } },
    { name: 'vidlet:store:cache-read', startTime: 707, duration: 50, detail: { file: 'b.onnx' } },
    { name: 'vidlet:store:sha256', startTime: 757, duration: 40, detail: { file: 'b.onnx' } },
    { name: 'vidlet:load:session', startTime: 1056, duration: 100, detail: { key: 'denoiser' } },
    { name: 'vidlet:load:session', startTime: 856, duration: 200, detail: { key: 'textEncoder' } },
    { name: 'vidlet:load:adapters', startTime: 1160, duration: 60 },
    { name: 'vidlet:load:prune', startTime: 1400, duration: 15 },
  ];
  const w = warmStartPhases({ page, worker, workerOffsetMs: 100, domContentLoadedMs: 250 });

  it('totals navigation start → ready, and the phases add up to it', () => {
    expect(w.totalMs).toBe(1600);
    expect(w.phases.reduce((a, p) => a + p.ms, 0)).toBeCloseTo(1600, 9);
  });

  it('places the worker on the page clock', () => {
    const ms = (label: string) => w.phases.find((p) => p.label.startsWith(label))!.ms;
    expect(ms('page and app script')).toBe(250);
    expect(ms('app start')).toBe(150);
    expect(ms('request → engine')).toBe(120);
    expect(ms('engine → page ready')).toBe(1600 - 1520);
    expect(ms('engine: other')).toBe(1000 - 10 - 5 - 20 - 400 - 300 - 60 - 15);
  });

  it('splits the files into IndexedDB reads, sha256 and the rest; names the first session', () => {
    const files = w.phases.find((p) => p.label === 'engine: model files')!;
    expect(files.parts).toEqual([
      { label: 'IndexedDB read', ms: 200 },
      { label: 'sha256 check', ms: 140 },
      { label: 'other', ms: 60 },
    ]);
    const sessions = w.phases.find((p) => p.label.startsWith('engine: onnxruntime sessions'))!;
    expect(sessions.label).toBe('engine: onnxruntime sessions (2)');
    expect(sessions.parts).toEqual([
      { label: 'textEncoder (+ wasm runtime start)', ms: 200 },
      { label: 'denoiser', ms: 100 },
    ]);
  });

  it('says when a warm start downloaded', () => {
    const d = warmStartPhases({
      page, worker: [...worker, { name: 'vidlet:store:download', startTime: 800, duration: 10 }], workerOffsetMs: 100, domContentLoadedMs: 250,
    });
    expect(d.phases.find((p) => p.label === 'engine: model files')!.parts!.map((p) => p.label)).toContain('download (not warm!)');
  });

  it('refuses a timeline without exactly one load', () => {
    expect(() => warmStartPhases({ page, worker: worker.slice(1), workerOffsetMs: 0, domContentLoadedMs: 0 })).toThrow(/one vidlet:load measure/);
  });
});

describe('firstPreviewPhases', () => {
  it('splits click → drawn into consecutive phases across both timelines, counting only what ran before the first post', () => {
    const m = (name: string, startTime: number, duration: number, detail?: unknown): Measure => ({ name, startTime, duration, ...(detail ? { detail } : {}) });
    // Worker timeline starts 1000 ms after the page's.
    const worker = [
      m('vidlet:generate', 10, 500),
      m('vidlet:generate:adapters', 11, 1),
      m('vidlet:generate:text', 12, 50, { texts: 2, cached: false }),
      m('vidlet:generate:tokenize', 12, 2),
      m('vidlet:generate:denoise', 63, 100, { call: 1, batch: 3 }),
      m('vidlet:generate:preview', 165, 20, { step: 1 }),
      m('vidlet:generate:post-step', 190, 1, { step: 1 }),
      m('vidlet:generate:denoise', 192, 100, { call: 2, batch: 3 }),
      m('vidlet:generate:post-step', 300, 1, { step: 2 }),
    ];
    const page = [m('vidlet:page:generate-request', 1005, 3), m('vidlet:page:first-step', 1005, 190)];
    const split = firstPreviewPhases({ clickAt: 1000, drawnAt: 1220, page, worker, workerOffsetMs: 1000 });
    expect(split.totalMs).toBe(220);
    const byLabel = Object.fromEntries(split.phases.map((p) => [p.label, p.ms]));
    expect(byLabel['click → EngineSession.generate (app)']).toBe(5);
    expect(byLabel['page: before posting the request']).toBe(3);
    expect(byLabel['request → engine (message)']).toBe(2);
    expect(byLabel['engine: text encoder']).toBe(50);
    expect(byLabel['engine: denoiser, step 1 (1 call)']).toBe(100);
    expect(byLabel['engine: preview decode']).toBe(20);
    expect(byLabel['engine: other (guidance, scheduler, preview frames, post)']).toBe(181 - 1 - 50 - 100 - 20);
    expect(byLabel['preview → page (message)']).toBe(1195 - 1191);
    expect(byLabel['page: render and draw']).toBe(25);
    expect(split.phases.reduce((a, p) => a + p.ms, 0)).toBeCloseTo(220);
  });
});

describe('table', () => {
  it('aligns the first column left and the others right', () => {
    expect(table(['phase', 'ms'], [['a', '1'], ['longer', '100']])).toBe(['phase    ms', '------  ---', 'a         1', 'longer  100'].join('\n'));
  });
});
