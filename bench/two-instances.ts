/**
 * Issue 16: what two instances carry together on this machine. Two server processes share one
 * PostgreSQL database (a scratch one), one Mosquitto of their own and one Daraja emulator (in this
 * process). Ingest: the load generator's meters report at a steady rate, and the reports stored
 * per second are counted in the database, so the figure is the sum of both instances. Payments:
 * STK success callbacks (each verified with STK Query, as in production) are sent alternately to
 * both instances, as many in flight as `--concurrency`; callbacks answered per second, and credits
 * committed per second, summed. The time from an instance's death to full-rate ingest on the
 * survivor is bench/failover.ts.
 *
 *   npx tsx bench/two-instances.ts [--meters 200] [--rate 2000] [--seconds 10] [--payments 2000] [--concurrency 64]
 */
import { successCallbackFor } from './stk-success';
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDarajaEmulator, type StkCallbackBody } from '@umeme/daraja';
import { testConfig } from '../packages/server/src/config';
import { SYSTEM, type Caller } from '../packages/server/src/shared/access';
import { startTestApp, waitFor } from '../tests/helpers/app';
import { writeGeneratorInput } from '../tests/helpers/generator-input';
import { startOwnMosquitto } from '../tests/helpers/mosquitto';
import { scratchDatabase } from '../tests/helpers/scratch-db';
import { spawnServer, stopAllServers } from '../tests/helpers/spawn-server';

const { values } = parseArgs({
  options: {
    meters: { type: 'string', default: '200' },
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '10' },
    payments: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '64' },
    /** callbacks to how many of the two instances (1: a comparison with one instance taking them all) */
    'callback-instances': { type: 'string', default: '2' },
  },
});
const METERS = Number(values.meters);
const RATE_PER_S = Number(values.rate);
const SECONDS = Number(values.seconds);
const PAYMENTS = Number(values.payments);
const CONCURRENCY = Number(values.concurrency);
const CALLBACK_INSTANCES = values['callback-instances'] === '1' ? 1 : 2;
const AMOUNT_KES = 10;
const PHONES = 200;
/** the payments phase sends no new callback after this long (the bench stays bounded on a busy machine) */
const PAYMENTS_MAX_MS = 20_000;

