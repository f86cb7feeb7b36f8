// Protects the meter-to-server path end to end: the native build of the firmware, as a real MQTT client of
// the real server, is credited, switches on, consumes to its limit, switches off, and the server's E equals
// the meter's register exactly (docs/design.md §3); it also survives a restart and a crash.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, uniqueMeterNo, waitFor, type TestApp } from '../helpers/app';
import { BUILD_TIMEOUT_MS, NATIVE_METER, buildFirmware, tail } from './firmware-run';

type MeterEvent =
  | { event: 'relay'; relay: 'on' | 'off'; energyMwh: number; creditLimitMwh: number }
  | { event: 'connected' }
  | { event: 'disconnected' | 'refused'; code: number }
  | { event: 'command'; topic: string; outcome: string; energyMwh: number; creditLimitMwh: number }
  | { event: 'acked'; channel: 'consumption' | 'status' | 'balance'; payload: string; energyMwh: number }
  | { event: 'stopped'; energyMwh: number; creditLimitMwh: number };

interface ServerMeter {
  energyTotalMwh: number;
  creditLimitMwh: number;
  balanceMwh: number;
  relay: 'on' | 'off';
  status: string;
}

/** 2 kW drawn while the relay is closed, with meter time 360 times faster: 1 kWh takes five seconds. */
const LOAD = ['--sim-load-w', '2000', '--time-scale', '360', '--tick-ms', '50', '--interval', '0.25'];

/** A running meter-native process and the events it has printed. */
class NativeMeter {
  readonly events: MeterEvent[] = [];
  private log = '';
  private readonly exited: Promise<number | null>;
  private readonly child: ChildProcessByStdio<null, Readable, Readable>;

  constructor(args: string[]) {
    this.child = spawn(NATIVE_METER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      if (line.startsWith('{')) this.events.push(JSON.parse(line) as MeterEvent);
    });
    this.child.stderr.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Waits for an event, counting only those after index `from`. */
  async next<E extends MeterEvent['event']>(
    event: E,
    match: (e: Extract<MeterEvent, { event: E }>) => boolean = () => true,
    from = 0,
    timeoutMs = 20_000,
  ): Promise<Extract<MeterEvent, { event: E }>> {
    try {
      return await waitFor(
        () =>
          this.events
            .slice(from)
            .find((e): e is Extract<MeterEvent, { event: E }> => e.event === event && match(e as never)),
        `meter event "${event}"`,
        timeoutMs,
      );
    } catch (err) {
      throw new Error(`${String(err)}\nmeter log:\n${tail(this.log, 3000)}`);
    }
  }

  relay(): 'on' | 'off' | undefined {
    return this.events.filter((e) => e.event === 'relay').at(-1)?.relay;
  }

