/**
 * Issue 16: the time from an instance's death (kill -9, one of two, PostgreSQL and a Mosquitto of
 * its own) to full-rate ingest on the survivor, and how often the broker logged that it dropped
 * messages for the dead session. Runs the MQ-2 kill scenario (tests/ha/mq2-failover.test.ts,
 * 100 meters, 1,000 reports/s) and reads the figures it writes. Target: under 10 s, zero drops.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'umeme-failover-'));
const resultFile = join(dir, 'result.json');
const run = spawnSync(
  process.execPath,
  [join(root, 'node_modules/vitest/vitest.mjs'), 'run', 'tests/ha/mq2-failover.test.ts', '-t', 'SIGKILL'],
  { cwd: root, env: { ...process.env, MQ2_RESULT: resultFile }, encoding: 'utf8', timeout: 8 * 60_000 },
);
interface Figures {
  deathToFullRateS: number | null;
  brokerDropLines: number;
}
let figures: Figures | null;
try {
  figures = JSON.parse(readFileSync(resultFile, 'utf8')) as Figures;
} catch {
  figures = null;
}
rmSync(dir, { recursive: true, force: true });
// A failed test is reported with what it said, even when it wrote its figures first.
if (!figures || run.status !== 0) {
  process.stderr.write(run.stdout.slice(-4000) + run.stderr.slice(-4000));
  if (!figures) process.exit(1);
}
const met =
  figures.deathToFullRateS !== null && figures.deathToFullRateS < 10 && figures.brokerDropLines === 0;
console.log(
  `death → full rate on the survivor ${String(figures.deathToFullRateS)} s; broker drop lines ` +
    `${figures.brokerDropLines}; test ${run.status === 0 ? 'passed' : 'FAILED'}; target < 10 s and 0 drops: ${met ? 'met' : 'MISSED'}`,
);
console.log(`RESULT ${JSON.stringify({ ...figures, testPassed: run.status === 0, met })}`);
