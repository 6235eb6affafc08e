/**
 * Spool directories shared by the fax and voice gateways: how files are handed to another program
 * and taken from it, without either side seeing half a file.
 *
 * Invariants:
 * - A job is written as files whose names do not yet match what the reader looks for
 *   (".tmp" suffix) and renamed into place; the JSON description is renamed last, so its
 *   presence means every file of the job is complete (rename is atomic within a file system).
 * - A poller handles one file at a time, never runs twice at once, and stops at close().
 */
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes files then the JSON description, each through a temporary name and rename. */
export async function writeJob(dir: string, files: Array<{ name: string; content: Buffer | string }>, description: { name: string; value: unknown }): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const file of [...files, { name: description.name, content: `${JSON.stringify(description.value, null, 2)}\n` }]) {
    const temporary = join(dir, `.${file.name}.tmp`);
    await writeFile(temporary, file.content, { mode: 0o640 });
    await rename(temporary, join(dir, file.name));
  }
}

export interface Poller {
  close(): void;
}

/**
 * Calls `handle` for every file in `dir` whose name matches `pattern`, now and every
 * `intervalMs`. `handle` decides what to do with the file (remove, move); errors are passed to
 * `onError` and the file is tried again next round.
 */
export function pollDirectory(
  dir: string,
  pattern: RegExp,
  intervalMs: number,
  handle: (name: string) => Promise<void>,
  onError: (name: string, error: Error) => void,
): Poller {
  let running = false;
  let closed = false;
  const round = async () => {
    if (running || closed) return;
    running = true;
    try {
      const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => pattern.test(name)).sort();
      for (const name of names) {
        if (closed) break;
        await handle(name).catch((error: Error) => onError(name, error));
      }
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void round(), intervalMs);
  timer.unref();
  void round();
  return {
    close() {
      closed = true;
      clearInterval(timer);
    },
  };
}
