/**
 * Payments benchmark (issue 4): sustained STK success callbacks applied per second, and the
 * time from a callback being sent to the server until the meter's `command/balance` with the
 * new credit limit reaches an MQTT subscriber (p50/p99). Every callback is verified with STK
 * Query against the Daraja emulator first, as in production (DARAJA_VERIFY_WITH_QUERY).
 *
 * The server runs in this process; callbacks are sent and `command/balance` observed from a
 * child process, so the client does not share the server's event loop. `npm run bench` runs it
 * with the server's V8 flags (packages/server/src/node-flags.ts); run alone, pass them to node. Runs on PGlite, and on
 * PostgreSQL when DATABASE_URL is set (with the machine's broker when MQTT_URL is set).
 *
 *   node --max-semi-space-size=32 --import tsx bench/payments.ts [--payments 20000] [--meters 500] [--concurrency 64] [--db pglite|postgres|all]
 *                             [--rate N  phase 2 at N callbacks/s instead of half the measured capacity]
 *                             [--listen meters|one  how command/balance is watched; default one where the broker allows]
 *
 * To look into a tail: BENCH_SHOW_QUERIES=1 (round trips by statement, with their times),
 * BENCH_TIMELINE=file (the steady phase's payments, GC pauses and event-loop stalls, on one clock),
 * BENCH_PROFILE_SENDER=dir (the load generator's CPU profile), BENCH_PROFILE_SERVER=file (the
 * server's CPU profile of the steady phase alone; node --cpu-prof takes the whole run, setup included).
 */
import { successCallbackFor } from './stk-success';
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import type { StkCallbackBody } from '@umeme/daraja';
import { SYSTEM, type Caller } from '../packages/server/src/shared/access';
import { startTestApp } from '../tests/helpers/app';
import { cpuShares } from './cpu';

const { values } = parseArgs({
  options: {
    payments: { type: 'string' },
    meters: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '64' },
    db: { type: 'string', default: 'all' },
    verify: { type: 'string', default: 'true' },
    sender: { type: 'boolean', default: false },
    /** phase 2's steady rate (callbacks/s); by default half of what phase 1 measured */
    rate: { type: 'string' },
    /** embedded (Aedes in the server's process) or external (MQTT_URL, e.g. the machine's Mosquitto) */
    broker: { type: 'string' },
    /**
     * how the load generator watches command/balance: `meters` (each meter's own connection, with
     * its credentials) or `one` (one anonymous subscriber to every meter's topic, where the broker
     * allows it, as the machine's Mosquitto does). Default: `one` where allowed, else `meters`.
     */
    listen: { type: 'string' },
  },
  allowPositionals: true,
});

/** How the load generator watches command/balance (see --listen). */
type Listening = 'meters' | 'one';

function listenMode(value: string | undefined): SenderInput['listen'] {
  if (value === undefined) return 'auto';
  if (value === 'meters' || value === 'one') return value;
  throw new Error(`--listen ${value}: meters or one`);
}

/** Each payment is KES 10, i.e. 0.5 kWh at the default flat 20 KES/kWh. */
const AMOUNT_KES = 10;
const KWH_PER_PAYMENT = 0.5;
const PHONES = 200;

type Item = { meterNo: string; body: StkCallbackBody };

interface SenderInput {
  callbackUrl: string;
  mqttUrl: string;
  /** each meter's MQTT credentials, for listening as the meters themselves (see --listen) */
  meters: { meterNo: string; secret: string }[];
  listen: Listening | 'auto';
  /** phase 1, closed loop: as many callbacks in flight as this, as fast as they are answered */
  concurrency: number;
  throughputItems: Item[];
  /** phase 2, open loop: callbacks sent at a steady rate below capacity, for latency */
  latencyItems: Item[];
  /** share of the measured throughput offered in phase 2 */
  latencyLoad: number;
  /** or this rate, when given (--rate) */
  latencyRatePerS?: number;
}

/** Sent by the child around phase 1, so the parent can measure the server's cost per callback. */
type Mark = { mark: 'start' | 'end' };

