import { afterEach, describe, expect, it, vi } from 'vitest';
import { available, inCi, SHIPPED_MODEL, type Prerequisite } from '../prerequisites';

const thing: Prerequisite = { name: 'the thing', path: '/nowhere/thing', setup: 'apt-get install thing' };
const missing = () => false;

describe('test prerequisites (tests/prerequisites.ts)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('CI is CI=true or CI=1', () => {
    expect(inCi({ CI: 'true' })).toBe(true);
    expect(inCi({ CI: '1' })).toBe(true);
    expect(inCi({})).toBe(false);
    expect(inCi({ CI: 'false' })).toBe(false);
    expect(inCi({ CI: '' })).toBe(false);
  });

  it('present: the tests run, in CI or not', () => {
    expect(available(thing, 'some tests', { CI: 'true' }, () => true)).toBe(true);
    expect(available(thing, 'some tests', {}, () => true)).toBe(true);
  });

  it('missing in CI: fails, naming what is missing, the tests and how to install it', () => {
    expect(() => available(thing, 'some tests', { CI: 'true' }, missing)).toThrow(
      'the thing (/nowhere/thing) is missing, so "some tests" cannot run. Install it: apt-get install thing. In CI (CI=true) this fails instead of skipping.',
    );
    expect(() => available(thing, 'some tests', { CI: '1' }, missing)).toThrow(/In CI \(CI=1\) this fails/);
  });

  it('missing elsewhere: skips and says why on stderr', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(available(thing, 'some tests', {}, missing)).toBe(false);
    expect(warn).toHaveBeenCalledWith('skipped: the thing (/nowhere/thing) is missing, so "some tests" cannot run. Install it: apt-get install thing.');
  });

  it('the shipped model package: missing in CI fails and says how to restore it', () => {
    expect(() => available(SHIPPED_MODEL, 'engine tests', { CI: 'true' }, missing)).toThrow(
      /^the shipped model package \(public\/models\/vidlet-tiny\/manifest\.json\) is missing, so "engine tests" cannot run\. Install it: git checkout -- public\/models\/vidlet-tiny /,
    );
  });
});
