import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileJournal, JOURNAL_FILE, LOCK_FILE, openJournal } from '../journal.js';

interface Entry {
  n: number;
}
const parseEntry = (json: unknown): Entry | undefined =>
  typeof json === 'object' && json !== null && typeof (json as Entry).n === 'number' ? (json as Entry) : undefined;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'provider-journal-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const journalPath = () => join(dir, JOURNAL_FILE);

describe('the journal', () => {
  it('writes concurrent appends with a few datasyncs (group commit), and replays them in order', async () => {
    const { store } = await openJournal(dir, parseEntry);
    const count = 200;
    await Promise.all(Array.from({ length: count }, (_, n) => store.append({ n })));
    // The first append's round is under way while the other 199 queue: they share one write and one sync.
    expect(store.syncs).toBeGreaterThanOrEqual(1);
    expect(store.syncs).toBeLessThan(10);
    await store.close();

    const reopened = await openJournal(dir, parseEntry);
    expect(reopened.entries).toEqual(Array.from({ length: count }, (_, n) => ({ n })));
    expect(reopened.droppedBytes).toBe(0);
    await reopened.store.close();
  });

  it('has an entry on disk when its append resolves, and synced() waits for appends not awaited', async () => {
    const { store } = await openJournal(dir, parseEntry);
    await store.append({ n: 1 });
    expect(await readFile(journalPath(), 'utf8')).toBe('{"n":1}\n');
    void store.append({ n: 2 });
    await store.synced();
    expect(await readFile(journalPath(), 'utf8')).toBe('{"n":1}\n{"n":2}\n');
    await store.close();
  });

  it('truncates after the entries appended before, and keeps those appended after', async () => {
    const { store } = await openJournal(dir, parseEntry);
    const writes = [store.append({ n: 1 }), store.truncate(), store.append({ n: 2 })];
    await Promise.all(writes);
    await store.close();
    const reopened = await openJournal(dir, parseEntry);
    expect(reopened.entries).toEqual([{ n: 2 }]);
    await reopened.store.close();
  });

  it('drops a last line cut short by a crash, and cuts the file there so the next entry starts on its own line', async () => {
    await writeFile(journalPath(), '{"n":1}\n{"n":2}\n{"n":3');
    const opened = await openJournal(dir, parseEntry);
    expect(opened.entries).toEqual([{ n: 1 }, { n: 2 }]);
    expect(opened.droppedBytes).toBe('{"n":3'.length);
    await opened.store.append({ n: 4 });
    await opened.store.close();
    expect(await readFile(journalPath(), 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":4}\n');
  });

  it('drops a last line that is complete but not an entry (its write landed only in part)', async () => {
    await writeFile(journalPath(), '{"n":1}\n{"n":\u0000\u0000\n');
    const opened = await openJournal(dir, parseEntry);
    expect(opened.entries).toEqual([{ n: 1 }]);
    await opened.store.close();
    expect(await readFile(journalPath(), 'utf8')).toBe('{"n":1}\n');
  });

  it('refuses a damaged line followed by more lines, naming the file and the line, and leaves the folder unlocked', async () => {
    await writeFile(journalPath(), '{"n":1}\nnot json\n{"n":3}\n');
    await expect(openJournal(dir, parseEntry)).rejects.toThrow(`${journalPath()}: line 2 is not a journal entry but more lines follow it`);
    // The file is left as it was, for someone to look at.
    expect(await readFile(journalPath(), 'utf8')).toBe('{"n":1}\nnot json\n{"n":3}\n');
    await expect(stat(join(dir, LOCK_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('lets one process at a time use a folder, and takes over the lock of a process that died', async () => {
    const first = await openJournal(dir, parseEntry);
    await expect(openJournal(dir, parseEntry)).rejects.toThrow(`is in use by the payment provider simulator running as process ${process.pid}`);
    await first.store.close();
    const second = await openJournal(dir, parseEntry);
    await second.store.close();

    // What a SIGKILLed simulator leaves behind: a lock naming a pid that runs no more.
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(join(dir, LOCK_FILE), `${deadPid}\n`);
    const afterCrash = await openJournal(dir, parseEntry);
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
    await afterCrash.store.close();
  });

  it('refuses every change once a write failed: memory may hold what the disk does not', async () => {
    const diskFull = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const failingFile = {
      appendFile: () => Promise.reject(diskFull),
      truncate: () => Promise.resolve(),
      datasync: () => Promise.resolve(),
      close: () => Promise.resolve(),
    } as unknown as FileHandle;
    const journal = new FileJournal<Entry>('/somewhere/journal.jsonl', failingFile, () => Promise.resolve());
    await expect(journal.append({ n: 1 })).rejects.toThrow('writing /somewhere/journal.jsonl failed, so the simulator accepts no further changes: ENOSPC');
    expect(journal.failure?.cause).toBe(diskFull);
    await expect(journal.append({ n: 2 })).rejects.toBe(journal.failure);
    await expect(journal.synced()).rejects.toBe(journal.failure);
    await journal.close();
  });
});
