/**
 * The vote record and its JSONL: records read back exactly as written; every kind of bad line is
 * refused with its line number, field and what was expected, and never costs the good lines; a
 * file cut short loses only its last line. The settings limits are written out here (not read
 * from src/package/request.ts), so a change to them has to be made on purpose.
 */
import { describe, expect, it } from 'vitest';
import { parseVotesJsonl, readVoteRecord, voteRecordLine, VoteRecordError, votesToJsonl, type VoteRecord } from '../../../src/votes/vote-record';
import { adapterTake, MODEL_HASH, take, vote } from './fixtures';
import { SAMPLER_NAMES } from '../../../src/package/request';

/** The problems of one record given as a line of its own. */
function problemsOf(value: unknown) {
  const { records, problems } = parseVotesJsonl(JSON.stringify(value) + '\n');
  expect(records).toEqual([]);
  expect(problems).toHaveLength(1);
  expect(problems[0].line).toBe(1);
  return problems[0];
}

const withSettings = (change: Record<string, unknown>) => ({ ...vote('s'), a: { ...take(7), settings: { ...take(7).settings, ...change } } });

describe('vote records as JSONL', () => {
  it('round-trips: every field, adapters with curves, and dimensions left unvoted', () => {
    const records: VoteRecord[] = [
      vote('v1'),
      vote('v2', { negative: 'blurry', a: adapterTake(), variant: 'fp32', outcomes: { MQ: 'B' } }),
      vote('v3 "quoted" ünïcödé', { prompt: 'une étoile rouge', outcomes: { overall: 'tie' } }),
    ];
    const text = votesToJsonl(records);
    expect(text.split('\n')).toHaveLength(4); // three lines, each ending in a newline
    expect(text.endsWith('\n')).toBe(true);
    const back = parseVotesJsonl(text);
    expect(back.problems).toEqual([]);
    expect(back.records).toEqual(records);
    expect(votesToJsonl(back.records)).toBe(text);
  });

  it('tolerates a byte-order mark, CRLF line ends and blank lines', () => {
    const text = '\uFEFF' + votesToJsonl([vote('v1'), vote('v2')]).replace(/\n/g, '\r\n').replace('\r\n', '\r\n\r\n   \r\n');
    const { records, problems } = parseVotesJsonl(text);
    expect(problems).toEqual([]);
    expect(records.map((r) => r.id)).toEqual(['v1', 'v2']);
  });

  it('keeps every good line around bad ones, numbering lines from 1 (blank lines counted)', () => {
    const lines = [voteRecordLine(vote('v1')), '{"id": oops', '', JSON.stringify({ ...vote('v4'), variant: 'fp64' }), voteRecordLine(vote('v5'))];
    const { records, problems } = parseVotesJsonl(lines.join('\n') + '\n');
    expect(records.map((r) => r.id)).toEqual(['v1', 'v5']);
    expect(problems.map((p) => p.line)).toEqual([2, 4]);
    expect(problems[0].message).toMatch(/^Line 2 is not complete JSON .*the line is damaged\. The other lines were read\.$/);
    expect(problems[1]).toEqual({ line: 4, fields: [{ field: 'variant', message: 'should be one of fp32, fp16, int8, q4, got "fp64"' }], message: 'Line 4: variant should be one of fp32, fp16, int8, q4, got "fp64".' });
  });

  it('a file cut short loses only its last, incomplete line, and says so', () => {
    const text = votesToJsonl([vote('v1'), vote('v2'), vote('v3')]);
    const cut = text.slice(0, text.length - 40);
    const { records, problems } = parseVotesJsonl(cut);
    expect(records.map((r) => r.id)).toEqual(['v1', 'v2']);
    expect(problems).toHaveLength(1);
    expect(problems[0].line).toBe(3);
    expect(problems[0].message).toMatch(/^Line 3 is not complete JSON .*cut short/);
    // Cut at a line end: nothing is lost and nothing is reported.
    const atLineEnd = text.slice(0, text.indexOf('\n', text.indexOf('\n') + 1) + 1);
    expect(parseVotesJsonl(atLineEnd)).toEqual({ records: [vote('v1'), vote('v2')], problems: [] });
    expect(parseVotesJsonl('')).toEqual({ records: [], problems: [] });
  });

  it('a line from another version says which, and what to do', () => {
    expect(problemsOf({ ...vote('n'), version: 2, somethingNew: true }).message).toBe(
      'Line 1: it is a vote record of version 2, from a newer Vidlet (this one reads version 1): update Vidlet to import it.',
    );
    expect(problemsOf({ ...vote('n'), version: undefined }).message).toBe('Line 1: it is not a Vidlet vote record: "version" should be 1, got nothing.');
    expect(problemsOf({ app: 'vidlet', version: 'one' }).fields[0].field).toBe('version');
    expect(problemsOf([1, 2]).message).toBe('Line 1: should be a vote record (a JSON object), got a list.');
  });

  it('names each bad field of the record and what it should be', () => {
    const cases: [change: Record<string, unknown>, field: string, message: RegExp][] = [
      [{ id: '' }, 'id', /should be a non-empty string, got ""/],
      [{ createdAt: '2026-12-04' }, 'createdAt', /milliseconds since 1970, got "2026-12-04"/],
      [{ prompt: 3 }, 'prompt', /should be a non-empty string, got 3/],
      [{ negative: null }, 'negative', /should be a string, got null/],
      [{ model: undefined }, 'model', /got nothing/],
      [{ modelHash: 'abc' }, 'modelHash', /sha256 digest \(64 hexadecimal characters\), got "abc"/],
      [{ a: 'take one' }, 'a', /should be a take/],
      [{ b: { ...take(8), settings: [] } }, 'b.settings', /generation settings/],
      [{ b: { ...take(8), adapterHashes: undefined } }, 'b.adapterHashes', /sha256 digests by adapter name/],
      [{ b: { ...take(8), historyId: 5 } }, 'b.historyId', /should be a string, got 5/],
      [{ outcomes: { VQ: 'left' } }, 'outcomes.VQ', /should be "A", "B", "tie" \(leave it out when not voted\), got "left"/],
      [{ outcomes: { VQ: null } }, 'outcomes.VQ', /got null/],
      [{ outcomes: { AQ: 'A' } }, 'outcomes.AQ', /the dimensions are VQ, MQ, TA, overall/],
      [{ outcomes: {} }, 'outcomes', /at least one of VQ, MQ, TA, overall voted/],
      [{ outcomes: 'A' }, 'outcomes', /an object with any of VQ, MQ, TA, overall/],
    ];
    for (const [change, field, message] of cases) {
      const p = problemsOf({ ...vote('x'), ...change });
      expect([field, p.fields.map((f) => f.field)]).toEqual([field, [field]]);
      expect(p.fields[0].message).toMatch(message);
      expect(p.message).toContain(`Line 1: ${field} `);
    }
  });

  it("checks each take's settings by the page's rules and the request limits", () => {
    const cases: [change: Record<string, unknown>, field: string, message: RegExp][] = [
      [{ steps: 201 }, 'a.settings.steps', /Steps must be a whole number from 1 to 200, got 201/],
      [{ steps: '20' }, 'a.settings.steps', /got "20"/],
      [{ seed: -1 }, 'a.settings.seed', /Seed must be a whole number from 0 to 4294967295, got -1/],
      [{ guidance: 0.5 }, 'a.settings.guidance', /Guidance scale must be a number from 1 to 30 \(1 = no text guidance\), got 0.5/],
      [{ innerGuidance: 31 }, 'a.settings.innerGuidance', /from 0 to 30/],
      [{ contrast: -1 }, 'a.settings.contrast', /Shape emphasis must be a number from 0 to 30 \(0 = off\), got -1/],
      [{ sampler: 'ddim' }, 'a.settings.sampler', new RegExp(`Sampler must be one of ${SAMPLER_NAMES.join(', ')}, got "ddim"`)],
      [{ prompt: ' ' }, 'a.settings.prompt', /Describe the clip/],
      [{ prompt: 5 }, 'a.settings.prompt', /should be a string, got 5/],
      [{ negativePrompt: false }, 'a.settings.negativePrompt', /should be a string, got false/],
      [{ blend: 'sideways' }, 'a.settings.blend', /one of constant, dualreal, got "sideways"/],
      [{ adapters: 'pip' }, 'a.settings.adapters', /a list of adapters/],
      [{ adapters: [{ strength: 1 }] }, 'a.settings.adapters[0].name', /an adapter's name, got nothing/],
      [{ adapters: [{ name: 'pip', schedule: { points: [[0, 1]], multipliers: 2 } }] }, 'a.settings.adapters[0].schedule.multipliers', /a list of numbers/],
      [{ adapters: [{ name: 'pip', schedule: { points: [[0, 1]], groups: [[0.5]] } }] }, 'a.settings.adapters[0].schedule.groups', /block indices/],
    ];
    for (const [change, field, message] of cases) {
      const p = problemsOf(withSettings(change));
      expect([field, p.fields.map((f) => f.field)]).toEqual([field, [field]]);
      expect(p.fields[0].message).toMatch(message);
    }
    // The values at the limits are accepted.
    for (const change of [{ steps: 200 }, { steps: 1 }, { seed: 4294967295 }, { guidance: 30 }, { innerGuidance: 0 }, { contrast: 30 }]) {
      expect([change, readVoteRecord(withSettings(change)).problems]).toEqual([change, undefined]);
    }
    // shape emphasis is part of the take: kept when read back
    expect(readVoteRecord(withSettings({ contrast: 2 })).record?.a.settings.contrast).toBe(2);
  });

  it('checks adapters: strength by the request limit, curves by the engine, a hash for each one used', () => {
    const pip = (a: Record<string, unknown>) => ({ ...vote('x'), a: { ...adapterTake(), settings: { ...adapterTake().settings, adapters: [{ name: 'pip', ...a }] } } });
    expect(readVoteRecord(pip({ strength: 4 })).problems).toBeUndefined();
    const strong = problemsOf(pip({ strength: 4.5 }));
    expect(strong.fields).toEqual([{ field: 'a.settings.adapters', message: '— Adapter "pip": strength must be a number from -4 to 4 (1 = as trained, 0 = off).' }]);
    const curve = problemsOf(pip({ schedule: { points: [[0.5, 1], [0.2, 1]] } }));
    expect(curve.fields[0].field).toBe('a.settings.adapters');
    expect(curve.fields[0].message).toMatch(/Adapter "pip": Strength curve: points/);
    const unhashed = problemsOf({ ...vote('x'), b: { ...adapterTake(), adapterHashes: {} } });
    expect(unhashed.fields).toEqual([{ field: 'b.adapterHashes.pip', message: 'should be the sha256 of adapter "pip", which the take used, got nothing' }]);
    const badHash = problemsOf({ ...vote('x'), b: { ...adapterTake(), adapterHashes: { pip: 'zz' } } });
    expect(badHash.fields).toEqual([{ field: 'b.adapterHashes.pip', message: 'should be a sha256 digest (64 hexadecimal characters), got "zz"' }]);
  });

  it('lists every bad field of a line in one message', () => {
    const p = problemsOf({ ...withSettings({ steps: 0 }), variant: 'fp8', outcomes: { TA: 'C' } });
    expect(p.fields.map((f) => f.field)).toEqual(['variant', 'a.settings.steps', 'outcomes.TA']);
    expect(p.message).toMatch(/^Line 1: variant should be .*; a.settings.steps — Steps must be .*; outcomes.TA should be .*\.$/);
  });

  it('reads digests in any case and keeps them lower-case; drops unknown fields', () => {
    const read = readVoteRecord({ ...vote('x'), modelHash: MODEL_HASH.toUpperCase(), comment: 'not ours', a: { ...take(7), settings: { ...take(7).settings, decodeMotion: true } } });
    expect(read.record).toEqual(vote('x'));
  });

  it("keeps both takes' reward features, reads records without them, and refuses features on one side, of two lengths or not numbers", () => {
    const scored = vote('f', { a: take(7, { features: [0.5, -1.25, 3] }), b: take(8, { features: [0, 2, -0.125] }) });
    expect(parseVotesJsonl(votesToJsonl([scored, vote('plain')])).records).toEqual([scored, vote('plain')]);
    expect(readVoteRecord(vote('plain')).record!.a.features).toBeUndefined();
    const oneSide = problemsOf({ ...scored, b: take(8) });
    expect(oneSide.fields).toEqual([{ field: 'b.features', message: "should be the reward model's features, as take a has them (both takes or neither), got nothing" }]);
    const lengths = problemsOf({ ...scored, b: take(8, { features: [1, 2] }) });
    expect(lengths.fields).toEqual([{ field: 'b.features', message: 'should be 3 numbers, as many as a.features, got 2' }]);
    for (const features of [[], [1, 'x', 3], 'many', [1, null, 2]]) {
      const p = problemsOf({ ...scored, a: { ...take(7), features } });
      expect(p.fields.map((f) => f.field)).toEqual(['a.features']);
      expect(p.fields[0].message).toMatch(/^should be the reward model's features: a non-empty list of finite numbers, got /);
    }
  });

  it('refuses to write a record that would not read back', () => {
    const bad = { ...vote('x'), outcomes: {} };
    expect(() => votesToJsonl([vote('ok'), bad])).toThrow(VoteRecordError);
    expect(() => voteRecordLine(bad)).toThrow('This vote cannot be saved: outcomes should be at least one of VQ, MQ, TA, overall voted, got an object.');
  });
});