/**
 * Round trips to PostgreSQL from this process (the server runs here): counted always, and by
 * statement, with how long each took, only with BENCH_SHOW_QUERIES (keying every statement costs
 * the server's event loop a few per cent).
 */
let roundTripsAll = 0;
const byStatement = Boolean(process.env.BENCH_SHOW_QUERIES);
const roundTrips = new Map<string, number>();
/** How long each took (sent → answered, as the server's event loop saw it), by statement. */
const roundTripMs = new Map<string, number[]>();
// eslint-disable-next-line @typescript-eslint/unbound-method -- re-bound with apply below
const originalQuery = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  roundTripsAll += 1;
  if (!byStatement) return originalQuery.apply(this, args);
  const first = args[0];
  const text = typeof first === 'string' ? first : ((first as { text?: string } | null)?.text ?? '?');
  const key = statementKey(text);
  roundTrips.set(key, (roundTrips.get(key) ?? 0) + 1);
  const started = performance.now();
  const result = originalQuery.apply(this, args);
  // the pool and the services call it promise-style; time those round trips
  if (result instanceof Promise) {
    const took = () => {
      const times = roundTripMs.get(key);
      if (times) times.push(performance.now() - started);
      else roundTripMs.set(key, [performance.now() - started]);
    };
    result.then(took, took);
  }
  return result;
} as typeof pg.Client.prototype.query;

/**
 * Statements PGlite ran in this process: each parameterised query starts with a Parse message
 * ('P'), each simple query with 'Q'. PGlite has no round trips; its cost is its statements.
 */
let pgliteStatements = 0;
// eslint-disable-next-line @typescript-eslint/unbound-method -- re-bound with apply below
const originalExecRaw = PGlite.prototype.execProtocolRawSync;
PGlite.prototype.execProtocolRawSync = function (this: PGlite, message: Uint8Array, ...rest) {
  if (message[0] === 0x50 || message[0] === 0x51) pgliteStatements += 1;
  return originalExecRaw.apply(this, [message, ...rest]);
};

/**
 * A statement's first 70 characters, whitespace folded and string literals blanked (a pipelined
 * transaction writes its values into the text), read only as far as needed: this runs in the
 * server's process, for every query.
 */
function statementKey(text: string): string {
  let key = '';
  let space = false;
  for (let i = 0; i < text.length && key.length < 70; i++) {
    const c = text[i]!;
    if (c === "'") {
      // skip to the closing quote ('' inside a literal is an escaped quote)
      for (i++; i < text.length; i++) {
        if (text[i] === "'") {
          if (text[i + 1] === "'") i++;
          else break;
        }
      }
      if (key.endsWith('E')) key = key.slice(0, -1);
      key += "'…'";
      space = false;
    } else if (c === ' ' || c === '\n' || c === '\t' || c === '\r') {
      space = key.length > 0;
    } else {
      if (space) key += ' ';
      key += c;
      space = false;
    }
  }
  return key;
}

interface PhaseResult {
  sent: number;
  answeredOk: number;
  /** callback sent → its HTTP answer (the server answers once command/balance is published) */
  answerLatencies: number[];
  applied: number;
  elapsedMs: number;
  latencies: number[];
  offeredPerS?: number;
  /** the sender's event-loop delay (a 10 ms timer's lateness plus its 10 ms) */
  senderLoopDelayMsP99?: number;
}

interface SenderResult {
  throughput: PhaseResult;
  latency: PhaseResult;
  listenedAs: Listening;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Matches payments to the `command/balance` that covers them, per meter: the meters start at
 * zero credit and every payment buys KWH_PER_PAYMENT, so a credit limit tells how many of the
 * meter's payments (in the order they were started) it includes.
 */
class PaymentMatcher {
  private readonly startedAt = new Map<string, number[]>();
  private readonly covered = new Map<string, number>();

  started(meterNo: string, at: number): void {
    const times = this.startedAt.get(meterNo);
    if (times) times.push(at);
    else this.startedAt.set(meterNo, [at]);
  }

