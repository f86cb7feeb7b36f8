// MQ-2: the broker restarted, and separately one of two instances killed with SIGKILL, each in the middle of 10,000 reports from 100 meters: no register short, no credit lost, no relay stuck.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, waitFor, type TestMeterCreds } from '../helpers/app';
import { writeGeneratorInput } from '../helpers/generator-input';
import { mosquittoUnavailable, startOwnMosquitto, type OwnMosquitto } from '../helpers/mosquitto';
import { scratchDatabase } from '../helpers/scratch-db';
import { spawnServer, stopAllServers, type ServerRun } from '../helpers/spawn-server';
import { DRAIN_QUIET_MS, STALE_NOTICE_GRACE_MS } from '../../packages/server/src/mqtt/session-handover';

const DATABASE_URL = process.env.DATABASE_URL;
const unavailable = mosquittoUnavailable();
const METERS = 100;
const RATE_PER_S = 1000;
const SECONDS = 10;
const DISRUPT_AFTER_MS = 4000;
const OPENING_KWH = 10;
const REGISTER_CONCURRENCY = 10;
/** A report published this long before the restart may still be unacknowledged and resent after it. */
const RESENT_AFTER_RESTART_MS = 5000;

type Disruption = 'kill an instance' | 'restart the broker';

/**
 * One broker, database, fleet and pair of instances for the file (CI time): the broker restart
 * runs first with both instances, the kill second; the meters carry their registers and report
 * sequences from one run to the next.
 */
interface Fleet {
  meters: TestMeterCreds[];
  db: pg.Pool;
  broker: OwnMosquitto;
  a: ServerRun;
  b: ServerRun;
  /** each meter's register (mWh) and last report sequence after the previous run */
  registers: number[];
  seqs: number[];
}

interface Outcome {
  /** each meter's register as it sent it last */
  registers: number[];
  /** seconds from the disruption until the applied reports caught up with the sent ones again */
  fullRateAfterS: number | null;
  disruptedAt: number;
  /** every report as the generator published it: meter index, register (mWh), Date.now() */
  sent: [number, number, number][];
  /** where the instances' logs stood when the run began */
  logFrom: { a: number; b: number };
}

const cleanups: (() => Promise<void>)[] = [];
let fleet: Fleet;

beforeAll(async () => {
  if (!DATABASE_URL || unavailable !== null) return;
  const stateDir = mkdtempSync(join(tmpdir(), 'umeme-mq2-'));
  cleanups.push(async () => rmSync(stateDir, { recursive: true, force: true }));
  // As deploy/mosquitto/mosquitto.conf: a restart keeps sessions and retained messages, and a
  // dead instance's session may hold its in-flight reports and queue more until handed over.
  const broker = await startOwnMosquitto({
    extraConfig: ['persistence true', `persistence_location ${stateDir}/`, 'max_queued_messages 20000'],
  });
  cleanups.push(() => broker.stop());
  const scratch = await scratchDatabase(DATABASE_URL, 'umeme_mq2');
  cleanups.push(() => scratch.drop());
  const db = scratch.pool(2);
  cleanups.push(() => db.end());
  const jwtSecret = randomBytes(32).toString('hex');

  // The meters are registered by a third instance that then stops cleanly (leaving no session).
  const setup = await startTestApp('pglite', {
    DATABASE_URL: scratch.url,
    MQTT_URL: broker.adminUrl,
    MQTT_DYNSEC: true,
    embeddedBroker: false,
    JWT_SECRET: jwtSecret,
    INSTANCE_ID: 'mq2-setup',
    LOG_LEVEL: 'silent',
  });
  const meters: TestMeterCreds[] = [];
  try {
    // A few at a time: each is a database transaction around a dynsec command.
    for (let i = 0; i < METERS; i += REGISTER_CONCURRENCY) {
      const batch = Math.min(REGISTER_CONCURRENCY, METERS - i);
      meters.push(
        ...(await Promise.all(
          Array.from({ length: batch }, () => setup.newMeter({ openingCreditKwh: OPENING_KWH })),
        )),
      );
    }
  } finally {
    await setup.close();
  }

  const env = (id: string) => ({
    DATABASE_URL: scratch.url,
    MQTT_URL: broker.adminUrl,
    MQTT_DYNSEC: 'true',
    JWT_SECRET: jwtSecret,
    INSTANCE_ID: id,
    DEMO: 'false',
    DEMO_METERS: '0',
    DARAJA_EMULATOR: 'true',
  });
  const a = spawnServer(env('mq2-a'));
  const b = spawnServer(env('mq2-b'));
  await Promise.all([a.ready(), b.ready()]);
  fleet = { meters, db, broker, a, b, registers: meters.map(() => 0), seqs: meters.map(() => 0) };
}, 180_000);

