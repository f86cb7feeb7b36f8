/**
 * SMS outbox benchmark (issue 18): 10,000 meters cross low balance at once. Measures messages
 * per second handed to the Africa's Talking emulator (queued by the customer notices, claimed
 * with SKIP LOCKED, sent, delivery reports stored), and whether that burst slows payments: the
 * latency of credits applied through the one crediting path at a steady concurrency, alone and
 * during the burst.
 *
 *   npx tsx bench/sms.ts [--meters 10000] [--credits 1000] [--db pglite|postgres]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { AlertChanged } from '../packages/server/src/shared/events';
import { SYSTEM } from '../packages/server/src/shared/access';
import { startTestApp, type TestApp } from '../tests/helpers/app';

const { values } = parseArgs({
  options: {
    meters: { type: 'string', default: '10000' },
    credits: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '16' },
    db: { type: 'string', default: process.env.DATABASE_URL ? 'postgres' : 'pglite' },
  },
});
const METERS = Number(values.meters);
const CREDITS = Number(values.credits);
const CONCURRENCY = Number(values.concurrency);
const db = values.db === 'postgres' ? 'postgres' : 'pglite';

const pct = (sorted: number[], p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const round = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;

/** Customers with a phone and a meter each, at 2.5 kWh (just above the 2 kWh line), in bulk. */
async function seedFleet(t: TestApp, n: number, prefix: string): Promise<string[]> {
  const q = t.app.services.db;
  await q.query(
    `INSERT INTO users (email, name, phone, password_hash, role)
     SELECT $1 || g || '@bench.local', 'Bench ' || g, '2547' || lpad((10000000 + g)::text, 8, '0'), 'x', 'customer'
       FROM generate_series(1, $2::int) g`,
    [prefix, n],
  );
  await q.query(
    `INSERT INTO meters (meter_no, user_id, e0_mwh, credit_limit_mwh, energy_mwh, relay, status)
     SELECT $1 || g, u.id, 0, 2500000, 0, 'on', 'online'
       FROM generate_series(1, $2::int) g JOIN users u ON u.email = $1 || g || '@bench.local'`,
    [prefix, n],
  );
  // C = E0 + Σ ledger: the opening credit is a ledger entry like any other.
  await q.query(
    `INSERT INTO ledger_entries (meter_no, kind, energy_mwh, credit_limit_after_mwh, memo)
     SELECT $1 || g, 'opening', 2500000, 2500000, 'bench opening credit' FROM generate_series(1, $2::int) g`,
    [prefix, n],
  );
  return Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
}

/** Credits at a steady concurrency; each one's latency in ms. */
async function credits(t: TestApp, meterNos: string[], count: number): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const started = performance.now();
      await t.app.services.credit.credit(SYSTEM, {
        meterNo: meterNos[i % meterNos.length]!,
        amountCents: 1000,
        source: 'simulate',
        type: 'simulate',
        externalRef: `bench-${randomBytes(6).toString('hex')}`,
      });
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return latencies.sort((a, b) => a - b);
}

async function outboxCount(t: TestApp, statuses: string[]): Promise<number> {
  const { rows } = await t.app.services.db.query<{ n: string }>(
    `SELECT count(*)::bigint AS n FROM sms_outbox WHERE status = ANY($1::text[])`,
    [statuses],
  );
  return Number(rows[0]!.n);
}

async function main(): Promise<void> {
  // Unpaced (SMS_SEND_MAX_PER_S): this measures the outbox's own rate, not a gateway contract's.
  const t = await startTestApp(db, {
    SMS_QUIET_HOURS: null,
    SMS_SEND_INTERVAL_MS: 200,
    SMS_SEND_MAX_PER_S: 10_000,
  });
  try {
    const prefix = `SB${randomBytes(2).toString('hex')}`;
    const fleet = await seedFleet(t, METERS, prefix);
    const payers = await seedFleet(t, 50, `${prefix}P`);
    const emulator = t.app.services.sms.gateway()?.emulator;
    if (!emulator) throw new Error('the bench needs the built-in emulator');

    const alone = await credits(t, payers, CREDITS);

    // 10,000 meters cross low balance at once: their alerts open in one statement and the events
    // go out as the alert service publishes them after its commit.
    await t.app.services.db.query(
      `INSERT INTO alerts (meter_no, kind, severity, message)
       SELECT meter_no, 'low_balance', 'warning', 'Low balance.' FROM meters WHERE meter_no = ANY($1::text[])`,
      [fleet],
    );
    const before = emulator.messages.length;
    const startedAt = performance.now();
    const at = Date.now();
    for (const meterNo of fleet) {
      const change: AlertChanged = {
        meterNo,
        userId: null,
        kind: 'low_balance',
        severity: 'warning',
        message: 'Low balance.',
        open: true,
        at,
      };
      t.app.bus.emit('alert_changed', change);
    }
    const during = await credits(t, payers, CREDITS);
    const creditsDoneMs = performance.now() - startedAt;
    await t.app.services.notices.idle();
    const queuedMs = performance.now() - startedAt;
    const queued = await outboxCount(t, ['queued', 'sending', 'sent', 'delivered', 'failed', 'unknown']);
    const deadline = Date.now() + 5 * 60_000;
    while (emulator.messages.length - before < METERS && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const sentMs = performance.now() - startedAt;
    const sent = emulator.messages.length - before;
    // Delivery reports come back from the emulator to our callback.
    while ((await outboxCount(t, ['delivered'])) < sent && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const reportedMs = performance.now() - startedAt;
    const delivered = await outboxCount(t, ['delivered']);

    const result = {
      db,
      meters: METERS,
      queued,
      sent,
      delivered,
      queuedInS: round(queuedMs / 1000, 2),
      sentInS: round(sentMs / 1000, 2),
      sentPerS: round(sent / (sentMs / 1000)),
      deliveryReportsInS: round(reportedMs / 1000, 2),
      credits: CREDITS,
      creditMsAlone: { p50: round(pct(alone, 50), 2), p99: round(pct(alone, 99), 2) },
      creditMsDuringBurst: { p50: round(pct(during, 50), 2), p99: round(pct(during, 99), 2) },
      creditsDuringBurstDoneInS: round(creditsDoneMs / 1000, 2),
      p50Ratio: round(pct(during, 50) / Math.max(0.001, pct(alone, 50)), 2),
    };
    console.log(
      `${sent} of ${METERS} low-balance SMS handed to the emulator in ${result.sentInS} s ` +
        `(${result.sentPerS}/s; all queued in ${result.queuedInS} s, ${delivered} delivery reports stored ` +
        `by ${result.deliveryReportsInS} s). Credits p50/p99 alone ${result.creditMsAlone.p50}/` +
        `${result.creditMsAlone.p99} ms, during the burst ${result.creditMsDuringBurst.p50}/` +
        `${result.creditMsDuringBurst.p99} ms`,
    );
    console.log(`RESULT ${JSON.stringify(result)}`);
  } finally {
    await t.close();
  }
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
