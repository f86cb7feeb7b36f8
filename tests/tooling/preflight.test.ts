// Protects the first seconds of `npm test`: a missing system tool is named, with the command that installs it.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const PREFLIGHT = fileURLToPath(new URL('../../scripts/preflight.mjs', import.meta.url));

/** This machine's copy of a command, found on PATH, or null. */
function which(command: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, command))) return join(dir, command);
  }
  return null;
}

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A PATH of one folder holding links to this machine's copies of `commands` (those it has). */
function pathWith(commands: string[]): string {
  const bin = mkdtempSync(join(tmpdir(), 'umeme-preflight-'));
  made.push(bin);
  for (const command of commands) {
    const real = which(command);
    if (real) symlinkSync(real, join(bin, command));
  }
  return bin;
}

function preflight(path: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [PREFLIGHT],
      { env: { PATH: path, HOME: process.env.HOME ?? '/' } },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr });
      },
    );
  });
}

const TOOLS = ['g++', 'cmake', 'flock', 'mosquitto'];

describe('npm test preflight', () => {
  it('without mosquitto on PATH it stops, naming mosquitto and the install command', async () => {
    const { code, output } = await preflight(pathWith(TOOLS.filter((t) => t !== 'mosquitto')));
    expect(code).not.toBe(0);
    expect(output).toContain('mosquitto, for tests/deploy');
    expect(output).toContain('bash .ci/install-apt.sh');
  });

  it('names each missing tool, and only those', async () => {
    const { code, output } = await preflight(pathWith(['mosquitto', 'flock']));
    expect(code).not.toBe(0);
    expect(output).toContain('g++, for tests/firmware');
    expect(output).toContain('cmake, for tests/firmware');
    expect(output).not.toContain('mosquitto, for');
  });

  it.skipIf(TOOLS.some((t) => which(t) === null) || !existsSync('/usr/bin/chromium'))(
    'on a machine with every tool it passes quietly',
    async () => {
      const { code, output } = await preflight(pathWith(TOOLS));
      expect(output).not.toContain('lacks');
      expect(code).toBe(0);
    },
  );
});
