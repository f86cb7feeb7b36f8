// Protects the import-cycle check of `npm test`: a cycle between two files fails it, even through a type-only import.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CHECK = fileURLToPath(new URL('../../scripts/check-import-cycles.mjs', import.meta.url));
const FIXTURES = 'tests/tooling/fixtures';

function check(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CHECK, ...args],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)) },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr });
      },
    );
  });
}

// Each case starts the checker (and TypeScript) afresh: slow on a loaded machine, so a wide timeout.
describe('the import-cycle check', { timeout: 240_000 }, () => {
  it('fails on two files that import each other, and names both', async () => {
    const { code, output } = await check([
      '--allow',
      `${FIXTURES}/empty.allow.mjs`,
      `${FIXTURES}/import-cycle`,
    ]);
    expect(code).toBe(1);
    expect(output).toContain('tests/tooling/fixtures/import-cycle/first.ts');
    expect(output).toContain('tests/tooling/fixtures/import-cycle/second.ts');
  });

  it('passes files that import only one way', async () => {
    const { code, output } = await check(['--allow', `${FIXTURES}/empty.allow.mjs`, `${FIXTURES}/no-cycle`]);
    expect(output).toContain('import cycles: none');
    expect(code).toBe(0);
  });

  it('lets through a cycle the allow-list names, and says an unused entry should go', async () => {
    const allowed = await check([
      '--allow',
      `${FIXTURES}/import-cycle.allow.mjs`,
      `${FIXTURES}/import-cycle`,
    ]);
    expect(allowed.code).toBe(0);
    expect(allowed.output).toContain('fixture cycle');
    const stale = await check(['--allow', `${FIXTURES}/import-cycle.allow.mjs`, `${FIXTURES}/no-cycle`]);
    expect(stale.code).toBe(0);
    expect(stale.output).toContain('"fixture cycle" matches no cycle now');
  });
});
