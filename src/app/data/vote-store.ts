/**
 * Votes between two takes (src/votes/vote-record.ts), kept in their own IndexedDB database: apart
 * from the history (clearing it keeps the votes, which carry their takes' settings) and from the
 * model cache. One record per vote id. Import and export are JSONL, one vote per line.
 */
import { clear, createStore, del, get, keys, set, setMany, values, type UseStore } from 'idb-keyval';
import { VoteRecordError, parseVotesJsonl, readVoteRecord, votesToJsonl, type LineProblem, type VoteRecord } from '../../votes/vote-record';

export const VOTE_DB = 'vidlet-votes';
const VOTE_STORE = 'votes';

export interface VoteImport {
  /** Votes new to this browser, now stored. */
  added: number;
  /** Votes whose id was already stored (or came earlier in the same file): kept as they were. */
  skippedDuplicates: number;
  /** One per line that could not be read; every other line was imported. */
  problems: LineProblem[];
}

export class VoteStore {
  readonly #db: UseStore;

  constructor(db: UseStore = createStore(VOTE_DB, VOTE_STORE)) {
    this.#db = db;
  }

  /** Every stored vote, newest first. */
  async list(): Promise<VoteRecord[]> {
    return (await this.#oldestFirst()).reverse();
  }

  async get(id: string): Promise<VoteRecord | undefined> {
    return get<VoteRecord>(id, this.#db);
  }

  /** Stores (or replaces) a vote; one that would not read back from an export is a VoteRecordError and nothing is stored. */
  async add(vote: VoteRecord): Promise<void> {
    const read = readVoteRecord(JSON.parse(JSON.stringify(vote)));
    if (read.problems) throw new VoteRecordError(read.problems);
    await set(read.record.id, read.record, this.#db);
  }

  async remove(id: string): Promise<void> {
    await del(id, this.#db);
  }

  async clear(): Promise<void> {
    await clear(this.#db);
  }

  /** Every vote as JSONL, oldest first (so a later export extends an earlier one line by line). */
  async exportJsonl(): Promise<string> {
    return votesToJsonl(await this.#oldestFirst());
  }

  /** Adds every good line's vote whose id is new; bad lines are reported and cost only themselves. */
  async importJsonl(text: string): Promise<VoteImport> {
    const { records, problems } = parseVotesJsonl(text);
    const known = new Set(await keys<string>(this.#db));
    const fresh: [string, VoteRecord][] = [];
    for (const r of records) {
      if (known.has(r.id)) continue;
      known.add(r.id);
      fresh.push([r.id, r]);
    }
    if (fresh.length) await setMany(fresh, this.#db);
    return { added: fresh.length, skippedDuplicates: records.length - fresh.length, problems };
  }

  async #oldestFirst(): Promise<VoteRecord[]> {
    const all = await values<VoteRecord>(this.#db);
    // Ties (one millisecond) by id, so the order never depends on IndexedDB's key order.
    return all.sort((x, y) => x.createdAt - y.createdAt || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  }
}
