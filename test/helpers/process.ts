import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Under `npm run mutation`, the mutant being tested, for a child process's environment so the app there runs it
 * too. Stryker switches a mutant on in the test runner's memory only; without this a child runs the unmutated
 * code, and a test that watches the app as a process (a SIGKILL, a real shutdown, `npm start` refusing a setting)
 * could never fail. Stryker's instrumented code reads the variable when it loads. Empty outside mutation runs.
 */
export function mutantEnv(): Record<string, string> {
  const active = (globalThis as { __stryker__?: { activeMutant?: string } }).__stryker__?.activeMutant;
  return active === undefined ? {} : { __STRYKER_ACTIVE_MUTANT__: active };
}

/** Runs `node <args>` to the end without blocking this process (whose stand-ins must keep answering). */
export function runNode(
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 30_000,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // The embedded store goes in a folder of its own, never in the working copy, and goes with the process.
    const dataDir = env.DATA_DIR ? undefined : mkdtempSync(join(tmpdir(), 'transcriber-data-'));
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH, ...(dataDir ? { DATA_DIR: dataDir } : {}), ...mutantEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      resolve({ status, stdout, stderr });
    });
  });
}

/** A TCP port free on 127.0.0.1 at the moment of asking. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}
