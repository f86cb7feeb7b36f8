// Protects the fleet: registers and credit limits survive a restart, connects stay bounded, real time drives meters.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandTopic, meterTopic } from '@umeme/protocol';
import { Fleet, formatSummary, type FleetOptions, type MeterCredentials } from './fleet';
import { ConstantLoadModel } from './load-model';
import { publishJson, startObserver, startTestBroker, type Observer, type TestBroker } from './test-broker';

const START_MS = Date.UTC(2025, 0, 6, 6, 0, 0);

let broker: TestBroker;
let observer: Observer;
let stateDir: string;
const fleets: Fleet[] = [];

beforeEach(async () => {
  broker = await startTestBroker();
  observer = await startObserver(broker.url, 'smartmeter/#');
  stateDir = await mkdtemp(join(tmpdir(), 'umeme-sim-'));
});

afterEach(async () => {
  await Promise.all(fleets.splice(0).map((f) => f.stop()));
  await observer.close();
  await broker.close();
  await rm(stateDir, { recursive: true, force: true });
});

function newCredentials(prefix: string, count: number): MeterCredentials[] {
  return Array.from({ length: count }, (_, i) => {
    const meterNo = `${prefix}${i + 1}`;
    const secret = `secret-${meterNo}`;
    broker.secrets.set(meterNo, secret);
    return { meterNo, secret };
  });
}

function newFleet(credentials: MeterCredentials[], options: Partial<FleetOptions> = {}): Fleet {
  const fleet = new Fleet({
    url: broker.url,
    credentials,
    stateDir,
    realtime: false,
    persistIntervalMs: 0,
    publishIntervalMs: 5_000,
    startMs: START_MS,
    loadModelFactory: () => new ConstantLoadModel(3_600),
    ...options,
  });
  fleets.push(fleet);
  return fleet;
}

