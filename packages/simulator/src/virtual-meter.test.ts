// Protects the simulated meter's side of the credit protocol (docs/design.md §3–4) over a real broker on TCP.
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  commandTopic,
  consumptionV2Schema,
  decodeConsumption,
  meterTopic,
  type CommandKind,
} from '@umeme/protocol';
import { ConstantLoadModel, HouseholdLoadModel } from './load-model';
import { publishJson, startObserver, startTestBroker, type Observer, type TestBroker } from './test-broker';
import { VirtualMeter, type PublishedReport, type VirtualMeterOptions } from './virtual-meter';

/** 2025-01-06 09:00 EAT; at 3600 W the register gains exactly 1000 mWh per simulated second. */
const START_MS = Date.UTC(2025, 0, 6, 6, 0, 0);
const ONE_KWH_PER_H_W = 3_600;
const MWH_PER_S = 1_000;

let broker: TestBroker;
let observer: Observer;
const meters: VirtualMeter[] = [];
let meterCount = 0;

beforeEach(async () => {
  broker = await startTestBroker();
  observer = await startObserver(broker.url, 'smartmeter/#');
});

afterEach(async () => {
  await Promise.all(meters.splice(0).map((m) => m.close()));
  await observer.close();
  await broker.close();
});

/** A meter with a fresh number, a constant 3600 W load and, if given, a starting credit limit. */
function newMeter(options: Partial<VirtualMeterOptions> & { creditLimitMwh?: number } = {}): VirtualMeter {
  meterCount += 1;
  const { creditLimitMwh, ...rest } = options;
  const meterNo = options.meterNo ?? `T${process.pid % 1000}x${meterCount}`;
  const secret = `secret-${meterNo}`;
  broker.secrets.set(meterNo, secret);
  const meter = new VirtualMeter({
    meterNo,
    secret,
    url: broker.url,
    loadModel: new ConstantLoadModel(ONE_KWH_PER_H_W),
    publishIntervalMs: 5_000,
    startMs: START_MS,
    reconnectMinMs: 50,
    reconnectMaxMs: 200,
    ...(creditLimitMwh !== undefined ? { initialState: stateWith(meterNo, { creditLimitMwh }) } : {}),
    ...rest,
  });
  meters.push(meter);
  return meter;
}

/** Collects the meter's acknowledged reports and waits until `count` have arrived. */
function collectPublished(meter: VirtualMeter): {
  reports: PublishedReport[];
  until(count: number): Promise<void>;
} {
  const reports: PublishedReport[] = [];
  meter.on('published', (r) => reports.push(r));
  return {
    reports,
    until: (count) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`only ${reports.length}/${count} reports acknowledged`)),
          5_000,
        );
        const check = (): void => {
          if (reports.length < count) return;
          clearTimeout(timer);
          meter.off('published', check);
          resolve();
        };
        meter.on('published', check);
        check();
      }),
  };
}

function nextCommand(meter: VirtualMeter, kind: CommandKind): Promise<boolean> {
  return new Promise((resolve) => {
    const listener = (k: CommandKind, accepted: boolean): void => {
      if (k !== kind) return;
      meter.off('command', listener);
      resolve(accepted);
    };
    meter.on('command', listener);
  });
}

const consumptionOf = (meter: VirtualMeter) => observer.on(meterTopic(meter.meterNo, 'consumption'));
const statusesOf = (meter: VirtualMeter) => observer.on(meterTopic(meter.meterNo, 'status'));
const balance = (creditLimitKwh: number) => ({
  balance: 0,
  creditLimit: creditLimitKwh,
  timestamp: 1_763_800_000,
});

