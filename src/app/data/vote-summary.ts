/**
 * What the votes panel says: how an import went (added, duplicates skipped, each bad line) and
 * which stored votes the installed model cannot make again (modelMismatch), grouped by the model
 * they need so 200 votes of one other model are one sentence, not 200. Pure.
 */
import { modelMismatch, type InstalledModel } from '../../votes/model-match';
import type { VoteRecord } from '../../votes/vote-record';
import type { VoteImport } from './vote-store';

export function importSummary(file: string, report: VoteImport): { text: string; lines: string[] } {
  const parts = [`${report.added} vote${report.added === 1 ? '' : 's'} added`];
  if (report.skippedDuplicates) parts.push(`${report.skippedDuplicates} already here, skipped`);
  if (report.problems.length) parts.push(`${report.problems.length} line${report.problems.length === 1 ? '' : 's'} not read`);
  return { text: `From "${file}": ${parts.join(', ')}.`, lines: report.problems.map((p) => p.message) };
}

/** One message per model the installed one is not, with how many votes need it. */
export function mismatchNotes(votes: readonly VoteRecord[], installed: InstalledModel | undefined): string[] {
  const byHash = new Map<string, { count: number; message: string }>();
  for (const v of votes) {
    const message = modelMismatch(v, installed);
    if (!message) continue;
    const key = v.modelHash.toLowerCase();
    const seen = byHash.get(key);
    if (seen) seen.count++;
    else byHash.set(key, { count: 1, message });
  }
  return [...byHash.values()].map(({ count, message }) =>
    count === 1 ? message : `${count} votes: ${message.replace(/^This vote was/, 'they were').replace(/its takes/, 'their takes')}`,
  );
}
