import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The load generator's input (thousands of meter credentials) goes through a file: one
 * command-line argument may not exceed 128 KiB (E2BIG).
 */
export function writeGeneratorInput(input: object): string {
  const path = join(mkdtempSync(join(tmpdir(), 'umeme-load-')), 'input.json');
  writeFileSync(path, JSON.stringify(input));
  return path;
}
