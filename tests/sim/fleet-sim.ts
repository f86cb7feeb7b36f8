/**
 * PAY-8: a seeded fleet simulation. N meters live through simulated hours compressed in time
 * (a step of `stepMinutes` simulated minutes every `stepMs`), each with a load profile drawn from the seed,
 * and publish v2 reports over a real Mosquitto of their own: 5 % dropped, 5 % sent twice, some
 * held back a step or two so they arrive after later ones. Purchases go through the server's real
 * credit path (an operator top-up, requested and approved over HTTP). The broker and the server
 * (a spawned `main.ts`, stopped with SIGTERM or SIGKILL) restart at seeded steps.
 *
 * An independent model, written from docs/design.md §3 and §2 (not from core), keeps for each
 * meter what was actually sent and acknowledged: E = the largest register sent, C = E0 + opening
 * credit + the energy of every acknowledged purchase at the flat 20 KES/kWh, the ledger entries
 * that makes. At the end the database must equal it exactly; any mismatch prints the seed and the
 * command that replays it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { ADMIN, startTestApp, type TestMeterCreds } from '../helpers/app';
import { LeanMqttClient } from '../helpers/lean-mqtt';
import { startOwnMosquitto } from '../helpers/mosquitto';
import { scratchDatabase } from '../helpers/scratch-db';
import { spawnServer, type ServerRun } from '../helpers/spawn-server';

export interface FleetSimOptions {
  seed: number;
  meters: number;
  simulatedHours: number;
  brokerRestarts: number;
  serverRestarts: number;
  /** simulated minutes per step (each meter reports once a step) and the real milliseconds a step takes */
  stepMinutes: number;
  stepMs: number;
  /** purchases per meter over the run, on average */
  purchasesPerMeter: number;
  /** PostgreSQL server to create the scratch database on */
  databaseUrl: string;
  /** how to replay this run, printed with the seed on a mismatch */
  replayCommand: string;
  log?: (line: string) => void;
}

export interface FleetSimResult {
  seed: number;
  meters: number;
  steps: number;
  reportsSent: number;
  reportsDropped: number;
  reportsDuplicated: number;
  reportsReordered: number;
  purchasesAcknowledged: number;
  brokerRestarts: number;
  serverRestarts: { signal: 'SIGTERM' | 'SIGKILL' }[];
  /** each meter whose database state differs from the model, in words; empty when all equal */
  mismatches: string[];
  /** seconds from the last report sent until the database held every meter's register */
  convergedAfterS: number | null;
  wallS: number;
}

export const DROP_RATE = 0.05;
export const DUPLICATE_RATE = 0.05;
/** the share of reports held back one or two steps, so a later one of the same meter overtakes them */
const DELAY_RATE = 0.2;
/** docs/design.md §2: the default tariff is a flat 20 KES per kWh, so 1 KES buys 50 Wh */
const MWH_PER_KES = 1_000_000 / 20;
const PURCHASE_CONCURRENCY = 8;
const REGISTER_CONCURRENCY = 20;
const CONVERGE_TIMEOUT_MS = 120_000;
/** the largest METER_RATED_POWER_DEFAULT_W: 15 minutes' grace at 1 MW is 250 kWh */
const SIM_RATED_POWER_W = 1_000_000;

/** mulberry32: a small seeded PRNG, so a run replays from its seed alone. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface ModelMeter {
  meterNo: string;
  e0Mwh: number;
  openingMwh: number;
  /** the meter's register now (mWh) and the largest one it has sent */
  registerMwh: number;
  maxSentMwh: number;
  seq: number;
  /** load in W by hour of day */
  profileW: number[];
  purchasesKes: number[];
}

interface Outgoing {
  meter: number;
  seq: number;
  registerMwh: number;
  powerW: number;
}

