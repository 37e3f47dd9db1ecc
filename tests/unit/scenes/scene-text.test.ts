/**
 * The prompt → scenes parser (src/package/scene-text.ts): hand-written prompts for each rule and
 * for the phrases that must not split, and every training caption of tests/fixtures/
 * scene-caption-cases.json (written by training/vidlet_train/scene_caption_cases.py), which must
 * come back as the scenes the training joined.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenes } from '../../../src/package/scene-text';

const texts = (prompt: string) => parseScenes(prompt).plan.map((s) => s.text);

describe('parseScenes: rules', () => {
  it('reads "Scene 1: … Scene 2: …" labels, in any case and punctuation', () => {
    const p = parseScenes('Scene 1: a red star moves left. Scene 2: a blue ring spins');
    expect(p.rule).toBe('labels');
    expect(p.plan).toEqual([{ text: 'a red star moves left', frames: 16 }, { text: 'a blue ring spins', frames: 16 }]);
    expect(p.description).toBe('2 scenes, from the labels "scene 1:" and "scene 2:".');
    expect(texts('SCENE 1 - a red star   SCENE 2 - a blue ring')).toEqual(['a red star', 'a blue ring']);
    expect(texts('scene one: a red star; scene two. a blue ring; scene three) a box')).toEqual(['a red star', 'a blue ring', 'a box']);
    // the training captions' own form
    expect(texts('scene 1: a red star moves left. cut to scene 2: a blue ring spins!')).toEqual(['a red star moves left', 'a blue ring spins!']);
  });

  it('text before the labels opens scene 1, or is scene 1 when the labels start at 2', () => {
    expect(texts('A promo clip. Scene 1: a red star Scene 2: a blue ring')).toEqual(['A promo clip a red star', 'a blue ring']);
    expect(texts('a red star moves left. Cut to scene 2: a blue ring spins')).toEqual(['a red star moves left', 'a blue ring spins']);
  });

  it('one "Scene 1:" label alone splits nothing', () => {
    expect(parseScenes('Scene 1: a red star moves left').rule).toBe('single');
  });

  it('reads numbered and bulleted lists, and "1. … 2. …" on one line', () => {
    const p = parseScenes('My clip:\n1. a red star moves left\n2) a blue ring\n   spins slowly\n3. a box falls');
    expect(p.rule).toBe('list');
    expect(p.plan.map((s) => s.text)).toEqual(['My clip a red star moves left', 'a blue ring spins slowly', 'a box falls']);
    expect(texts('- a red star\n* a blue ring\n• a box')).toEqual(['a red star', 'a blue ring', 'a box']);
    expect(texts('1) a red star moves left 2) a blue ring spins')).toEqual(['a red star moves left', 'a blue ring spins']);
    // numbers that do not run 1, 2, … from the start are not a list
    expect(parseScenes('a star with 2. points and 3. corners').rule).toBe('single');
    expect(parseScenes('a ring 1. then 2. more').rule).toBe('single');
  });

  it('reads one scene per line, trimming joiners that start a line', () => {
    const p = parseScenes('a red star moves left\n\nThen cut to a blue ring spins\r\nand then a box falls');
    expect(p.rule).toBe('lines');
    expect(p.plan.map((s) => s.text)).toEqual(['a red star moves left', 'a blue ring spins', 'a box falls']);
    expect(p.description).toBe('3 scenes, one per line.');
  });

  it('splits at every form of "cut to" the training captions use', () => {
    const joiners = [' Then cut to ', ', then cut to ', '. Then cut to ', '. Cut to ', '; cut to ', ' - cut to ', ', cut to ',
      ' and then cut to ', '. Hard cut to ', ' \u2014 cut to ', ' THEN CUT TO ', '   cut   to   ', ' cuts to '];
    for (const j of joiners) {
      expect(texts(`a red star moves left${j}a blue ring spins`), j).toEqual(['a red star moves left', 'a blue ring spins']);
    }
    const p = parseScenes('a red star, then cut to a blue ring. Hard cut to a box');
    expect(p.rule).toBe('joiners');
    expect(p.markers).toEqual(['then cut to', 'hard cut to']);
    expect(p.description).toBe('3 scenes, split at "then cut to" and "hard cut to".');
  });

  it('splits at "then", "next", "after that", "later", "finally" when a new subject follows', () => {
    expect(texts('a red star moves left then a blue ring spins')).toEqual(['a red star moves left', 'a blue ring spins']);
    expect(texts('a red star moves left, and then the blue ring spins')).toEqual(['a red star moves left', 'the blue ring spins']);
    expect(texts('First a red star moves left. Next, a blue ring spins. After that, one box falls. Finally an arrow rises.'))
      .toEqual(['a red star moves left', 'a blue ring spins', 'one box falls', 'an arrow rises']);
    expect(texts('a red star spins, later two rings bounce')).toEqual(['a red star spins', 'two rings bounce']);
    expect(texts('a red star spins then on a green background a ring bounces')).toEqual(['a red star spins', 'on a green background a ring bounces']);
  });

  it('does not split where "then" and its kin join parts of one scene', () => {
    for (const prompt of [
      'a ball grows and then shrinks',
      'a red star moves left, then right, on a blue background',
      'a ball spins next to a box',
      'a red star spins, then the camera pans left',
      'a red star spins and then camera zooms in',
      'a star bounces then rests',
      'a star moves left then on to the right',
      'an athlete, a thenar muscle, a cutout, a nextdoor neighbour, a catalogue',
      'a red star moves left. a blue ring spins.', // full stops alone never split
    ]) {
      const p = parseScenes(prompt);
      expect(p.rule, prompt).toBe('single');
      expect(p.plan, prompt).toEqual([{ text: prompt, frames: 16 }]);
    }
    expect(parseScenes('a ball grows and then shrinks').description).toBe(
      '1 scene: no scene labels, list, line breaks or joiners such as "then cut to" or "then a …" ' +
        '("then shrinks": no new subject such as "a …" or "the …" follows, so it stays inside the scene).',
    );
  });

  it('a joiner at the start joins nothing; nothing after a joiner is an empty scene, kept', () => {
    expect(parseScenes('Then a blue ring spins').rule).toBe('single');
    expect(texts('a red star, then cut to')).toEqual(['a red star', '']);
    expect(texts('Scene 1: a red star\nScene 2:\nScene 3: a box')).toEqual(['a red star', '', 'a box']);
  });

  it('a single-scene prompt is kept exactly as written (trimmed), and frames are the given default', () => {
    expect(parseScenes('  A Red Star, moving LEFT!!  ', 24).plan).toEqual([{ text: 'A Red Star, moving LEFT!!', frames: 24 }]);
    expect(parseScenes('a red star then cut to a ring', 12).plan.map((s) => s.frames)).toEqual([12, 12]);
    expect(parseScenes('').plan).toEqual([{ text: '', frames: 16 }]);
  });
});

interface CaptionCase {
  style: string;
  caption: string;
  scenes: string[];
}
const fixture = JSON.parse(readFileSync('tests/fixtures/scene-caption-cases.json', 'utf8')) as { cases: CaptionCase[] };
/** Case and the punctuation around a scene are the caption's styling, not its content. */
const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').replace(/^[\s,;:.!\-–—…]+|[\s,;:.!\-–—…]+$/gu, '');

describe('parseScenes: training captions come back as the scenes the training joined', () => {
  it(`all ${fixture.cases.length} captions of the fixture`, () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(300);
    const wrong: string[] = [];
    for (const c of fixture.cases) {
      const got = parseScenes(c.caption).plan.map((s) => norm(s.text));
      const want = c.scenes.map(norm);
      // an opener ("a promo clip of", "video:") comes before scene 1 and stays with it
      const same = got.length === want.length && got.every((g, i) => (i === 0 ? g.endsWith(want[0]!) : g === want[i]));
      if (!same) wrong.push(`${c.caption}\n  want ${JSON.stringify(want)}\n  got  ${JSON.stringify(got)}`);
    }
    expect(wrong.slice(0, 5).join('\n')).toBe('');
    expect(new Set(fixture.cases.map((c) => c.scenes.length))).toEqual(new Set([1, 2, 3]));
  });
});
