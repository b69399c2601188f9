import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Lock files held by this process: a lock file naming our own pid is stale unless listed here. */
const lockedHere = new Set<string>();

export class FolderInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly holderPid: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Takes `dir` for this process by creating `lockFile` in it, naming this
 * process's pid; resolves with the function that lets it go. Throws
 * FolderInUseError when a running process holds it (`describe` words the
 * refusal). A lock left by a process that died (SIGKILL) names a pid that no
 * longer runs, and is taken over.
 */
export async function lockFolder(
  dir: string,
  lockFile: string,
  describe: (holderPid: number, lockPath: string) => string,
): Promise<() => Promise<void>> {
  const path = join(dir, lockFile);
  const unlock = async () => {
    lockedHere.delete(path);
    await rm(path, { force: true });
  };
  if (await createLockFile(path)) return unlock;
  const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
  // A restarted container often gets the pid its previous run had: our own pid is ours to take unless we hold the lock.
  const heldByOther = Number.isInteger(holder) && holder > 0 && (holder === process.pid ? lockedHere.has(path) : isRunning(holder));
  if (heldByOther) throw new FolderInUseError(dir, holder, describe(holder, path));
  await rm(path, { force: true });
  if (await createLockFile(path)) return unlock;
  throw new FolderInUseError(dir, Number.NaN, `${dir}: another process took ${path} while this one replaced a stale lock`);
}

/** Creates the lock file naming this process; false when it exists already. */
async function createLockFile(path: string): Promise<boolean> {
  try {
    await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  lockedHere.add(path);
  return true;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