describe('VirtualMeter over MQTT', () => {
  it('connects with its own credentials, announces itself online (retained), and a wrong secret is refused', async () => {
    const meter = newMeter();
    await meter.connect();
    expect(meter.connected).toBe(true);
    await observer.waitFor(() => statusesOf(meter).some((m) => m.payload.status === 'online'));

    const late = await startObserver(broker.url, meterTopic(meter.meterNo, 'status'));
    await late.waitFor((ms) => ms.length > 0);
    expect(late.messages[0]).toMatchObject({
      retain: true,
      payload: { meterNo: meter.meterNo, status: 'online' },
    });
    await late.close();

    const impostor = newMeter({ secret: 'not-the-secret', connectTimeoutMs: 2_000 });
    await expect(impostor.connect()).rejects.toThrow(/Not authorized|Bad username or password/);
    expect(broker.refused).toContain(impostor.meterNo);
  });

  it('publishes v2 reports each interval with growing seq and energy', async () => {
    const meter = newMeter({ creditLimitMwh: 1_000_000 });
    const published = collectPublished(meter);
    await meter.connect();
    meter.tick(15_000);
    await published.until(3);

    expect(published.reports.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(published.reports.map((r) => r.energyMwh)).toEqual([5_000, 10_000, 15_000]);
    await observer.waitFor(() => consumptionOf(meter).length === 3);
    const payloads = consumptionOf(meter).map((m) => m.payload);
    for (const p of payloads) expect(consumptionV2Schema.safeParse(p).success).toBe(true);
    expect(payloads[2]).toMatchObject({
      v: 2,
      meterNo: meter.meterNo,
      seq: 3,
      energyTotal: 0.015,
      unitsConsumed: 0.005,
      remainingBalance: 0.985,
      powerW: 3_600,
      relay: 'on',
      timestamp: START_MS / 1_000 + 15,
    });
    const decoded = decodeConsumption(JSON.stringify(payloads[2]));
    expect(decoded.ok && decoded.value.kind === 'v2' && decoded.value.report.energyTotal).toBe(0.015);
  });

  it('takes a larger retained C on connect, closes the relay, and ignores a smaller C', async () => {
    const meter = newMeter();
    expect(meter.relayClosed).toBe(false);
    await publishJson(observer.client, commandTopic(meter.meterNo, 'balance'), balance(1), true);

    const relayClosed = new Promise<boolean>((resolve) => meter.once('relay', resolve));
    await meter.connect();
    expect(await relayClosed).toBe(true);
    expect(meter.creditLimitMwh).toBe(1_000_000);

    const smaller = nextCommand(meter, 'balance');
    await publishJson(observer.client, commandTopic(meter.meterNo, 'balance'), balance(0.5), true);
    expect(await smaller).toBe(true);
    expect(meter.creditLimitMwh).toBe(1_000_000);
    expect(meter.relayClosed).toBe(true);

    const larger = new Promise<number>((resolve) => meter.once('creditLimit', resolve));
    await publishJson(observer.client, commandTopic(meter.meterNo, 'balance'), balance(2.000001), true);
    expect(await larger).toBe(2_000_001);
  });

  it('opens the relay at E ≥ C, stops metering, and closes it again when a larger C arrives', async () => {
    const meter = newMeter({ creditLimitMwh: 10_000 });
    const published = collectPublished(meter);
    await meter.connect();
    const relayEvents: boolean[] = [];
    meter.on('relay', (closed) => relayEvents.push(closed));

    meter.tick(9_000);
    expect(meter.relayClosed).toBe(true);
    meter.tick(1_000);
    expect(meter.energyMwh).toBe(10_000);
    expect(meter.relayClosed).toBe(false);
    meter.tick(20_000);
    expect(meter.energyMwh).toBe(10_000);
    await published.until(6);
    expect(published.reports.slice(1).map((r) => [r.energyMwh, r.payload.relay, r.payload.powerW])).toEqual(
      Array.from({ length: 5 }, () => [10_000, 'off', 0]),
    );

    const closed = new Promise<boolean>((resolve) => meter.once('relay', resolve));
    await publishJson(observer.client, commandTopic(meter.meterNo, 'balance'), balance(0.02), true);
    expect(await closed).toBe(true);
    meter.tick(3_000);
    expect(meter.energyMwh).toBe(13_000);
    expect(relayEvents).toEqual([false, true]);
    await observer.waitFor(() =>
      observer.on(meterTopic(meter.meterNo, 'balance')).some((m) => m.payload.creditLimit === 0.02),
    );
  });

  it('lets emergency credit carry E past C, obeys a relay override, and acknowledges commands in its status', async () => {
    const meter = newMeter({ creditLimitMwh: 5_000 });
    await meter.connect();
    meter.tick(10_000);
    expect([meter.energyMwh, meter.relayClosed]).toEqual([5_000, false]);

    const config = nextCommand(meter, 'config');
    await publishJson(observer.client, commandTopic(meter.meterNo, 'config'), {
      publishIntervalS: 2,
      lowBalanceKwh: 0.001,
      emergencyCreditKwh: 0.003,
      id: 'cfg-1',
    });
    expect(await config).toBe(true);
    expect([meter.relayClosed, meter.emergencyCreditMwh, meter.publishIntervalMs]).toEqual([
      true,
      3_000,
      2_000,
    ]);
    meter.tick(10_000);
    expect(meter.energyMwh).toBe(8_000);
    expect(meter.balanceMwh).toBe(-3_000);
    await observer.waitFor(() => statusesOf(meter).some((m) => m.payload.ack === 'cfg-1'));

    const relay = nextCommand(meter, 'relay');
    await publishJson(observer.client, commandTopic(meter.meterNo, 'relay'), {
      action: 'connect',
      reason: 'operator test',
      timestamp: 1_763_800_000,
      id: 'relay-7',
    });
    await relay;
    meter.tick(2_000);
    expect([meter.relayClosed, meter.energyMwh]).toEqual([true, 10_000]);
    await observer.waitFor(() => statusesOf(meter).some((m) => m.payload.ack === 'relay-7'));

    const auto = nextCommand(meter, 'relay');
    await publishJson(observer.client, commandTopic(meter.meterNo, 'relay'), {
      action: 'auto',
      reason: 'done',
      timestamp: 1_763_800_000,
    });
    await auto;
    expect(meter.relayClosed).toBe(false);
  });

  it('ignores and counts malformed commands without changing C', async () => {
    const meter = newMeter({ creditLimitMwh: 7_000 });
    await meter.connect();
    const rejected = nextCommand(meter, 'balance');
    await observer.client.publishAsync(commandTopic(meter.meterNo, 'balance'), '{"creditLimit":"lots"}', {
      qos: 1,
    });
    expect(await rejected).toBe(false);
    const notJson = nextCommand(meter, 'config');
    await observer.client.publishAsync(commandTopic(meter.meterNo, 'config'), 'garbage', { qos: 1 });
    expect(await notJson).toBe(false);
    expect([meter.creditLimitMwh, meter.commandsRejected]).toEqual([7_000, 2]);
  });

  it('with duplicateRate 1 publishes every report twice with the same seq and register', async () => {
    const meter = newMeter({ faults: { duplicateRate: 1 }, creditLimitMwh: 1e9 });
    await meter.connect();
    meter.tick(10_000);
    await observer.waitFor(() => consumptionOf(meter).length === 4);
    expect(consumptionOf(meter).map((m) => [m.payload.seq, m.payload.energyTotal])).toEqual([
      [1, 0.005],
      [1, 0.005],
      [2, 0.01],
      [2, 0.01],
    ]);
  });

  it('with reorderRate 1 sends each held report after the one that follows it', async () => {
    const meter = newMeter({ faults: { reorderRate: 1 }, creditLimitMwh: 1e9 });
    const held: number[] = [];
    meter.on('held', (r) => held.push(r.seq));
    await meter.connect();
    meter.tick(25_000);
    await observer.waitFor(() => consumptionOf(meter).length === 4);
    expect(consumptionOf(meter).map((m) => m.payload.seq)).toEqual([2, 1, 4, 3]);
    expect(held).toEqual([1, 3, 5]);
  });

  it('with dropEvery 3 skips every third report while the register keeps advancing', async () => {
    const meter = newMeter({ faults: { dropEvery: 3 }, creditLimitMwh: 1e9 });
    const dropped: number[] = [];
    meter.on('dropped', (r) => dropped.push(r.seq));
    await meter.connect();
    meter.tick(35_000);
    await observer.waitFor(() => consumptionOf(meter).length === 5);
    expect(consumptionOf(meter).map((m) => [m.payload.seq, m.payload.energyTotal])).toEqual([
      [1, 0.005],
      [2, 0.01],
      [4, 0.02],
      [5, 0.025],
      [7, 0.035],
    ]);
    expect(dropped).toEqual([3, 6]);
    expect(meter.energyMwh).toBe(35 * MWH_PER_S);
  });

  it('crash() makes the broker deliver the retained Last Will, and restart() brings it back with its C', async () => {
    const meter = newMeter();
    await publishJson(observer.client, commandTopic(meter.meterNo, 'balance'), balance(3), true);
    const gotCredit = new Promise<number>((resolve) => meter.once('creditLimit', resolve));
    await meter.connect();
    expect(await gotCredit).toBe(3_000_000);
    await observer.waitFor(() => statusesOf(meter).some((m) => m.payload.status === 'online'));

    await meter.crash();
    expect(meter.connected).toBe(false);
    await observer.waitFor(() => statusesOf(meter).at(-1)?.payload.status === 'offline');
    const late = await startObserver(broker.url, meterTopic(meter.meterNo, 'status'));
    await late.waitFor((ms) => ms.length > 0);
    expect(late.messages[0]).toMatchObject({
      retain: true,
      payload: { meterNo: meter.meterNo, status: 'offline' },
    });
    await late.close();

    // metering continues offline; reports are skipped rather than queued without bound
    meter.tick(10_000);
    expect(meter.reportsSkipped).toBe(2);
    const command = nextCommand(meter, 'balance');
    await meter.restart();
    await command;
    expect(meter.creditLimitMwh).toBe(3_000_000);
    await observer.waitFor(() => statusesOf(meter).at(-1)?.payload.status === 'online');
    const published = collectPublished(meter);
    meter.tick(5_000);
    await published.until(1);
    expect(published.reports[0]).toMatchObject({ seq: 3, energyMwh: 15 * MWH_PER_S });
  });

  it('announces offline (retained) when closed gracefully', async () => {
    const meter = newMeter();
    await meter.connect();
    await meter.close();
    await observer.waitFor(() => statusesOf(meter).at(-1)?.payload.status === 'offline');
    expect(statusesOf(meter).at(-1)?.payload.fw).toBe('umeme-sim/0.1.0');
  });

  it('in legacy mode publishes the original payload, and a register reset shows as a drop on the wire', async () => {
    const meter = newMeter({ legacy: true, creditLimitMwh: 20_000 });
    await meter.connect();
    meter.tick(10_000);
    await observer.waitFor(() => consumptionOf(meter).length === 2);
    const [first, second] = consumptionOf(meter).map((m) => m.payload);
    expect(Object.keys(second ?? {}).sort()).toEqual(
      ['meterNo', 'remainingBalance', 'timestamp', 'totalConsumed', 'unitsConsumed'].sort(),
    );
    expect(first).toMatchObject({ totalConsumed: 0.005, unitsConsumed: 0.005, remainingBalance: 0.015 });
    expect(second).toMatchObject({ totalConsumed: 0.01, unitsConsumed: 0.005, remainingBalance: 0.01 });
    const decoded = decodeConsumption(JSON.stringify(second));
    expect(decoded.ok && decoded.value.kind).toBe('legacy');

    meter.resetRegister();
    meter.tick(5_000);
    await observer.waitFor(() => consumptionOf(meter).length === 3);
    expect(consumptionOf(meter)[2]?.payload).toMatchObject({ totalConsumed: 0.005, remainingBalance: 0.005 });
    expect([meter.energyMwh, meter.reportedEnergyMwh]).toEqual([15_000, 5_000]);
  });

  it('reconnects by itself with backoff after the broker drops it', async () => {
    const meter = newMeter();
    await meter.connect();
    await observer.waitFor(() => statusesOf(meter).length === 1);
    const reconnected = once(meter, 'connected', { signal: AbortSignal.timeout(5_000) });
    broker.dropClient(meter.meterNo);
    await reconnected;
    expect(meter.connected).toBe(true);
    await observer.waitFor(
      () =>
        statusesOf(meter)
          .map((m) => m.payload.status)
          .join() === 'online,offline,online',
    );
  });
});

describe('VirtualMeter time', () => {
  it('gives the same register however ticks are chunked, for the same household seed', () => {
    const chunked = new VirtualMeter(offlineOptions(new HouseholdLoadModel({ seed: 9 })));
    const whole = new VirtualMeter(offlineOptions(new HouseholdLoadModel({ seed: 9 })));
    for (let i = 0; i < 3_600; i++) chunked.tick(250 + (i % 3) * 250);
    whole.tick(3_600 * 500);
    expect(chunked.energyMwh).toBeGreaterThan(0);
    expect(chunked.snapshot()).toEqual(whole.snapshot());
  });

  it('refuses state that would run the register backwards', () => {
    expect(
      () =>
        new VirtualMeter({
          ...offlineOptions(new ConstantLoadModel(1)),
          initialState: stateWith('OFF1', { registerBaseMwh: 5, energyMwh: 4 }),
        }),
    ).toThrow(RangeError);
  });
});

function offlineOptions(loadModel: ConstantLoadModel | HouseholdLoadModel): VirtualMeterOptions {
  return {
    meterNo: 'OFF1',
    secret: 's',
    url: 'mqtt://127.0.0.1:1',
    loadModel,
    startMs: START_MS,
    initialState: stateWith('OFF1', { creditLimitMwh: 1e12 }),
  };
}

function stateWith(
  meterNo: string,
  overrides: Partial<{ energyMwh: number; creditLimitMwh: number; registerBaseMwh: number }>,
) {
  return {
    meterNo,
    energyMwh: 0,
    creditLimitMwh: 0,
    seq: 0,
    registerBaseMwh: 0,
    remainderWattMs: 0,
    ...overrides,
  };
}