async function main(): Promise<void> {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('DATABASE_URL is required');
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const broker = await startOwnMosquitto({ extraConfig: ['max_queued_messages 20000'] });
    cleanups.push(() => broker.stop());
    const scratch = await scratchDatabase(base, 'umeme_bench2');
    cleanups.push(() => scratch.drop());
    const pool = scratch.pool(2);
    cleanups.push(() => pool.end());
    const defaults = testConfig();
    const credentials = {
      consumerKey: `key${randomBytes(4).toString('hex')}`,
      consumerSecret: randomBytes(16).toString('base64url'),
    };
    // Prompts whose callbacks the emulator never sends: the benchmark delivers them itself.
    const emulator = createDarajaEmulator({
      ...credentials,
      shortCode: defaults.DARAJA_SHORTCODE,
      passkey: defaults.DARAJA_PASSKEY,
      defaultOutcome: { resultCode: 'never', delayMs: 0 },
    });
    const darajaUrl = await emulator.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => emulator.close());
    const shared = {
      DATABASE_URL: scratch.url,
      MQTT_URL: broker.adminUrl,
      MQTT_DYNSEC: 'true',
      JWT_SECRET: randomBytes(32).toString('hex'),
      DARAJA_BASE_URL: darajaUrl,
      DARAJA_CONSUMER_KEY: credentials.consumerKey,
      DARAJA_CONSUMER_SECRET: credentials.consumerSecret,
      DARAJA_SHORTCODE: defaults.DARAJA_SHORTCODE,
      DARAJA_PASSKEY: defaults.DARAJA_PASSKEY,
      DARAJA_MAX_REQUESTS_PER_S: '10000',
      STK_PUSH_MAX_PER_PHONE: '100000',
      STK_PUSH_MAX_PER_METER: '100000',
      STK_PUSH_MAX_PER_OTHER_PHONE: '100000',
      STK_PUSH_MAX_PENDING_PER_PHONE: '100000',
      RECONCILE_INTERVAL_S: '3600',
      DB_POOL_SIZE: '10',
    };

    // Meters, their customer and the prompts are made by a third instance that then stops.
    const setupStarted = Date.now();
    const setup = await startTestApp('pglite', {
      ...shared,
      MQTT_DYNSEC: true,
      embeddedBroker: false,
      DARAJA_MAX_REQUESTS_PER_S: 10_000,
      STK_PUSH_MAX_PER_PHONE: 100_000,
      STK_PUSH_MAX_PER_METER: 100_000,
      STK_PUSH_MAX_PER_OTHER_PHONE: 100_000,
      STK_PUSH_MAX_PENDING_PER_PHONE: 100_000,
      RECONCILE_INTERVAL_S: 3600,
      DB_POOL_SIZE: 10,
      INSTANCE_ID: 'bench2-setup',
      LOG_LEVEL: 'warn',
    });
    const meters: { meterNo: string; secret: string }[] = [];
    const checkout: { checkoutRequestId: string }[] = [];
    try {
      const { user } = await setup.app.services.auth.register({
        name: 'Bench Customer',
        email: `bench-${randomBytes(4).toString('hex')}@bench.local`,
        phone: '254700000000',
        password: 'bench-password-1',
      });
      const prefix = `T${randomBytes(2).toString('hex')}`;
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = next++; i < METERS; i = next++) {
            const meterNo = `${prefix}${i}`.slice(0, 12);
            const r = await setup.app.services.meters.register(SYSTEM, {
              meterNo,
              userId: user.id,
              openingCreditKwh: 1000,
            });
            meters.push({ meterNo, secret: r.mqttPassword });
          }
        }),
      );
      const caller: Caller = { kind: 'user', userId: user.id, role: 'customer' };
      next = 0;
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          for (let i = next++; i < PAYMENTS; i = next++) {
            const answer = await setup.app.services.payments.service.requestStkPush(caller, {
              phoneNumber: `07${String(10_000_000 + (i % PHONES)).slice(-8)}`,
              amount: AMOUNT_KES,
              meterNo: meters[i % meters.length]!.meterNo,
            });
            const body = answer.body as { checkoutRequestId: string | null };
            if (answer.statusCode !== 202 || body.checkoutRequestId === null) throw new Error('push failed');
            checkout.push({ checkoutRequestId: body.checkoutRequestId });
          }
        }),
      );
    } finally {
      await setup.close();
    }
    console.log(`  ${METERS} meters and ${PAYMENTS} prompts prepared in ${Date.now() - setupStarted} ms`);

    const env = (id: string) => ({ ...shared, INSTANCE_ID: id, DEMO: 'false', DEMO_METERS: '0' });
    const a = spawnServer(env('bench2-a'));
    const b = spawnServer(env('bench2-b'));
    cleanups.push(stopAllServers);
    const urls = await Promise.all([a.ready(), b.ready()]);

    // Ingest: the stored reports counted over the generator's full-rate window.
    const stored = async () =>
      Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM readings')).rows[0]!.n);
    const window: { from?: [number, number]; to?: [number, number] } = {};
    const generator = fork(
      join(import.meta.dirname, '../tests/helpers/load-generator.ts'),
      [
        writeGeneratorInput({
          url: broker.url,
          creds: meters,
          ratePerS: RATE_PER_S,
          seconds: SECONDS,
          inflightPerMeter: 50,
          connectConcurrency: 20,
          rampS: 2,
        }),
      ],
      { execArgv: ['--import', 'tsx'] },
    );
    const sent = await new Promise<number>((resolve, reject) => {
      generator.on('message', (m: { type: string; sent?: number }) => {
        if (m.type === 'full_rate') void stored().then((n) => (window.from = [Date.now(), n]));
        else if (m.type === 'done') {
          void stored().then((n) => {
            window.to = [Date.now(), n];
            resolve(m.sent ?? 0);
          });
        }
      });
      generator.on('exit', (code) => code && reject(new Error(`generator exited ${code}`)));
    });
    const [fromAt, fromN] = window.from!;
    const [toAt, toN] = window.to!;
    const ingestAppliedPerS = Math.round(((toN - fromN) * 1000) / (toAt - fromAt));
    await waitFor(async () => (await stored()) >= sent, 'every report stored', 30_000).catch(() => {});
    const storedAll = await stored();

    // Payments: callbacks alternately to each instance, CONCURRENCY in flight.
    const bodyOf = (checkoutRequestId: string): StkCallbackBody =>
      successCallbackFor(emulator.transactions.get(checkoutRequestId)!, AMOUNT_KES);
    const token = emulatorCallbackToken(
      emulator.transactions.get(checkout[0]!.checkoutRequestId)!.callbackUrl,
    );
    let answered = 0;
    let refused = 0;
    let k = 0;
    const payStarted = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = k++; i < checkout.length && Date.now() - payStarted < PAYMENTS_MAX_MS; i = k++) {
          const res = await fetch(`${urls[i % CALLBACK_INSTANCES]!}/daraja/callback/${token}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(bodyOf(checkout[i]!.checkoutRequestId)),
          });
          await res.arrayBuffer();
          if (res.status === 200) answered += 1;
          else refused += 1;
        }
      }),
    );
    const answeredMs = Date.now() - payStarted;
    const credited = async () =>
      (
        await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM payment_intents WHERE status = 'succeeded'`,
        )
      ).rows[0]!.n;
    await waitFor(async () => (await credited()) >= answered, 'every payment credited', 30_000).catch(
      () => {},
    );
    const creditedMs = Date.now() - payStarted;
    const creditedAll = await credited();

    // What the instances warned about during the run (a slow figure often has its reason here).
    for (const [name, run] of [['a', a] as const, ['b', b] as const]) {
      const warnings = run
        .output()
        .split('\n')
        .filter((l) => /"level":(4|5|6)0/.test(l))
        .map((l) => (JSON.parse(l) as { msg?: string }).msg ?? '');
      const counts = new Map<string, number>();
      for (const w of warnings) counts.set(w, (counts.get(w) ?? 0) + 1);
      for (const [msg, n] of counts) console.log(`  instance ${name} warned ${n}×: ${msg}`);
    }
    const result = {
      instances: 2,
      meters: METERS,
      ingestOfferedPerS: RATE_PER_S,
      ingestAppliedPerS,
      reportsSent: sent,
      reportsStored: storedAll,
      payments: checkout.length,
      callbacksSent: answered + refused,
      callbacksAnsweredPerS: Math.round((answered * 1000) / answeredMs),
      paymentsCreditedPerS: Math.round((creditedAll * 1000) / creditedMs),
      callbacksRefused: refused,
      paymentsCredited: creditedAll,
      concurrency: CONCURRENCY,
      callbackInstances: CALLBACK_INSTANCES,
      daraja: { ...emulator.calls },
    };
    console.log(
      `  two instances: ingest ${ingestAppliedPerS} reports/s stored at ${RATE_PER_S}/s offered ` +
        `(${storedAll}/${sent} stored); payments ${result.callbacksAnsweredPerS} callbacks/s answered, ` +
        `${result.paymentsCreditedPerS}/s credited (${creditedAll}/${checkout.length})`,
    );
    console.log(`RESULT ${JSON.stringify(result)}`);
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  }
}

/** The secret path segment of our callback URL, as the instances gave it to Daraja. */
function emulatorCallbackToken(callbackUrl: string): string {
  return new URL(callbackUrl).pathname.split('/').pop()!;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