const intIn = (rand: () => number, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

function shuffle<T>(rand: () => number, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

export async function runFleetSim(o: FleetSimOptions): Promise<FleetSimResult> {
  const log = o.log ?? ((l: string) => console.info(l));
  const started = Date.now();
  const rand = seededRandom(o.seed);
  const steps = Math.round((o.simulatedHours * 60) / o.stepMinutes);
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const stateDir = mkdtempSync(join(tmpdir(), 'umeme-pay8-'));
    cleanups.push(async () => rmSync(stateDir, { recursive: true, force: true }));
    // As deploy/mosquitto/mosquitto.conf: a restart keeps sessions and retained messages.
    const broker = await startOwnMosquitto({
      extraConfig: ['persistence true', `persistence_location ${stateDir}/`, 'max_queued_messages 200000'],
    });
    cleanups.push(() => broker.stop());
    const scratch = await scratchDatabase(o.databaseUrl, 'umeme_pay8');
    cleanups.push(() => scratch.drop());
    const db = scratch.pool(2);
    cleanups.push(() => db.end());
    const jwtSecret = randomBytes(32).toString('hex');

    // The fleet: each meter's E0, opening credit and daily load profile from the seed.
    const model: ModelMeter[] = Array.from({ length: o.meters }, () => {
      const baseW = intIn(rand, 80, 500);
      const morningW = intIn(rand, 0, 600);
      const eveningW = intIn(rand, 100, 1200);
      return {
        meterNo: '',
        e0Mwh: intIn(rand, 0, 5000) * 1_000_000,
        openingMwh: intIn(rand, 1, 10) * 1_000_000,
        registerMwh: 0,
        maxSentMwh: 0,
        seq: 0,
        profileW: Array.from(
          { length: 24 },
          (_, h) => baseW + (h >= 6 && h < 9 ? morningW : 0) + (h >= 18 && h < 23 ? eveningW : 0),
        ),
        purchasesKes: [],
      };
    });

    // Registered by an in-process instance that then stops cleanly (it leaves no MQTT session).
    const setup = await startTestApp('pglite', {
      DATABASE_URL: scratch.url,
      MQTT_URL: broker.adminUrl,
      MQTT_DYNSEC: true,
      embeddedBroker: false,
      JWT_SECRET: jwtSecret,
      INSTANCE_ID: 'pay8-setup',
      LOG_LEVEL: 'silent',
    });
    const creds: TestMeterCreds[] = [];
    try {
      for (let i = 0; i < o.meters; i += REGISTER_CONCURRENCY) {
        const batch = model.slice(i, i + REGISTER_CONCURRENCY);
        creds.push(
          ...(await Promise.all(
            batch.map((m) =>
              setup.newMeter({
                openingCreditKwh: m.openingMwh / 1_000_000,
                initialRegisterKwh: m.e0Mwh / 1_000_000,
              }),
            ),
          )),
        );
      }
    } finally {
      await setup.close();
    }
    model.forEach((m, i) => {
      m.meterNo = creds[i]!.meterNo;
      m.registerMwh = m.e0Mwh;
      m.maxSentMwh = m.e0Mwh;
    });
    log(
      `PAY-8 seed ${o.seed}: ${o.meters} meters registered in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );

    const serverEnv = {
      DATABASE_URL: scratch.url,
      MQTT_URL: broker.adminUrl,
      MQTT_DYNSEC: 'true',
      JWT_SECRET: jwtSecret,
      INSTANCE_ID: 'pay8-a',
      DEMO: 'false',
      DEMO_METERS: '0',
      DARAJA_EMULATOR: 'true',
      // Time is compressed (a simulated day in minutes), but the register-jump rule (MQ-13) judges
      // growth against the server's clock: at the default 24 kW, the reports a restart swallows
      // would make the next one look implausible and be held. MQ-13 has tests of its own.
      METER_RATED_POWER_DEFAULT_W: String(SIM_RATED_POWER_W),
    };
    let server: ServerRun = spawnServer(serverEnv);
    /** what every server run logged at warn and above, for a mismatch's diagnosis */
    const serverWarnings: string[] = [];
    const keepWarnings = (run: ServerRun) =>
      serverWarnings.push(
        ...run
          .output()
          .split('\n')
          .filter((l) => /"level":(4|5|6)0/.test(l) || l.includes('"part":"mqtt')),
      );
    let url = await server.ready();
    cleanups.push(() => server.stop());

    const clients: LeanMqttClient[] = [];
    for (const c of creds) {
      clients.push(
        await LeanMqttClient.connect({
          host: '127.0.0.1',
          port: broker.port,
          clientId: c.meterNo,
          username: c.meterNo,
          password: c.secret,
          reconnectMs: 300,
          keepaliveS: 60,
        }),
      );
    }
    cleanups.push(async () => {
      await Promise.all(clients.map((c) => c.end()));
    });

    // --- purchases: requested and approved by an operator, retried until the server answers ---
    let token = '';
    const http = async (method: string, path: string, body: unknown) => {
      for (;;) {
        try {
          if (!token) {
            const l = await fetch(`${url}/auth/login`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(ADMIN),
            });
            if (l.status !== 200) throw new Error(`login ${l.status}`);
            token = ((await l.json()) as { token: string }).token;
          }
          const res = await fetch(url + path, {
            method,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify(body),
          });
          const answer = (await res.json().catch(() => ({}))) as Record<string, unknown>;
          if (res.status === 401) token = '';
          if (res.status === 401 || res.status === 429 || res.status >= 500) throw new Error(`${res.status}`);
          return { status: res.status, body: answer };
        } catch {
          // The server is restarting (or refused for a moment): ask again.
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };
    let purchasesAcknowledged = 0;
    const purchaseQueue: { meter: number; kes: number }[] = [];
    const buy = async (meter: number, kes: number) => {
      const m = model[meter]!;
      const req = await http('POST', '/transactions/topup', {
        meterNo: m.meterNo,
        amount: kes,
        channel: 'agent',
      });
      if (req.status !== 201) throw new Error(`top-up request for ${m.meterNo}: ${JSON.stringify(req)}`);
      const done = await http('PATCH', `/transactions/topup/${String(req.body.id)}/process`, {
        status: 'approved',
      });
      // A 409 "already processed" is an earlier attempt's approval whose answer was lost in a restart.
      if (done.status !== 200 && done.body.error !== 'TOPUP_ALREADY_PROCESSED')
        throw new Error(`approving ${m.meterNo}: ${JSON.stringify(done)}`);
      m.purchasesKes.push(kes);
      purchasesAcknowledged++;
    };
    let buying = true;
    const buyers = Array.from({ length: PURCHASE_CONCURRENCY }, async () => {
      while (buying || purchaseQueue.length) {
        const next = purchaseQueue.shift();
        if (next) await buy(next.meter, next.kes);
        else await new Promise((r) => setTimeout(r, 20));
      }
    });

    // --- disruptions at seeded steps, one at a time ---
    const kinds = shuffle(rand, [
      ...Array<'broker'>(o.brokerRestarts).fill('broker'),
      ...Array<'server'>(o.serverRestarts).fill('server'),
    ]);
    const first = Math.max(1, Math.floor(steps * 0.15));
    const span = Math.max(kinds.length, Math.floor(steps * 0.7));
    const at = new Map<number, 'broker' | 'server'>();
    kinds.forEach((k, i) => at.set(first + Math.floor(((i + rand() * 0.5) * span) / kinds.length), k));
    const serverRestarts: { signal: 'SIGTERM' | 'SIGKILL' }[] = [];
    let brokerRestarts = 0;
    let disruption: Promise<void> = Promise.resolve();
    const disrupt = async (kind: 'broker' | 'server', signal: 'SIGTERM' | 'SIGKILL') => {
      if (kind === 'broker') {
        await broker.restart();
        brokerRestarts++;
        log(`PAY-8: broker restarted`);
      } else {
        if (signal === 'SIGKILL') await server.crash();
        else await server.stop();
        keepWarnings(server);
        server = spawnServer(serverEnv);
        url = await server.ready();
        serverRestarts.push({ signal });
        log(`PAY-8: server restarted after ${signal}`);
      }
    };

    // --- the day(s): consumption, reports with drops, duplicates and reordering ---
    const pending = new Map<number, Outgoing[]>();
    let reportsSent = 0;
    let reportsDropped = 0;
    let reportsDuplicated = 0;
    let reportsReordered = 0;
    const lastSeqArrived = model.map(() => 0);
    let inflight = 0;
    const publish = (r: Outgoing) => {
      const m = model[r.meter]!;
      if (r.seq < lastSeqArrived[r.meter]!) reportsReordered++;
      lastSeqArrived[r.meter] = Math.max(lastSeqArrived[r.meter]!, r.seq);
      m.maxSentMwh = Math.max(m.maxSentMwh, r.registerMwh);
      reportsSent++;
      inflight++;
      clients[r.meter]!.publish(
        `smartmeter/${m.meterNo}/consumption`,
        JSON.stringify({
          v: 2,
          meterNo: m.meterNo,
          seq: r.seq,
          energyTotal: r.registerMwh / 1e6,
          powerW: r.powerW,
          relay: 'on',
          timestamp: Math.floor(Date.now() / 1000),
        }),
        () => inflight--,
      );
    };
    const purchaseChance = o.purchasesPerMeter / steps;
    for (let step = 0; step < steps; step++) {
      const stepStarted = Date.now();
      const hour = Math.floor((step * o.stepMinutes) / 60) % 24;
      model.forEach((m, i) => {
        const powerW = Math.round(m.profileW[hour]! * (0.8 + 0.4 * rand()));
        m.registerMwh += Math.round((powerW * o.stepMinutes * 1000) / 60);
        m.seq++;
        const report = { meter: i, seq: m.seq, registerMwh: m.registerMwh, powerW };
        if (rand() < DROP_RATE) {
          reportsDropped++;
        } else {
          const copies = rand() < DUPLICATE_RATE ? 2 : 1;
          if (copies === 2) reportsDuplicated++;
          for (let c = 0; c < copies; c++) {
            const due = step + (rand() < DELAY_RATE ? intIn(rand, 1, 2) : 0);
            pending.set(due, [...(pending.get(due) ?? []), report]);
          }
        }
        if (rand() < purchaseChance) purchaseQueue.push({ meter: i, kes: intIn(rand, 5, 100) * 10 });
      });
      for (const r of shuffle(rand, pending.get(step) ?? [])) publish(r);
      pending.delete(step);
      const kind = at.get(step);
      if (kind) {
        const signal = rand() < 0.5 ? 'SIGTERM' : 'SIGKILL';
        await disruption;
        disruption = disrupt(kind, signal);
      }
      await new Promise((r) => setTimeout(r, Math.max(0, o.stepMs - (Date.now() - stepStarted))));
    }
    for (const [, rs] of [...pending.entries()].sort(([a], [b]) => a - b)) for (const r of rs) publish(r);
    await disruption;
    buying = false;
    await Promise.all(buyers);
    // Every meter's next regular report carries its total, after the last restart.
    model.forEach((m, i) => {
      m.seq++;
      publish({ meter: i, seq: m.seq, registerMwh: m.registerMwh, powerW: 0 });
    });
    const sentAll = Date.now();
    while (inflight > 0 && Date.now() - sentAll < CONVERGE_TIMEOUT_MS)
      await new Promise((r) => setTimeout(r, 50));

    // --- compare the database with the model ---
    const nos = model.map((m) => m.meterNo);
    let convergedAfterS: number | null = null;
    while (Date.now() - sentAll < CONVERGE_TIMEOUT_MS) {
      const { rows } = await db.query<{ meter_no: string; energy_mwh: string }>(
        'SELECT meter_no, energy_mwh FROM meters WHERE meter_no = ANY($1)',
        [nos],
      );
      const e = new Map(rows.map((r) => [r.meter_no, Number(r.energy_mwh)]));
      if (model.every((m) => e.get(m.meterNo) === m.maxSentMwh)) {
        convergedAfterS = (Date.now() - sentAll) / 1000;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const mismatches = await compareWithModel(db, model);
    const result: FleetSimResult = {
      seed: o.seed,
      meters: o.meters,
      steps,
      reportsSent,
      reportsDropped,
      reportsDuplicated,
      reportsReordered,
      purchasesAcknowledged,
      brokerRestarts,
      serverRestarts,
      mismatches,
      convergedAfterS,
      wallS: (Date.now() - started) / 1000,
    };
    if (mismatches.length) {
      keepWarnings(server);
      log(
        `PAY-8 MISMATCH (seed ${o.seed}): ${mismatches.length} differences, the first:\n  ` +
          mismatches.slice(0, 20).join('\n  ') +
          `\nreplay: ${o.replayCommand}\n--- the servers' warnings and MQTT lines\n` +
          serverWarnings.join('\n').slice(-8000) +
          `\n--- broker log (tail)\n${broker.log().slice(-4000)}`,
      );
    }
    return result;
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  }
}