  /** The latency of each payment this credit limit newly covers. */
  cover(meterNo: string, creditLimitKwh: number, at: number): number[] {
    const times = this.startedAt.get(meterNo);
    if (!times) return [];
    const paid = Math.round(creditLimitKwh / KWH_PER_PAYMENT);
    const out: number[] = [];
    let done = this.covered.get(meterNo) ?? 0;
    for (; done < paid && done < times.length; done++) out.push(at - times[done]!);
    this.covered.set(meterNo, done);
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Child: sends callbacks, watches command/balance

async function runSender(input: SenderInput): Promise<SenderResult> {
  const matcher = new PaymentMatcher();
  let latencies: number[] = [];
  let applied = 0;
  let lastAppliedAt = 0;
  const onMessage = (topic: string, payload: Buffer) => {
    if (payload.length === 0) return;
    const limit = (JSON.parse(payload.toString()) as { creditLimit: number }).creditLimit;
    const now = performance.now();
    const covered = matcher.cover(topic.split('/')[1]!, limit, now);
    if (covered.length === 0) return;
    latencies.push(...covered);
    applied += covered.length;
    lastAppliedAt = now;
  };
  const clients: mqtt.MqttClient[] = [];
  // The listening meters are the measuring instrument: with Nagle on their sockets, the
  // machine's Mosquitto delivered command/balance some 20 ms later (p50 29 → 7 ms at 50/s).
  // The ingest load generator's sockets have TCP_NODELAY too.
  const noDelay = (client: mqtt.MqttClient) =>
    (client.stream as { setNoDelay?: (noDelay: boolean) => void }).setNoDelay?.(true);
  // One subscriber for every meter where the broker lets an anonymous client read them all (the
  // machine's Mosquitto): 500 meters' connections cost the load generator half of its CPU, which
  // it takes from the server under test on this machine; real meters run elsewhere.
  let listenedAs: Listening = 'meters';
  if (input.listen !== 'meters') {
    const one = await mqtt
      .connectAsync(input.mqttUrl, { clean: true, reconnectPeriod: 0, connectTimeout: 5_000 })
      .catch(() => null);
    const granted = one
      ? await one.subscribeAsync('smartmeter/+/command/balance', { qos: 1 }).catch(() => [])
      : [];
    if (one && granted.length === 1 && granted[0]!.qos < 128) {
      noDelay(one);
      one.on('message', onMessage);
      clients.push(one);
      listenedAs = 'one';
    } else {
      await one?.endAsync();
      if (input.listen === 'one')
        throw new Error('--listen one: the broker refused an anonymous wildcard subscription');
    }
  }
  for (let i = 0; listenedAs === 'meters' && i < input.meters.length; i += 50) {
    await Promise.all(
      input.meters.slice(i, i + 50).map(async ({ meterNo, secret }) => {
        const client = await mqtt.connectAsync(input.mqttUrl, {
          clientId: meterNo,
          username: meterNo,
          password: secret,
          clean: true,
          reconnectPeriod: 0,
        });
        client.on('message', onMessage);
        noDelay(client);
        await client.subscribeAsync(`smartmeter/${meterNo}/command/balance`, { qos: 1 });
        clients.push(client);
      }),
    );
  }
  // Let the retained (opening) limits arrive before anything is timed.
  await new Promise((resolve) => setTimeout(resolve, 500));

  let answeredOk = 0;
  let answerLatencies: number[] = [];
  // node:http with kept-alive connections: a fraction of fetch's CPU, which this process shares
  // with the server under test.
  const target = new URL(input.callbackUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: input.concurrency });
  const post = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: `${target.pathname}${target.search}`,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  // Written out before anything is timed: the sender shares the machine with the server.
  const bodies = new Map<Item, string>(
    [...input.throughputItems, ...input.latencyItems].map((item) => [item, JSON.stringify(item.body)]),
  );
  const send = async (item: Item) => {
    matcher.started(item.meterNo, performance.now());
    const sentAt = performance.now();
    if ((await post(bodies.get(item)!)) === 200) answeredOk += 1;
    answerLatencies.push(performance.now() - sentAt);
  };
  const settle = async (expected: number, started: number, extra: Partial<PhaseResult> = {}) => {
    const deadline = performance.now() + 120_000;
    while (applied < expected && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const result: PhaseResult = {
      sent: expected,
      answeredOk,
      answerLatencies: answerLatencies.sort((a, b) => a - b),
      applied,
      elapsedMs: lastAppliedAt - started,
      latencies: latencies.sort((a, b) => a - b),
      ...extra,
    };
    applied = 0;
    answeredOk = 0;
    answerLatencies = [];
    latencies = [];
    return result;
  };

  // Phase 1: throughput.
  process.send!({ mark: 'start' } satisfies Mark);
  let next = 0;
  const items1 = input.throughputItems;
  const started1 = performance.now();
  await Promise.all(
    Array.from({ length: input.concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= items1.length) return;
        await send(items1[i]!);
      }
    }),
  );
  const throughput = await settle(items1.length, started1);
  process.send!({ mark: 'end' } satisfies Mark);

