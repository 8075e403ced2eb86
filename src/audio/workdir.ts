/**
 * The process's private temp folder: only files that ffmpeg must seek in are written to disk, and they go
 * here, not in the shared temp folder where other users could read them or plant a symlink in their place.
 *
 * A process killed with SIGKILL leaves its folder behind, and maybe an ffmpeg still reading from it; the
 * next start sweeps both (`sweepStale`). The folder's name carries the owner's pid for that purpose.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** Folder names: `omicall-transcriber-<pid>-` and the six characters mkdtemp adds. */
const PREFIX = 'omicall-transcriber-';
const FOLDER = /^omicall-transcriber-(\d+)-[A-Za-z0-9]{6}$/;

export interface Workdir {
  /** The folder, mode 0700. */
  readonly path: string;
  /**
   * Writes `source` to a new file in the folder (created exclusively, mode 0600) and returns its path. On
   * failure the partial file is removed and the error is thrown.
   */
  write(source: AsyncIterable<Uint8Array>, suffix?: string): Promise<string>;
  /** Removes one file of the folder; no error when it is already gone. */
  discard(path: string): Promise<void>;
  /** Removes the folder and everything in it. */
  remove(): Promise<void>;
}

/** The folders this process made and still uses: never stale, whatever their pid says. */
const inUse = new Set<string>();

/** Creates this process's private folder under `base` (the system's temp folder by default). */
export async function createWorkdir(base = tmpdir()): Promise<Workdir> {
  // mkdtemp creates the folder with mode 0700 and a name nobody could have prepared in advance.
  const path = await mkdtemp(join(base, `${PREFIX}${process.pid}-`));
  inUse.add(path);
  return {
    path,
    async write(source, suffix = '') {
      if (/[/\\]/.test(suffix)) throw new Error('a file suffix must not contain a path separator');
      const file = join(path, `${randomUUID()}${suffix}`);
      // 'wx': O_CREAT | O_EXCL, so an existing file or symlink of that name is never opened.
      const handle = await open(file, 'wx', 0o600);
      try {
        await pipeline(source, handle.createWriteStream());
      } catch (err) {
        await handle.close().catch(() => {});
        await rm(file, { force: true });
        throw err;
      }
      return file;
    },
    async discard(file) {
      await rm(file, { force: true });
    },
    async remove() {
      inUse.delete(path);
      await rm(path, { recursive: true, force: true });
    },
  };
}

/** A folder `sweepStale` removed. */
export interface SweptFolder {
  path: string;
  /** The pid in the folder's name, whose process is gone. */
  pid: number;
  /** Processes killed because their command line named the folder (an orphaned ffmpeg). */
  killed: number[];
}

/**
 * Removes the folders left under `base` by processes that are gone, after killing (SIGKILL) any process
 * whose command line names such a folder: an ffmpeg orphaned when the app was killed could still be
 * reading a file there. Folders of live processes are kept. Run once at start, before `createWorkdir`.
 *
 * On Linux, liveness and command lines come from /proc; a folder whose pid now belongs to a process started
 * after the folder was last modified (the pid was reused, as when the app is pid 1 in every container) is
 * stale too, and so is a folder with this process's own pid that this process did not make (a previous container's). Elsewhere, a folder whose pid does not answer
 * signal 0 is removed, and nothing is killed.
 */
export async function sweepStale(base = tmpdir()): Promise<SweptFolder[]> {
  let names: string[];
  try {
    names = await readdir(base);
  } catch {
    return [];
  }
  const linux = process.platform === 'linux';
  const swept: SweptFolder[] = [];
  for (const name of names) {
    const pid = Number(FOLDER.exec(name)?.[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0) continue;
    const path = join(base, name);
    if (inUse.has(path)) continue;
    let modifiedMs: number;
    try {
      const info = await stat(path);
      if (!info.isDirectory()) continue;
      modifiedMs = info.mtimeMs;
    } catch {
      continue;
    }
    if (pid !== process.pid && (await ownerAlive(pid, modifiedMs, linux))) continue;
    const killed = linux ? await killProcessesNaming(path) : [];
    await rm(path, { recursive: true, force: true });
    swept.push({ path, pid, killed });
  }
  return swept;
}

/** Whether the folder's owner still runs. */
async function ownerAlive(pid: number, folderModifiedMs: number, linux: boolean): Promise<boolean> {
  if (!linux) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      // EPERM: it runs, as another user.
      return err instanceof Error && 'code' in err && err.code === 'EPERM';
    }
  }
  const started = await processStartMs(pid);
  if (started === undefined) return false;
  // Start times are known to about a second (the boot time is in whole seconds); allow two.
  return started <= folderModifiedMs + 2_000;
}

/**
 * When a live, non-zombie process started (ms since the epoch), from /proc/<pid>/stat's start time (clock
 * ticks since boot, USER_HZ = 100 on Linux) and /proc/stat's boot time; undefined when there is no such process.
 */
async function processStartMs(pid: number): Promise<number | undefined> {
  let statLine: string;
  try {
    statLine = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces; fields after it are plain.
  const fields = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  const ticks = Number(fields[19]);
  const btime = Number(/^btime (\d+)$/m.exec(await readFile('/proc/stat', 'utf8').catch(() => ''))?.[1]);
  if (!Number.isFinite(ticks) || !Number.isFinite(btime)) return 0;
  return btime * 1000 + ticks * 10;
}

/** SIGKILLs every other process whose command line mentions `folder`; returns their pids. */
async function killProcessesNaming(folder: string): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const killed: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let argv: string[];
    try {
      argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
    } catch {
      continue;
    }
    if (!argv.some((arg) => arg === folder || arg.includes(`${folder}/`))) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // Gone meanwhile, or not ours to kill.
    }
  }
  return killed;
}