describe('Fleet', () => {
  it('persists every register and C, and a new Fleet resumes them so registers never go backwards', async () => {
    const credentials = newCredentials('P', 3);
    for (const { meterNo } of credentials) {
      await publishJson(
        observer.client,
        commandTopic(meterNo, 'balance'),
        { balance: 1, creditLimit: 1, timestamp: 1_763_800_000 },
        true,
      );
    }
    const first = newFleet(credentials);
    await first.start();
    await observer.waitFor(() => first.meters.every((m) => m.creditLimitMwh === 1_000_000));
    first.tick(30_000);
    expect(first.meters.map((m) => [m.energyMwh, m.seq])).toEqual(credentials.map(() => [30_000, 6]));
    await first.stop();

    const saved = JSON.parse(await readFile(join(stateDir, 'P2.json'), 'utf8')) as Record<string, unknown>;
    expect(saved).toMatchObject({ meterNo: 'P2', energyMwh: 30_000, creditLimitMwh: 1_000_000, seq: 6 });

    // a second run with the broker's retained C gone: the meter must still hold its C from flash
    for (const { meterNo } of credentials) {
      await observer.client.publishAsync(commandTopic(meterNo, 'balance'), '', { qos: 1, retain: true });
    }
    const second = newFleet(credentials);
    await second.start();
    expect(second.meters.map((m) => [m.energyMwh, m.creditLimitMwh, m.seq, m.relayClosed])).toEqual(
      credentials.map(() => [30_000, 1_000_000, 6, true]),
    );
    const firstRun = observer.on(meterTopic('P1', 'consumption'));
    const lastOfFirstRun = firstRun.at(-1)?.payload.energyTotal as number;
    second.tick(5_000);
    await observer.waitFor(() => observer.on(meterTopic('P1', 'consumption')).length === firstRun.length + 1);
    const resumed = observer.on(meterTopic('P1', 'consumption')).at(-1)?.payload;
    expect(resumed?.seq).toBe(7);
    // the report falls somewhere in the 5 s after 30 s, depending on the meter's publish phase
    expect(resumed?.energyTotal).toBeGreaterThan(0.03);
    expect(resumed?.energyTotal).toBeLessThanOrEqual(0.035);
    expect(resumed?.energyTotal).toBeGreaterThan(lastOfFirstRun);
  });

  it('saves state periodically while running, not only on stop', async () => {
    const credentials = newCredentials('Q', 1);
    const fleet = newFleet(credentials, { persistIntervalMs: 20 });
    await fleet.start();
    fleet.tick(0);
    const path = join(stateDir, 'Q1.json');
    const deadline = Date.now() + 5_000;
    let text = '';
    while (Date.now() < deadline) {
      text = await readFile(path, 'utf8').catch(() => '');
      if (text !== '') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(JSON.parse(text)).toMatchObject({ meterNo: 'Q1', energyMwh: 0, seq: 0 });
  });

  it('refuses to start on a corrupt state file instead of restarting that register at 0', async () => {
    const credentials = newCredentials('R', 2);
    await writeFile(join(stateDir, 'R2.json'), '{"meterNo":"R2","energyMwh":12', 'utf8');
    const fleet = newFleet(credentials);
    await expect(fleet.start()).rejects.toThrow(/R2\.json: not valid JSON/);
  });

  it('never has more connections in progress than connectConcurrency', async () => {
    let inProgress = 0;
    let maxInProgress = 0;
    const authenticate = broker.broker.authenticate.bind(broker.broker);
    broker.broker.authenticate = (client, username, password, callback) => {
      inProgress += 1;
      maxInProgress = Math.max(maxInProgress, inProgress);
      // slow authentication makes any excess concurrency visible
      setTimeout(() => {
        inProgress -= 1;
        authenticate(client, username, password, callback);
      }, 30);
    };
    const credentials = newCredentials('C', 12);
    const fleet = newFleet(credentials, { connectConcurrency: 3 });
    await fleet.start();
    expect(fleet.stats().connected).toBe(12);
    expect(maxInProgress).toBe(3);
  });

  it('drives meters from its clock in real-time mode and reports a summary', async () => {
    let nowMs = START_MS;
    const credentials = newCredentials('W', 2);
    const fleet = newFleet(credentials, {
      realtime: true,
      tickIntervalMs: 10,
      // every tick the clock moves 5 simulated seconds: one report per meter per tick
      clock: () => (nowMs += 5_000),
      publishIntervalMs: 5_000,
    });
    for (const { meterNo } of credentials) {
      await publishJson(
        observer.client,
        commandTopic(meterNo, 'balance'),
        { balance: 1, creditLimit: 1, timestamp: 1_763_800_000 },
        true,
      );
    }
    await fleet.start();
    await observer.waitFor(() => observer.on(meterTopic('W2', 'consumption')).length >= 3);
    const stats = fleet.stats();
    expect(stats).toMatchObject({ meters: 2, connected: 2, relaysClosed: 2, relaysOpen: 0 });
    expect(stats.reportsPublished).toBeGreaterThanOrEqual(4);
  });

  it('formats a one-line summary', () => {
    const line = formatSummary(
      {
        meters: 3,
        connected: 2,
        reportsPublished: 10,
        reportsSkipped: 4,
        relaysClosed: 2,
        relaysOpen: 1,
        energyMwh: 1_234_567,
        connectFailures: 1,
      },
      2.5,
      new Date(START_MS),
    );
    expect(line).toBe(
      '06:00:00 meters 2/3 connected · 2.5 reports/s · relays 2 on / 1 off · 1.235 kWh metered · 4 skipped offline',
    );
  });

  it('rejects duplicate meter numbers and unbounded concurrency up front', () => {
    expect(() => newFleet([...newCredentials('D', 1), ...newCredentials('D', 1)])).toThrow(/listed twice/);
    expect(() => newFleet(newCredentials('E', 1), { connectConcurrency: 0 })).toThrow(RangeError);
  });
});
