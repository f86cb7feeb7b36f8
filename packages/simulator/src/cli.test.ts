// Protects `npm run sim`: argument validation (exit code 2), a real run against a broker, and a clean stop that saves state.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandTopic, meterTopic } from '@umeme/protocol';
import { CliUsageError, parseCliArgs } from './cli-args';
import { publishJson, startObserver, startTestBroker, type Observer, type TestBroker } from './test-broker';

const here = dirname(fileURLToPath(import.meta.url));
const CLI_PATH = join(here, 'cli.ts');
const REPO_ROOT = join(here, '..', '..', '..');

interface RunningCli {
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
  stdout: () => string;
  signal(signal: NodeJS.Signals): void;
}

function runCli(args: string[]): RunningCli {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_PATH, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
  return { exited, stdout: () => stdout, signal: (s) => child.kill(s) };
}

describe('parseCliArgs', () => {
  it('reads every option into typed values with units', () => {
    const config = parseCliArgs([
      '--meters',
      '12',
      '--interval',
      '2',
      '--url',
      'mqtt://127.0.0.1:1884',
      '--credentials',
      'creds.json',
      '--duplicate-rate',
      '0.05',
      '--reorder-rate',
      '0.1',
      '--drop-every',
      '20',
      '--legacy',
      '--seed',
      '7',
      '--state-dir',
      '/tmp/s',
      '--emergency-credit-kwh',
      '0.5',
    ]);
    expect(config).toMatchObject({
      meters: 12,
      publishIntervalMs: 2_000,
      url: 'mqtt://127.0.0.1:1884',
      source: { kind: 'file', path: 'creds.json' },
      duplicateRate: 0.05,
      reorderRate: 0.1,
      dropEvery: 20,
      legacy: true,
      seed: 7,
      stateDir: '/tmp/s',
      emergencyCreditMwh: 500_000,
    });
  });

  it('builds the server registration source with a default prefix', () => {
    const config = parseCliArgs([
      '--server',
      'http://127.0.0.1:3000',
      '--admin-email',
      'admin@example.com',
      '--admin-password',
      'pw',
      '--meters',
      '4',
    ]);
    expect(config.source).toEqual({
      kind: 'server',
      serverUrl: 'http://127.0.0.1:3000',
      adminEmail: 'admin@example.com',
      adminPassword: 'pw',
      prefix: 'SIM',
    });
  });

  it.each([
    [['--meters', 'abc', '--credentials', 'c.json'], /--meters: must be a number/],
    [['--meters', '', '--credentials', 'c.json'], /--meters/],
    [['--meters', '0', '--credentials', 'c.json'], /--meters/],
    [['--duplicate-rate', '1.5', '--credentials', 'c.json'], /--duplicate-rate/],
    [['--url', 'http://x', '--credentials', 'c.json'], /--url/],
    [['--frobnicate', '--credentials', 'c.json'], /frobnicate/],
    [['--meters', '2'], /no credentials/],
    [['--server', 'http://127.0.0.1:3000'], /--admin-email/],
    [['--credentials', 'c.json', '--secret-file', 's'], /not both/],
  ])('rejects %j with a message naming the problem', (args, message) => {
    expect(() => parseCliArgs(args)).toThrow(CliUsageError);
    expect(() => parseCliArgs(args)).toThrow(message);
  });
});

describe('sim CLI', () => {
  let broker: TestBroker;
  let observer: Observer;
  let dir: string;

  beforeEach(async () => {
    broker = await startTestBroker({ CLI1: 'secret-one', CLI2: 'secret-two' });
    observer = await startObserver(broker.url, 'smartmeter/#');
    dir = await mkdtemp(join(tmpdir(), 'umeme-cli-'));
  });

  afterEach(async () => {
    await observer.close();
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('exits with code 2 and a clear message on bad arguments', async () => {
    const result = await runCli(['--meters', 'lots', '--credentials', 'x.json']).exited;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--meters: must be a number');
  });

  it('exits with code 2 when the credentials file is missing', async () => {
    const result = await runCli(['--credentials', join(dir, 'missing.json')]).exited;
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot read credentials file/);
  });

  it('runs meters from a credentials file, then stops on SIGINT saving state and announcing offline', async () => {
    const credentialsPath = join(dir, 'creds.json');
    await writeFile(
      credentialsPath,
      JSON.stringify([
        { meterNo: 'CLI1', secret: 'secret-one' },
        { meterNo: 'CLI2', mqttUsername: 'CLI2', mqttPassword: 'secret-two' },
      ]),
    );
    for (const meterNo of ['CLI1', 'CLI2']) {
      await publishJson(
        observer.client,
        commandTopic(meterNo, 'balance'),
        { balance: 5, creditLimit: 5, timestamp: 1_763_800_000 },
        true,
      );
    }
    const stateDir = join(dir, 'state');
    const cli = runCli([
      '--credentials',
      credentialsPath,
      '--interval',
      '1',
      '--url',
      broker.url,
      '--state-dir',
      stateDir,
      '--summary-interval',
      '1',
    ]);
    await observer.waitFor(
      (ms) =>
        ms.filter((m) => m.topic === meterTopic('CLI1', 'consumption')).length >= 2 &&
        ms.filter((m) => m.topic === meterTopic('CLI2', 'consumption')).length >= 2,
      20_000,
    );
    const reports = observer.on(meterTopic('CLI1', 'consumption')).map((m) => m.payload);
    expect(reports[0]).toMatchObject({ v: 2, meterNo: 'CLI1', seq: 1 });
    expect(reports[1]?.seq).toBe(2);

    cli.signal('SIGINT');
    const result = await cli.exited;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/meters 2\/2 connected · [\d.]+ reports\/s · relays 2 on \/ 0 off/);
    expect(result.stdout).toContain('SIGINT: stopping');
    const saved = JSON.parse(await readFile(join(stateDir, 'CLI1.json'), 'utf8')) as {
      seq: number;
      creditLimitMwh: number;
    };
    expect(saved.creditLimitMwh).toBe(5_000_000);
    expect(saved.seq).toBeGreaterThanOrEqual(2);
    await observer.waitFor(
      () => observer.on(meterTopic('CLI2', 'status')).at(-1)?.payload.status === 'offline',
    );
  });
});
