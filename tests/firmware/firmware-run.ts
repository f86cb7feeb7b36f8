import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root: the firmware scripts are run from here. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A cold build of the host targets takes a few minutes on a busy two-core machine. */
export const BUILD_TIMEOUT_MS = 15 * 60_000;

export const NATIVE_METER = `${ROOT}firmware/build/meter-native`;

export interface RunResult {
  code: number | null;
  output: string;
}

/** Runs a command to completion, collecting stdout and stderr together. */
export function run(command: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The end of a long build or test log, enough to see what failed. */
export const tail = (text: string, chars = 6000): string =>
  text.length > chars ? `…${text.slice(-chars)}` : text;

/** Builds the firmware host targets (serialised by a lock inside the script). */
export async function buildFirmware(): Promise<void> {
  const build = await run('bash', ['firmware/build.sh'], BUILD_TIMEOUT_MS);
  if (build.code !== 0)
    throw new Error(`firmware/build.sh failed (exit ${build.code}):\n${tail(build.output)}`);
}