  /** SIGTERM: the meter writes its register, says "offline" and exits. */
  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.exited;
  }

  /** SIGKILL: a power cut; the broker publishes the Last Will. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
}

describe('the native meter against the real server', () => {
  let t: TestApp;
  let stateDir: string;
  const meters: NativeMeter[] = [];

  beforeAll(async () => {
    await buildFirmware();
    t = await startTestApp('pglite', { DEMO: true });
    stateDir = mkdtempSync(join(tmpdir(), 'umeme-native-'));
  }, BUILD_TIMEOUT_MS);

  afterEach(async () => {
    for (const meter of meters.splice(0)) if (meter.running()) await meter.kill();
  });

  afterAll(async () => {
    await t?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  /** Registers a meter over the HTTP API, as an installer would, and returns its device credentials. */
  async function registerMeter(): Promise<{
    meterNo: string;
    username: string;
    password: string;
    clientId: string;
  }> {
    const meterNo = uniqueMeterNo('N');
    const res = await t.api<{ mqttUsername: string; mqttPassword: string; mqttClientId: string }>(
      'POST',
      '/api/meters',
      { meterNo, openingCreditKwh: 0 },
      t.adminToken,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return {
      meterNo,
      username: res.body.mqttUsername,
      password: res.body.mqttPassword,
      clientId: res.body.mqttClientId,
    };
  }

  function startMeter(creds: Awaited<ReturnType<typeof registerMeter>>, extra: string[] = []): NativeMeter {
    const { hostname, port } = new URL(t.mqttUrl);
    const meter = new NativeMeter([
      ...['--meter', creds.meterNo, '--user', creds.username, '--secret', creds.password],
      ...['--client-id', creds.clientId, '--host', hostname, '--port', port],
      ...['--state-file', join(stateDir, `${creds.meterNo}.state`)],
      ...LOAD,
      ...extra,
    ]);
    meters.push(meter);
    return meter;
  }

  async function serverView(meterNo: string): Promise<ServerMeter> {
    const res = await t.api<ServerMeter>('GET', `/api/meters/${meterNo}`, undefined, t.adminToken);
    expect(res.status).toBe(200);
    return res.body;
  }

  async function pay(meterNo: string, amountKes: number): Promise<void> {
    const res = await t.api(
      'POST',
      '/daraja/simulate',
      { meter_no: meterNo, amount: amountKes },
      t.adminToken,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }

  /** The server has applied the meter's final report: its E is the meter's register, to the mWh. */
  async function serverAgrees(meterNo: string, energyMwh: number): Promise<ServerMeter> {
    return waitFor(
      async () => {
        const view = await serverView(meterNo);
        return view.energyTotalMwh === energyMwh && view.relay === 'off' ? view : undefined;
      },
      `the server's E to equal the meter's ${energyMwh} mWh`,
      10_000,
    );
  }

  it('a credited meter switches on, consumes to its limit, switches off, and the server holds its exact E', async () => {
    const creds = await registerMeter();
    const meter = startMeter(creds);
    await meter.next('connected');
    expect(meter.relay()).toBe('off');

    await pay(creds.meterNo, 20); // 1 kWh at 20 KES/kWh
    const limit = (await serverView(creds.meterNo)).creditLimitMwh;
    expect(limit).toBe(1_000_000);
    const on = await meter.next('relay', (e) => e.relay === 'on');
    expect(on.creditLimitMwh).toBe(limit);

    const off = await meter.next('relay', (e) => e.relay === 'off', meter.events.indexOf(on));
    expect(off.energyMwh).toBeGreaterThanOrEqual(limit);
    // One 50 ms tick of 2 kW at 360x is 10 Wh: the cut comes within a tick of the limit.
    expect(off.energyMwh - limit).toBeLessThanOrEqual(10_000);

    const view = await serverAgrees(creds.meterNo, off.energyMwh);
    expect(view.creditLimitMwh).toBe(limit);
    expect(view.balanceMwh).toBe(limit - off.energyMwh);

    expect(await meter.stop()).toBe(0);
    const stopped = await meter.next('stopped');
    expect(stopped.energyMwh).toBe(off.energyMwh); // no energy flows through an open relay
  });

  it('a meter stopped during a payment resumes from its stored register and gets the credit on reconnect', async () => {
    const creds = await registerMeter();
    const first = startMeter(creds);
    await first.next('connected');
    await pay(creds.meterNo, 10); // 0.5 kWh
    const off = await first.next('relay', (e) => e.relay === 'off' && e.creditLimitMwh === 500_000);
    await serverAgrees(creds.meterNo, off.energyMwh);
    expect(await first.stop()).toBe(0);

    await pay(creds.meterNo, 10); // paid while the meter is off the network
    const second = startMeter(creds);
    const on = await second.next('relay', (e) => e.relay === 'on');
    expect(on.energyMwh).toBe(off.energyMwh); // the register came back from storage, not from zero
    expect(on.creditLimitMwh).toBe(1_000_000); // the retained command/balance reached it

    const secondOff = await second.next('relay', (e) => e.relay === 'off', second.events.indexOf(on));
    expect(secondOff.energyMwh).toBeGreaterThanOrEqual(1_000_000);
    await serverAgrees(creds.meterNo, secondOff.energyMwh);
  });

  it('a meter that dies without a goodbye is marked offline by its Last Will', async () => {
    const creds = await registerMeter();
    const meter = startMeter(creds);
    await meter.next('connected');
    await waitFor(
      async () => !['offline', 'never_seen'].includes((await serverView(creds.meterNo)).status),
      'the meter to be seen online',
    );
    await meter.kill();
    await waitFor(
      async () => (await serverView(creds.meterNo)).status === 'offline',
      'the server to mark the meter offline',
    );
  });

  it('a meter with a wrong secret is refused and keeps retrying with backoff', async () => {
    const creds = await registerMeter();
    const meter = startMeter({ ...creds, password: 'not-the-secret' });
    await meter.next('refused');
    expect(meter.events.some((e) => e.event === 'connected')).toBe(false);
  });
});
