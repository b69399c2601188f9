/**
 * An append-only journal of JSON lines in a folder of its own: the simulator's
 * durable store. An entry counts as written only once it is on disk
 * (fdatasync), and callers wait for that before answering.
 *
 * Group commit: entries appended while a write and its datasync run are
 * queued, and the next round writes all of them and syncs once, so the number
 * of syncs grows with time, not with concurrent requests.
 *
 * A process killed mid-write leaves at most its last line cut short; that
 * line was never acknowledged, so opening the journal drops it (and truncates
 * the file there, so the next entry does not land glued to it). A damaged line
 * with more lines after it is not a crash's doing: opening refuses it rather
 * than start with part of the ledger silently missing.
 */
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { lockFolder } from '@shop/runtime';

export const JOURNAL_FILE = 'journal.jsonl';
/** Holds the pid of the process using the folder: two writers would interleave their lines. */
export const LOCK_FILE = 'provider.pid';

/** Where the simulator keeps its ledger: a journal file, or only memory. */
export interface EntryStore<Entry> {
  /** Resolves once the entry is durable (at once for memory). Entries are written in call order. */
  append(entry: Entry): Promise<void>;
  /** Empties the store after the entries appended before; resolves once that is durable. */
  truncate(): Promise<void>;
  /** Resolves once every entry appended so far is durable. */
  synced(): Promise<void>;
  /** Set once a write failed: the store takes nothing more, since memory and disk may now differ. */
  readonly failure: Error | undefined;
  /** Waits for pending writes, then lets the folder go; idempotent. */
  close(): Promise<void>;
}

export function memoryStore<Entry>(): EntryStore<Entry> {
  return {
    append: () => Promise.resolve(),
    truncate: () => Promise.resolve(),
    synced: () => Promise.resolve(),
    failure: undefined,
    close: () => Promise.resolve(),
  };
}

export interface OpenedJournal<Entry> {
  store: FileJournal<Entry>;
  /** The entries on disk, oldest first, to replay. */
  entries: Entry[];
  /** Bytes of a last line cut short by a crash, dropped on open (0 when the file ended cleanly). */
  droppedBytes: number;
}

/**
 * Opens (creating it if needed) the journal in `dir`, after taking the
 * folder's lock. `parse` turns a line's JSON into an entry, or undefined when
 * the line is not one.
 */
export async function openJournal<Entry>(folder: string, parse: (json: unknown) => Entry | undefined): Promise<OpenedJournal<Entry>> {
  // Absolute, so the lock is recognised whatever spelling of the folder a caller used.
  const dir = resolve(folder);
  await mkdir(dir, { recursive: true });
  // Two simulators appending to one journal would each replay a ledger the other keeps changing.
  const unlock = await lockFolder(
    dir,
    LOCK_FILE,
    (holder, path) => `${dir} is in use by the payment provider simulator running as process ${holder} (${path}); give each simulator its own data folder`,
  );
  const path = join(dir, JOURNAL_FILE);
  let handle: FileHandle | undefined;
  try {
    const existing = await readFile(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    const { entries, validLength } = existing ? readEntries(existing, path, parse) : { entries: [], validLength: 0 };
    handle = await open(path, 'a');
    const droppedBytes = (existing?.length ?? 0) - validLength;
    if (droppedBytes > 0) {
      await handle.truncate(validLength);
      await handle.datasync();
    }
    // A new file's name must be durable too, or a power loss could lose the whole journal.
    if (!existing) await syncFolder(dir);
    return { store: new FileJournal<Entry>(path, handle, unlock), entries, droppedBytes };
  } catch (error) {
    await handle?.close();
    await unlock();
    throw error;
  }
}

/** The complete, valid lines of a journal; a torn or unreadable last line ends it, any other bad line is an error. */
function readEntries<Entry>(bytes: Buffer, path: string, parse: (json: unknown) => Entry | undefined): { entries: Entry[]; validLength: number } {
  const entries: Entry[] = [];
  let start = 0;
  while (start < bytes.length) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    const entry = newline === -1 ? undefined : parseLine(bytes.subarray(start, end).toString('utf8'), parse);
    if (entry === undefined) {
      const isLastLine = newline === -1 || newline + 1 === bytes.length;
      if (isLastLine) return { entries, validLength: start };
      throw new Error(
        `${path}: line ${entries.length + 1} is not a journal entry but more lines follow it, so the journal is damaged, not cut short by a crash. ` +
          `Refusing to start with part of the ledger missing; move the file away to start with an empty ledger.`,
      );
    }
    entries.push(entry);
    start = end + 1;
  }
  return { entries, validLength: bytes.length };
}