/** Every meter's E, C, ledger and transactions against the model; each difference in words. */
async function compareWithModel(db: pg.Pool, model: ModelMeter[]): Promise<string[]> {
  const { rows } = await db.query<{
    meter_no: string;
    e0_mwh: string;
    energy_mwh: string;
    credit_limit_mwh: string;
    ledger: string[];
    last_after_mwh: string | null;
    tx_count: string;
    tx_cents: string;
    tx_mwh: string;
    holds: string;
  }>(
    `SELECT m.meter_no, m.e0_mwh, m.energy_mwh, m.credit_limit_mwh,
            ARRAY(SELECT l.kind || ':' || l.energy_mwh FROM ledger_entries l
                   WHERE l.meter_no = m.meter_no ORDER BY l.kind, l.energy_mwh) AS ledger,
            (SELECT l.credit_limit_after_mwh FROM ledger_entries l
              WHERE l.meter_no = m.meter_no ORDER BY l.id DESC LIMIT 1) AS last_after_mwh,
            (SELECT COUNT(*) FROM transactions t WHERE t.meter_no = m.meter_no AND t.status = 'completed') AS tx_count,
            (SELECT COALESCE(SUM(amount_cents), 0) FROM transactions t
              WHERE t.meter_no = m.meter_no AND t.status = 'completed') AS tx_cents,
            (SELECT COALESCE(SUM(energy_mwh), 0) FROM transactions t
              WHERE t.meter_no = m.meter_no AND t.status = 'completed') AS tx_mwh,
            (SELECT COUNT(*) FROM register_holds h WHERE h.meter_no = m.meter_no) AS holds
       FROM meters m WHERE m.meter_no = ANY($1)`,
    [model.map((m) => m.meterNo)],
  );
  const byNo = new Map(rows.map((r) => [r.meter_no, r]));
  const out: string[] = [];
  for (const m of model) {
    const r = byNo.get(m.meterNo);
    if (!r) {
      out.push(`${m.meterNo}: missing from the database`);
      continue;
    }
    const purchasesMwh = m.purchasesKes.map((kes) => kes * MWH_PER_KES);
    const expected = {
      e0: m.e0Mwh,
      E: m.maxSentMwh,
      C: m.e0Mwh + m.openingMwh + purchasesMwh.reduce((a, b) => a + b, 0),
      ledger: [`opening:${m.openingMwh}`, ...purchasesMwh.map((e) => `purchase:${e}`)].sort(),
      // registration writes the opening credit as a transaction of its own (0 cents)
      txCount: 1 + m.purchasesKes.length,
      txCents: m.purchasesKes.reduce((a, b) => a + b * 100, 0),
      holds: 0,
    };
    const ledgerSorted = [...r.ledger].sort();
    const got = {
      e0: Number(r.e0_mwh),
      E: Number(r.energy_mwh),
      C: Number(r.credit_limit_mwh),
      ledger: ledgerSorted,
      txCount: Number(r.tx_count),
      txCents: Number(r.tx_cents),
      holds: Number(r.holds),
    };
    const ledgerSum = r.ledger.reduce((a, x) => a + Number(x.split(':')[1]), 0);
    const diffs: string[] = [];
    for (const k of Object.keys(expected) as (keyof typeof expected)[]) {
      if (JSON.stringify(expected[k]) !== JSON.stringify(got[k]))
        diffs.push(`${k} ${JSON.stringify(got[k])} ≠ model ${JSON.stringify(expected[k])}`);
    }
    if (got.e0 + ledgerSum !== got.C) diffs.push(`E0 + Σ ledger ${got.e0 + ledgerSum} ≠ C ${got.C}`);
    if (Number(r.last_after_mwh) !== expected.C)
      diffs.push(`last ledger entry's C ${r.last_after_mwh} ≠ model ${expected.C}`);
    const creditedMwh = expected.C - expected.e0;
    if (Number(r.tx_mwh) !== creditedMwh)
      diffs.push(`energy of the transactions ${r.tx_mwh} ≠ model ${creditedMwh}`);
    if (got.C - got.E !== expected.C - expected.E)
      diffs.push(`balance ${got.C - got.E} ≠ model ${expected.C - expected.E}`);
    if (diffs.length) out.push(`${m.meterNo}: ${diffs.join('; ')}`);
  }
  return out;
}