afterAll(async () => {
  await stopAllServers();
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function runScenario(disruption: Disruption): Promise<Outcome> {
  const { meters, db, broker, a, b } = fleet;
  const logFrom = { a: a.output().length, b: b.output().length };
  const applied = async () =>
    Number((await db.query<{ n: string }>('SELECT COUNT(*) AS n FROM readings')).rows[0]!.n);
  const appliedBefore = await applied();
  const sent: [number, number, number][] = [];
  const samples: [number, number][] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const at = Date.now();
      samples.push([at, (await applied()) - appliedBefore]);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  let disruptedAt = 0;
  const child = fork(
    join(import.meta.dirname, '..', 'helpers', 'load-generator.ts'),
    [
      writeGeneratorInput({
        url: broker.url,
        creds: meters,
        ratePerS: RATE_PER_S,
        seconds: SECONDS,
        inflightPerMeter: 50,
        connectConcurrency: 20,
        startRegisters: fleet.registers,
        startSeqs: fleet.seqs,
      }),
    ],
    { execArgv: ['--import', 'tsx'] },
  );
  type Done = { sent: number; skipped: number; registers: number[]; seqs: number[] };
  let result: Done;
  try {
    result = await new Promise<Done>((resolve, reject) => {
      child.on('message', (m: { type: string; log?: [number, number, number][] }) => {
        if (m.type === 'connected') {
          setTimeout(() => {
            disruptedAt = Date.now();
            if (disruption === 'kill an instance') process.kill(aPid(a), 'SIGKILL');
            else void broker.restart().catch((err: unknown) => console.error('broker restart failed', err));
          }, DISRUPT_AFTER_MS);
        } else if (m.type === 'log') sent.push(...m.log!);
        else if (m.type === 'done') resolve(m as unknown as Done);
      });
      child.on('exit', (code) => code && reject(new Error(`generator exited ${code}`)));
    });
  } catch (err) {
    sampling = false;
    await sampler;
    if (child.exitCode === null) child.kill('SIGKILL');
    throw err;
  }
  fleet.registers = result.registers;
  fleet.seqs = result.seqs;
  console.info(`MQ-2 (${disruption}): ${result.sent} reports sent, ${result.skipped} held back by meters`);

  // Every meter's register reaches what it sent.
  try {
    await waitFor(
      async () => {
        const { rows } = await db.query<{ meter_no: string; energy_mwh: string }>(
          'SELECT meter_no, energy_mwh FROM meters WHERE meter_no = ANY($1)',
          [meters.map((m) => m.meterNo)],
        );
        const byNo = new Map(rows.map((r) => [r.meter_no, Number(r.energy_mwh)]));
        return meters.every((m, i) => byNo.get(m.meterNo) === result.registers[i]);
      },
      'every register to equal what its meter sent',
      45_000,
    );
  } catch (err) {
    const { rows } = await db.query<{ meter_no: string; energy_mwh: string }>(
      'SELECT meter_no, energy_mwh FROM meters WHERE meter_no = ANY($1)',
      [meters.map((m) => m.meterNo)],
    );
    const byNo = new Map(rows.map((r) => [r.meter_no, Number(r.energy_mwh)]));
    const behind = meters.filter((m, i) => byNo.get(m.meterNo) !== result.registers[i]).length;
    if (process.env.MQ2_DIAG)
      writeFileSync(
        process.env.MQ2_DIAG,
        `--- broker\n${broker.log()}\n--- a\n${a.output()}\n--- b\n${b.output()}`,
      );
    throw new Error(
      `${String(err)}: ${behind} meters behind\n--- broker\n${broker.log().slice(-3000)}\n--- a\n${a.output().slice(-3000)}\n--- b\n${b.output().slice(-3000)}`,
    );
  } finally {
    sampling = false;
    await sampler;
  }

  // From the disruption on: the first moment every report sent before it was applied (the dead
  // instance's share included), so the survivor carries the whole stream again.
  let fullRateAfterS: number | null = null;
  const sentBeforeDisruption = sent.filter(([, , at]) => at <= disruptedAt).length;
  for (const [at, n] of samples) {
    if (at > disruptedAt && n >= sentBeforeDisruption) {
      fullRateAfterS = (at - disruptedAt) / 1000;
      break;
    }
  }
  return { registers: result.registers, fullRateAfterS, disruptedAt, sent, logFrom };
}

function aPid(run: ServerRun): number {
  const pid = run.pid;
  if (pid === undefined) throw new Error('instance a has no pid');
  return pid;
}

/** The reports the generator published that were never stored, with when they were published. */
async function lostReports(o: Outcome): Promise<{ meterNo: string; mwh: number; at: number }[]> {
  const { rows } = await fleet.db.query<{ meter_no: string; energy_mwh: string }>(
    'SELECT meter_no, energy_mwh FROM readings WHERE meter_no = ANY($1)',
    [fleet.meters.map((m) => m.meterNo)],
  );
  const stored = new Set(rows.map((r) => `${r.meter_no}:${r.energy_mwh}`));
  return o.sent
    .map(([i, mwh, at]) => ({ meterNo: fleet.meters[i]!.meterNo, mwh, at }))
    .filter((r) => !stored.has(`${r.meterNo}:${r.mwh}`));
}

/** What each instance logged during the run. */
function runLog(o: Outcome): { a: string; b: string } {
  return { a: fleet.a.output().slice(o.logFrom.a), b: fleet.b.output().slice(o.logFrom.b) };
}

/** Date.now() of the first "resubscribed after a reconnect" line of either instance after `since`. */
function firstResubscribedAt(o: Outcome, since: number): number | undefined {
  const log = runLog(o);
  const times = [log.a, log.b].flatMap((text) =>
    text
      .split('\n')
      .filter((l) => l.includes('resubscribed after a reconnect'))
      .map((l) => (JSON.parse(l) as { time: number }).time)
      .filter((t) => t > since),
  );
  return times.length ? Math.min(...times) : undefined;
}

const HANDOVER_LINE = 'took over and ended the MQTT session of a dead instance';

function handovers(o: Outcome): number {
  const log = runLog(o);
  return log.a.split(HANDOVER_LINE).length - 1 + (log.b.split(HANDOVER_LINE).length - 1);
}

async function assertNothingLostOrStuck(o: Outcome): Promise<void> {
  const { meters, db, broker } = fleet;
  const nos = meters.map((m) => m.meterNo);
  // For bench/failover.ts: the figures, written before anything is asserted.
  if (process.env.MQ2_RESULT) {
    const drops = broker.log().split('Outgoing messages are being dropped').length - 1;
    writeFileSync(
      process.env.MQ2_RESULT,
      JSON.stringify({ deathToFullRateS: o.fullRateAfterS, brokerDropLines: drops, meters: METERS }),
    );
  }
  const { rows: reads } = await db.query<{ meter_no: string }>(
    'SELECT DISTINCT meter_no FROM readings WHERE meter_no = ANY($1)',
    [nos],
  );
  expect(reads).toHaveLength(METERS);
  // No credit lost: the opening credit stands, and the balance is credit minus what was used.
  const { rows } = await db.query<{
    meter_no: string;
    e0_mwh: string;
    energy_mwh: string;
    credit_limit_mwh: string;
  }>('SELECT meter_no, e0_mwh, energy_mwh, credit_limit_mwh FROM meters WHERE meter_no = ANY($1)', [nos]);
  for (const r of rows) {
    expect(Number(r.credit_limit_mwh) - Number(r.e0_mwh), r.meter_no).toBe(OPENING_KWH * 1_000_000);
  }
  // Relay on: the credit limit each meter is told (retained command/balance) is above its register.
  const limits = await Promise.all(meters.map((m) => retainedLimitKwh(broker.url, m)));
  meters.forEach((m, i) => {
    const limitMwh = Math.round(limits[i]! * 1_000_000);
    expect(limitMwh, m.meterNo).toBeGreaterThan(o.registers[i]!);
  });
  expect(broker.log()).not.toContain('Outgoing messages are being dropped');
}

/** Connects as the meter (clean session) and reads its retained command/balance. */
async function retainedLimitKwh(url: string, m: TestMeterCreds): Promise<number> {
  const c = await mqtt.connectAsync(url, {
    clientId: m.meterNo,
    username: m.meterNo,
    password: m.secret,
    clean: true,
    reconnectPeriod: 0,
  });
  try {
    const got = new Promise<number>((resolve) => {
      c.on('message', (_topic, payload) => {
        resolve((JSON.parse(payload.toString()) as { creditLimit: number }).creditLimit);
      });
    });
    await c.subscribeAsync(`smartmeter/${m.meterNo}/command/balance`, { qos: 1 });
    return await Promise.race([
      got,
      new Promise<number>((_, reject) =>
        setTimeout(() => reject(new Error(`${m.meterNo}: no command/balance`)), 10_000),
      ),
    ]);
  } finally {
    await c.endAsync();
  }
}

describe.skipIf(!DATABASE_URL || unavailable !== null)(
  'MQ-2: failures in the middle of 10,000 reports',
  () => {
    it('a broker restart leaves every register exact and every relay on; only reports sent before an instance resubscribed may be missing from the history', async () => {
      const o = await runScenario('restart the broker');
      await assertNothingLostOrStuck(o);
      // Mosquitto 2.0 restores the servers' sessions without their `$share` subscriptions, so it
      // drops what meters publish until the first instance subscribes again (docs/architecture.md).
      // The next report carries the register, so registers and credit are exact (asserted above);
      // only reports published in that window, or resent in it after the restart cut them off,
      // may be missing from the history. Any other loss is a bug.
      const resubscribedAt = firstResubscribedAt(o, o.disruptedAt);
      expect(resubscribedAt, 'an instance resubscribed after the restart').toBeDefined();
      const lost = await lostReports(o);
      const outside = lost.filter(
        (r) => r.at < o.disruptedAt - RESENT_AFTER_RESTART_MS || r.at > resubscribedAt!,
      );
      expect(outside, 'reports lost outside the restart window').toEqual([]);
      console.info(
        `MQ-2 (broker restart): full rate again ${o.fullRateAfterS ?? 'never'} s after the restart; ` +
          `first instance resubscribed ${(resubscribedAt! - o.disruptedAt) / 1000} s after it; ` +
          `${lost.length} reports from ${new Set(lost.map((r) => r.meterNo)).size} meters published ` +
          `before that were dropped by the broker (registers exact; the earliest published ` +
          `${lost.length ? (Math.min(...lost.map((r) => r.at)) - o.disruptedAt) / 1000 : '-'} s after the restart); ` +
          `${handovers(o)} handovers of a live instance's session`,
      );
    }, 120_000);

    it('an instance killed with SIGKILL loses nothing: the survivor takes over its session and carries the full rate', async () => {
      const o = await runScenario('kill an instance');
      await assertNothingLostOrStuck(o);
      // Not one report lost on the way: the dead instance's share was handed over.
      expect(await lostReports(o), 'reports that never arrived').toEqual([]);
      // The handover may still be under way: a death notice that reaches the survivor less than
      // STALE_NOTICE_GRACE_MS after its own connection came up is handed over by the sweep once
      // that grace has passed (session-handover.ts), and then drains for DRAIN_QUIET_MS.
      const handoverLine = () =>
        runLog(o)
          .b.split('\n')
          .find((l) => l.includes(HANDOVER_LINE));
      const present = handoverLine() !== undefined;
      const handover = await waitFor(
        handoverLine,
        'the survivor’s handover log line',
        STALE_NOTICE_GRACE_MS + 3 * DRAIN_QUIET_MS + 10_000,
      );
      const { applied, sessionPresent, time } = JSON.parse(handover) as {
        applied: number;
        sessionPresent: boolean;
        time: number;
      };
      expect(sessionPresent).toBe(true);
      // Printed, not asserted: how fast depends on everything else this machine runs.
      console.info(
        `MQ-2 (kill -9): survivor at full rate ${o.fullRateAfterS ?? 'never'} s after the death; ` +
          `${applied} reports handed over from the dead session, ${(time - o.disruptedAt) / 1000} s after it` +
          (present ? '' : ' (after the checks above)'),
      );
    }, 120_000);
  },
);