function parseLine<Entry>(line: string, parse: (json: unknown) => Entry | undefined): Entry | undefined {
  try {
    return parse(JSON.parse(line));
  } catch {
    return undefined;
  }
}

async function syncFolder(dir: string): Promise<void> {
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

const TRUNCATE = Symbol('truncate');

export class FileJournal<Entry> implements EntryStore<Entry> {
  /** Lines and truncations not yet handed to the file, in call order. */
  #queue: (string | typeof TRUNCATE)[] = [];
  /** Callers waiting for everything queued before them to be durable. */
  #waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  #draining = false;
  #failure: Error | undefined;
  #closing: Promise<void> | undefined;
  #syncs = 0;

  constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly unlock: () => Promise<void>,
  ) {}

  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Datasyncs done so far: fewer than the entries written when group commit works. */
  get syncs(): number {
    return this.#syncs;
  }

  append(entry: Entry): Promise<void> {
    return this.#enqueue(`${JSON.stringify(entry)}\n`);
  }

  truncate(): Promise<void> {
    return this.#enqueue(TRUNCATE);
  }

  synced(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (!this.#draining && this.#queue.length === 0) return Promise.resolve();
    return this.#enqueue(undefined);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.synced().catch(() => undefined);
      await this.handle.close();
      await this.unlock();
    })();
    return this.#closing;
  }

  #enqueue(operation: string | typeof TRUNCATE | undefined): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closing && operation !== undefined) return Promise.reject(new Error(`${this.path} is closed: the simulator is stopping`));
    return new Promise<void>((resolve, reject) => {
      if (operation !== undefined) this.#queue.push(operation);
      this.#waiters.push({ resolve, reject });
      if (!this.#draining) {
        this.#draining = true;
        void this.#drain();
      }
    });
  }

  /** Writes rounds of queued lines, one datasync each, until the queue is empty. Never rejects: failures go to the waiters. */
  async #drain(): Promise<void> {
    try {
      while (this.#waiters.length > 0) {
        const operations = this.#queue;
        const waiters = this.#waiters;
        this.#queue = [];
        this.#waiters = [];
        try {
          await this.#write(operations);
        } catch (error) {
          this.#failure = new Error(`writing ${this.path} failed, so the simulator accepts no further changes: ${(error as Error).message}`, {
            cause: error,
          });
          for (const waiter of [...waiters, ...this.#waiters]) waiter.reject(this.#failure);
          this.#queue = [];
          this.#waiters = [];
          return;
        }
        for (const waiter of waiters) waiter.resolve();
      }
    } finally {
      this.#draining = false;
    }
  }

  async #write(operations: (string | typeof TRUNCATE)[]): Promise<void> {
    let text = '';
    let changed = false;
    for (const operation of operations) {
      if (operation === TRUNCATE) {
        // Lines queued before a truncation would be erased by it: they need not be written at all.
        text = '';
        await this.handle.truncate(0);
        changed = true;
      } else {
        text += operation;
      }
    }
    if (text) {
      // Opened with O_APPEND: every write lands at the end, also after a truncation.
      await this.handle.appendFile(text);
      changed = true;
    }
    if (changed) {
      await this.handle.datasync();
      this.#syncs += 1;
    }
  }
}