  // Phase 2: latency at a steady rate below capacity.
  const capacityPerS = throughput.applied / (throughput.elapsedMs / 1000);
  const ratePerS = input.latencyRatePerS ?? Math.max(1, Math.floor(capacityPerS * input.latencyLoad));
  const items2 = input.latencyItems;
  // The sender's own event loop: a stall here delays both the sending and the noticing.
  const senderLoop = monitorEventLoopDelay({ resolution: 10 });
  senderLoop.enable();
  const started2 = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < items2.length; i++) {
    const due = started2 + (i * 1000) / ratePerS;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(send(items2[i]!));
  }
  await Promise.all(inFlight);
  const latency = await settle(items2.length, started2, {
    offeredPerS: ratePerS,
    senderLoopDelayMsP99: Math.round(senderLoop.percentile(99) / 1e5) / 10,
  });
  senderLoop.disable();
  agent.destroy();
  await Promise.all(clients.map((c) => c.endAsync()));
  return { throughput, latency, listenedAs };
}

// ---------------------------------------------------------------------------------------------
// Parent: the server, the intents, the report

async function runScenario(db: 'pglite' | 'postgres', payments: number, meters: number) {
  // PostgreSQL runs with the machine's broker when there is one, as in production; PGlite with
  // the embedded one, as `npm start` does.
  const external =
    (values.broker ?? (db === 'postgres' && process.env.MQTT_URL ? 'external' : 'embedded')) === 'external';
  if (external && !process.env.MQTT_URL) throw new Error('MQTT_URL is required for --broker external');
  const t = await startTestApp(db, {
    ...(external ? { MQTT_URL: process.env.MQTT_URL, embeddedBroker: false } : {}),
    LOG_LEVEL: 'warn',
    DARAJA_EMULATOR_DELAY_MS: 0,
    DARAJA_VERIFY_WITH_QUERY: values.verify !== 'false',
    RECONCILE_INTERVAL_S: 3600,
    STK_PUSH_MAX_PER_PHONE: 100_000,
    STK_PUSH_MAX_PER_METER: 100_000,
    // The bench keeps many prompts pending on a few hundred phones that are not the customer's.
    STK_PUSH_MAX_PER_OTHER_PHONE: 100_000,
    STK_PUSH_MAX_PENDING_PER_PHONE: 100_000,
    DB_POOL_SIZE: 20,
    ...(process.env.PAYMENT_SETTLE_SINGLE_MAX
      ? { PAYMENT_SETTLE_SINGLE_MAX: Number(process.env.PAYMENT_SETTLE_SINGLE_MAX) }
      : {}),
    ...(process.env.PAYMENT_SETTLE_CONCURRENCY
      ? { PAYMENT_SETTLE_CONCURRENCY: Number(process.env.PAYMENT_SETTLE_CONCURRENCY) }
      : {}),
  });
  try {
    const emulator = t.app.daraja.emulator!;
    const { user } = await t.app.services.auth.register({
      name: 'Bench Customer',
      email: `bench-${randomBytes(4).toString('hex')}@bench.local`,
      phone: '254700000000',
      password: 'bench-password-1',
    });
    const prefix = `P${randomBytes(2).toString('hex')}`;
    const meterNos: string[] = [];
    const creds: { meterNo: string; secret: string }[] = [];
    for (let i = 0; i < meters; i++) {
      const meterNo = `${prefix}${i}`.slice(0, 12);
      const r = await t.app.services.meters.register(SYSTEM, {
        meterNo,
        userId: user.id,
        openingCreditKwh: 0,
      });
      meterNos.push(meterNo);
      creds.push({ meterNo, secret: r.mqttPassword });
    }
    // Prompts whose callbacks the emulator never sends: the benchmark delivers them itself.
    const phones = Array.from({ length: PHONES }, (_, i) => `07${String(10_000_000 + i).slice(-8)}`);
    for (const phone of phones) emulator.setOutcome(phone, { resultCode: 'never', delayMs: 0 });
    const caller: Caller = { kind: 'user', userId: user.id, role: 'customer' };
    const checkout: { meterNo: string; checkoutRequestId: string; phone: string }[] = [];
    let next = 0;
    const prepStarted = Date.now();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (;;) {
          const i = next++;
          if (i >= payments) return;
          const meterNo = meterNos[i % meters]!;
          const phone = phones[i % PHONES]!;
          const answer = await t.app.services.payments.service.requestStkPush(caller, {
            phoneNumber: phone,
            amount: AMOUNT_KES,
            meterNo,
          });
          const body = answer.body as { checkoutRequestId: string | null };
          if (answer.statusCode !== 202 || body.checkoutRequestId === null) throw new Error('push failed');
          checkout.push({ meterNo, checkoutRequestId: body.checkoutRequestId, phone });
        }
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const items = checkout.map(({ meterNo, checkoutRequestId }) => {
      const body = successCallbackFor(emulator.transactions.get(checkoutRequestId)!, AMOUNT_KES);
      return { meterNo, body };
    });
    console.log(
      `  ${db}: ${payments} intents on ${meters} meters prepared in ${Date.now() - prepStarted} ms`,
    );

    const input: SenderInput = {
      callbackUrl: t.app.services.payments.urls().stkCallback,
      mqttUrl: t.mqttUrl,
      meters: creds,
      listen: listenMode(values.listen),
      concurrency: Number(values.concurrency),
      throughputItems: items.slice(0, Math.floor(items.length * 0.6)),
      latencyItems: items.slice(Math.floor(items.length * 0.6)),
      latencyLoad: 0.5,
      ...(values.rate === undefined ? {} : { latencyRatePerS: Number(values.rate) }),
    };
    // The issue's own measure, on the server: callback received (handed to the payments service,
    // after HTTP parsing and validation) → command/balance published (written to the broker's
    // connection; the broker's PUBACK is not waited for: Mosquitto's Nagle holds PUBACKs back),
    // matched per meter the way the listening meters match theirs.
    const meterOfCheckout = new Map(checkout.map((c) => [c.checkoutRequestId, c.meterNo]));
    const received = new PaymentMatcher();
    let serverLatencies: number[] = [];
    const service = t.app.services.payments.service;
    const receive = service.receiveStkCallback.bind(service);
    service.receiveStkCallback = (rawBody, cb, remoteAddress) => {
      const meterNo = meterOfCheckout.get(cb.CheckoutRequestID);
      if (meterNo !== undefined) received.started(meterNo, performance.now());
      stageStart.set(cb.CheckoutRequestID, performance.now());
      return receive(rawBody, cb, remoteAddress);
    };
    // Where the time goes on the server, per callback: stored (persist), STK Query answered
    // (verify), settled (the transaction committed), each from the one before.
    const stageStart = new Map<string, number>();
    const stages: Record<'persist' | 'verify' | 'settle', number[]> = { persist: [], verify: [], settle: [] };
    const timeStage =
      <A extends unknown[], R>(
        name: keyof typeof stages,
        fn: (...args: A) => Promise<R>,
        keyOf: (...args: A) => string,
      ) =>
      async (...args: A): Promise<R> => {
        const r = await fn(...args);
        const key = keyOf(...args);
        const at = performance.now();
        const from = stageStart.get(key);
        if (from !== undefined) stages[name].push(at - from);
        // the last stage forgets its callback: a map that only grew would add to every
        // scavenge of the server it shares a process with
        if (name === 'settle') stageStart.delete(key);
        else stageStart.set(key, at);
        return r;
      };
    // The stages live in their own objects (payments.service.ts puts them together).
    const stageObjects = service as unknown as {
      receipt: { persistStkCallback: (input: { checkoutRequestId: string }) => Promise<unknown> };
      settlement: {
        deps: { verifier: { verify: (checkoutRequestId: string) => Promise<unknown> } };
        settleInBatch: (item: { cb: { CheckoutRequestID: string } }) => Promise<unknown>;
      };
    };
    const { receipt: receiptStage, settlement: settleStage } = stageObjects;
    const verifier = settleStage.deps.verifier;
    receiptStage.persistStkCallback = timeStage(
      'persist',
      receiptStage.persistStkCallback.bind(receiptStage),
      (input) => input.checkoutRequestId,
    );
    verifier.verify = timeStage('verify', verifier.verify.bind(verifier), (id) => id);
    settleStage.settleInBatch = timeStage(
      'settle',
      settleStage.settleInBatch.bind(settleStage),
      (item) => item.cb.CheckoutRequestID,
    );
    // BENCH_TIMELINE=file: the steady phase's payments (received at, ms to published) and GC
    // pauses (start, ms, kind), on the server's clock, to find what a tail coincides with.
    const timeline = process.env.BENCH_TIMELINE
      ? {
          payments: [] as [number, number][],
          gc: [] as [number, number, number][],
          lag: [] as [number, number][],
        }
      : null;
    const mqttClient = t.app.mqtt;
    const publish = mqttClient.publish.bind(mqttClient);
    mqttClient.publish = (topic, payload, retain) => {
      const [, meterNo, , kind] = topic.split('/');
      if (kind === 'balance' && payload.length > 0 && meterNo !== undefined) {
        const limit = (JSON.parse(payload) as { creditLimit: number }).creditLimit;
        const at = performance.now();
        const covered = received.cover(meterNo, limit, at);
        serverLatencies.push(...covered);
        if (timeline) for (const ms of covered) timeline.payments.push([at - ms, ms]);
      }
      return publish(topic, payload, retain);
    };
    let serverLatenciesPhase1: number[] = [];
    // BENCH_PROFILE_SENDER=dir: the sender's CPU profile, written there when it exits
    const profileDir = process.env.BENCH_PROFILE_SENDER;
    const child = fork(import.meta.filename, ['--sender'], {
      execArgv: ['--import', 'tsx', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
    });
    const childExited = new Promise((resolve) => child.once('exit', resolve));
    let cpuAtStart = process.cpuUsage();
    let tripsAtStart = new Map<string, number>();
    let allTripsAtStart = 0;
    let allTripsDuring = 0;
    let statementsAtStart = 0;
    let statementsDuring = 0;
    let cpuMs = 0;
    let cpuDuringThroughput: (() => Record<string, number>) | null = null;
    let cpuPercentOfCore: Record<string, number> = {};
    let tripsDuring = new Map<string, number>();
    // The server's event loop during phase 2: a stall there shows in every in-flight callback.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    // ... and its garbage collector's pauses there (each stops the event loop).
    const gcPausesMs: number[] = [];
    /** mark-compact pauses (the old generation's), apart from the young generation's scavenges */
    const majorGcPausesMs: number[] = [];
    const gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = (entry as { detail?: { kind?: number } | null }).detail?.kind ?? 0;
        gcPausesMs.push(entry.duration);
        if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorGcPausesMs.push(entry.duration);
        timeline?.gc.push([entry.startTime, entry.duration, kind]);
      }
    });
    let lagTimer: NodeJS.Timeout | null = null;
    // BENCH_PROFILE_SERVER=file: the server's CPU profile of the steady phase alone
    const profiler = process.env.BENCH_PROFILE_SERVER ? new Session() : null;
    profiler?.connect();
    const result = await new Promise<SenderResult>((resolve, reject) => {
      child.on('message', (m) => {
        const mark = (m as Partial<Mark>).mark;
        if (mark === 'start') {
          cpuAtStart = process.cpuUsage();
          serverLatencies = [];
          cpuDuringThroughput = cpuShares({ server: process.pid, sender: child.pid });
          tripsAtStart = new Map(roundTrips);
          allTripsAtStart = roundTripsAll;
          statementsAtStart = pgliteStatements;
        } else if (mark === 'end') {
          const cpu = process.cpuUsage(cpuAtStart);
          cpuMs = (cpu.user + cpu.system) / 1000;
          cpuPercentOfCore = cpuDuringThroughput?.() ?? {};
          statementsDuring = pgliteStatements - statementsAtStart;
          allTripsDuring = roundTripsAll - allTripsAtStart;
          tripsDuring = new Map(
            [...roundTrips]
              .map(([k, n]) => [k, n - (tripsAtStart.get(k) ?? 0)] as const)
              .filter(([, n]) => n > 0),
          );
          loopDelay.enable();
          if (profiler) void profiler.post('Profiler.enable').then(() => profiler.post('Profiler.start'));
          gcObserver.observe({ entryTypes: ['gc'] });
          serverLatenciesPhase1 = serverLatencies;
          serverLatencies = [];
          for (const list of Object.values(stages)) list.length = 0;
          if (timeline) {
            timeline.payments.length = 0;
            let last = performance.now();
            lagTimer = setInterval(() => {
              const now = performance.now();
              if (now - last > 15) timeline.lag.push([last, now - last]);
              last = now;
            }, 5);
          }
        } else {
          loopDelay.disable();
          gcObserver.disconnect();
          if (lagTimer) clearInterval(lagTimer);
          if (timeline) writeFileSync(process.env.BENCH_TIMELINE!, JSON.stringify(timeline));
          if (!profiler) return resolve(m as SenderResult);
          void profiler.post('Profiler.stop').then(({ profile }) => {
            writeFileSync(process.env.BENCH_PROFILE_SERVER!, JSON.stringify(profile));
            profiler.disconnect();
            resolve(m as SenderResult);
          }, reject);
        }
      });
      child.once('exit', (code) => (code ? reject(new Error(`sender exited ${code}`)) : undefined));
      child.send(input);
    });
    if (profileDir) await childExited;
    else child.kill();

    const { rows } = await t.app.services.db.query<{ intents: number; credits: number }>(
      `SELECT (SELECT count(*)::int FROM payment_intents WHERE status = 'succeeded') AS intents,
              (SELECT count(*)::int FROM transactions WHERE source = 'mpesa_stk') AS credits`,
    );
    const summary = (r: PhaseResult) => ({
      callbacks: r.sent,
      answered200: r.answeredOk,
      answerMsP50: Math.round(percentile(r.answerLatencies, 50) * 10) / 10,
      answerMsP99: Math.round(percentile(r.answerLatencies, 99) * 10) / 10,
      applied: r.applied,
      appliedPerS: Math.round(r.applied / (r.elapsedMs / 1000)),
      latencyMsP50: Math.round(percentile(r.latencies, 50) * 10) / 10,
      latencyMsP99: Math.round(percentile(r.latencies, 99) * 10) / 10,
      latencyMsMax: Math.round((r.latencies.at(-1) ?? NaN) * 10) / 10,
      ...(r.offeredPerS === undefined ? {} : { offeredPerS: r.offeredPerS }),
      ...(r.senderLoopDelayMsP99 === undefined ? {} : { senderLoopDelayMsP99: r.senderLoopDelayMsP99 }),
    });
    /** received → published, on the server (see above); the other latencies are sender → meter */
    const serverSummary = (latencies: number[]) => {
      const sorted = [...latencies].sort((a, b) => a - b);
      return {
        receivedToPublishedMsP50: Math.round(percentile(sorted, 50) * 10) / 10,
        receivedToPublishedMsP99: Math.round(percentile(sorted, 99) * 10) / 10,
      };
    };
    const report = {
      label: `payments ${db} + ${external ? 'external broker' : 'embedded broker'}`,
      payments,
      meters,
      verifiedWithStkQuery: values.verify !== 'false',
      listenedAs: result.listenedAs,
      saturated: {
        concurrency: input.concurrency,
        ...summary(result.throughput),
        ...serverSummary(serverLatenciesPhase1),
      },
      steady: {
        ...summary(result.latency),
        ...serverSummary(serverLatencies),
        eventLoopDelayMsP99: Math.round(loopDelay.percentile(99) / 1e5) / 10,
        eventLoopDelayMsMax: Math.round(loopDelay.max / 1e5) / 10,
        gcPauses: gcPausesMs.length,
        gcPauseMsP99:
          Math.round(
            percentile(
              gcPausesMs.sort((a, b) => a - b),
              99,
            ) * 10,
          ) / 10,
        gcPauseMsMax: Math.round((gcPausesMs.at(-1) ?? NaN) * 10) / 10,
        majorGcPausesMs: majorGcPausesMs.map((ms) => Math.round(ms * 10) / 10),
        heapUsedMb: Math.round(process.memoryUsage().heapUsed / 1048576),
        // p50/p99 of each stage on the server (batched settles only for 'settle')
        stagesMs: Object.fromEntries(
          Object.entries(stages).map(([name, list]) => {
            const sorted = [...list].sort((a, b) => a - b);
            const r = (p: number) => Math.round(percentile(sorted, p) * 10) / 10;
            return [name, { p50: r(50), p99: r(99), n: list.length }];
          }),
        ),
      },
      creditedOnce: rows[0]!.intents === payments && rows[0]!.credits === payments,
      // Phase 1 only; CPU of the server process (server, emulator, embedded broker if used), not of the database.
      serverCpuMsPerCallback: Math.round((cpuMs / input.throughputItems.length) * 100) / 100,
      // Phase 1, % of one core per process (the machine has two).
      cpuPercentOfCore,
      ...(db === 'pglite'
        ? { statementsPerCallback: Math.round((statementsDuring / input.throughputItems.length) * 100) / 100 }
        : {}),
      ...(db === 'postgres'
        ? {
            roundTripsPerCallback: Math.round((allTripsDuring / input.throughputItems.length) * 10) / 10,
          }
        : {}),
    };
    if (db === 'postgres' && process.env.BENCH_SHOW_QUERIES) {
      for (const [k, n] of [...tripsDuring].sort((a, b) => b[1] - a[1])) {
        const ms = (roundTripMs.get(k) ?? []).slice(-2000).sort((a, b) => a - b);
        console.log(
          `  ${(n / input.throughputItems.length).toFixed(2)}/callback  p50 ${percentile(ms, 50).toFixed(2)} ms  p99 ${percentile(ms, 99).toFixed(2)} ms  ${k}`,
        );
      }
    }
    return report;
  } finally {
    await t.close();
  }
}

async function main(): Promise<void> {
  const dbs: ('pglite' | 'postgres')[] =
    values.db === 'pglite'
      ? ['pglite']
      : values.db === 'postgres'
        ? ['postgres']
        : process.env.DATABASE_URL
          ? ['pglite', 'postgres']
          : ['pglite'];
  const results = [];
  for (const db of dbs) {
    const payments = Number(values.payments ?? (db === 'postgres' ? 20_000 : 5_000));
    const r = await runScenario(db, payments, Number(values.meters));
    console.log(JSON.stringify(r, null, 2));
    results.push(r);
  }
  if (!process.env.DATABASE_URL) console.log('  PostgreSQL: skipped (DATABASE_URL not set)');
  console.log(`RESULT ${JSON.stringify(results.length === 1 ? results[0] : results)}`);
}

if (values.sender) {
  process.once('message', (input) => {
    runSender(input as SenderInput).then(
      (r) => process.send!(r, () => process.exit(0)),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
