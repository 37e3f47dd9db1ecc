// The engine's schedule rules for the converter's tests (tests/test_schedule.py):
// npx tsx convert/tests/schedule_check.ts cases.json → JSON on stdout:
// { samplers, maxSigmas, lists: [problem or null per list], terminals: [problem or null per shiftTerminal value],
//   schedules: [parsed schedule or error per section] }.
import { readFileSync } from 'node:fs';
import { SAMPLER_NAMES } from '../../src/package/request';
import { MAX_SIGMAS, shiftTerminalProblem, sigmaListProblem } from '../../src/package/schedule';
import { parseSchedule } from '../../src/store/manifest-schedule';

const cases: { lists: unknown[]; terminals?: unknown[]; schedules: unknown[] } = JSON.parse(readFileSync(process.argv[2]!, 'utf8'));
const out = {
  samplers: SAMPLER_NAMES,
  maxSigmas: MAX_SIGMAS,
  lists: cases.lists.map((l) => sigmaListProblem(l)?.problem ?? null),
  terminals: (cases.terminals ?? []).map((v) => shiftTerminalProblem(v) ?? null),
  schedules: cases.schedules.map((s) => {
    try {
      return { ok: parseSchedule(s) };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }),
};
process.stdout.write(JSON.stringify(out));
