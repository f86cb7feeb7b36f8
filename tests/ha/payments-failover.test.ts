// Protects PAY-12 (issue 16, payments under failure): 200 STK callbacks over two instances, one killed with SIGKILL midway; M-Pesa's retries and the survivor's STK Query both arrive, and every payment is credited exactly once.
import { randomBytes } from 'node:crypto';
import { createDarajaEmulator, type DarajaEmulator } from '@umeme/daraja';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../packages/server/src/config';
import { startTestApp, waitFor, type TestApp } from '../helpers/app';
import { scratchDatabase, type ScratchDatabase } from '../helpers/scratch-db';
import { spawnServer, stopAllServers, type ServerRun } from '../helpers/spawn-server';
import { creditsOf, mwhForKes, newPayer, post, successCallback, type Payer } from '../payments/helpers';

const DATABASE_URL = process.env.DATABASE_URL;
const PAYERS = 20;
const PUSHES_PER_PAYER = 10;
const CALLBACK_CONCURRENCY = 10;
/** the victim is killed once this many callbacks have been sent */
const KILL_AFTER = 100;
const OPENING_KWH = 1;

interface Push {
  payer: Payer;
  amountKes: number;
  intentId: string;
  checkoutRequestId: string;
}

/** The job leases PostgreSQL itself sees for one instance (as tests/ha/run-once-jobs.test.ts reads them). */
async function jobLeasesOf(pool: pg.Pool, instanceId: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE $1
        AND a.datname = current_database()`,
    [`umeme-jobs/${instanceId}/%`],
  );
  return rows[0]?.n ?? 0;
}

describe.skipIf(!DATABASE_URL)(
  'payments under failure across two instances on one PostgreSQL database',
  () => {
    let db: ScratchDatabase;
    let pool: pg.Pool;
    let emulator: DarajaEmulator;
    let victim: ServerRun;
    let victimUrl: string;
    let survivor: TestApp;

    beforeAll(async () => {
      db = await scratchDatabase(DATABASE_URL!, 'umeme_payfail');
      pool = db.pool(2);
      const defaults = testConfig();
      const credentials = {
        consumerKey: `key${randomBytes(4).toString('hex')}`,
        consumerSecret: randomBytes(16).toString('base64url'),
      };
      // One emulator for both instances, as Safaricom is one Daraja. Every push succeeds and its
      // callback is lost ('never'): the test delivers the callbacks itself, to the instance it picks.
      emulator = createDarajaEmulator({
        ...credentials,
        shortCode: defaults.DARAJA_SHORTCODE,
        passkey: defaults.DARAJA_PASSKEY,
        defaultOutcome: { resultCode: 'never', delayMs: 10 },
      });
      const darajaUrl = await emulator.listen({ port: 0, host: '127.0.0.1' });
      const shared = {
        DATABASE_URL: db.url,
        JWT_SECRET: randomBytes(32).toString('hex'),
        DARAJA_BASE_URL: darajaUrl,
        DARAJA_CONSUMER_KEY: credentials.consumerKey,
        DARAJA_CONSUMER_SECRET: credentials.consumerSecret,
        DARAJA_SHORTCODE: defaults.DARAJA_SHORTCODE,
        DARAJA_PASSKEY: defaults.DARAJA_PASSKEY,
        DARAJA_MAX_REQUESTS_PER_S: 1000,
        STK_PUSH_MAX_PER_PHONE: 100,
        STK_PUSH_MAX_PER_METER: 100,
        STK_PUSH_MAX_PENDING_PER_PHONE: 100,
        RECONCILE_INTERVAL_S: 1,
      };
      // The victim starts first, so it holds the run-once jobs (payment reconciliation among them)
      // when it dies. Its own reconciliation would claim intents only after 10 minutes: an intent it
      // claimed is leased for RECONCILE_LEASE_S, which this test does not wait out.
      victim = spawnServer({
        ...Object.fromEntries(Object.entries(shared).map(([k, v]) => [k, String(v)])),
        INSTANCE_ID: 'payfail-victim',
        DEMO: 'false',
        DEMO_METERS: '0',
        PAYMENT_PENDING_TIMEOUT_S: '600',
      });
      victimUrl = await victim.ready();
      await waitFor(
        async () => (await jobLeasesOf(pool, 'payfail-victim')) > 0,
        'the victim to hold the run-once jobs',
        60_000,
      );
      survivor = await startTestApp('pglite', {
        ...shared,
        INSTANCE_ID: 'payfail-survivor',
        PAYMENT_PENDING_TIMEOUT_S: 1,
      });
    }, 180_000);

    afterAll(async () => {
      await stopAllServers();
      await survivor?.close();
      await emulator?.close();
      await pool?.end();
      await db?.drop();
    });

    it('PAY-12: every callback answered 200 is credited exactly once, none twice when retries and STK Query both arrive, and none stays pending', async () => {
      const reconciling = () => survivor.app.services.jobs.state()['payment-reconciliation']?.held === true;
      expect(reconciling()).toBe(false);

      const payers = await Promise.all(Array.from({ length: PAYERS }, () => newPayer(survivor, OPENING_KWH)));
      // Pushes spread over both instances: payer i's k-th push goes to one, the next to the other.
      const pushes: Push[] = [];
      await Promise.all(
        payers.map(async (payer, i) => {
          for (let k = 0; k < PUSHES_PER_PAYER; k++) {
            const base = (i + k) % 2 === 0 ? victimUrl : survivor.url;
            const amountKes = 10 + ((i * PUSHES_PER_PAYER + k) % 40);
            const res = await post<{ intentId: string; checkoutRequestId: string | null }>(
              `${base}/daraja/stkpush`,
              { phoneNumber: payer.phone.local, amount: amountKes, meterNo: payer.meterNo },
              { authorization: `Bearer ${payer.token}` },
            );
            expect(res.status, JSON.stringify(res.body)).toBe(202);
            expect(res.body.checkoutRequestId).toBeTruthy();
            pushes.push({
              payer,
              amountKes,
              intentId: res.body.intentId,
              checkoutRequestId: res.body.checkoutRequestId!,
            });
          }
        }),
      );
      expect(pushes).toHaveLength(PAYERS * PUSHES_PER_PAYER);
      await waitFor(
        () => pushes.every((p) => emulator.transactions.get(p.checkoutRequestId)?.state === 'completed'),
        'M-Pesa to complete every payment',
      );
      const bodyOf = (p: Push) => {
        const tx = emulator.transactions.get(p.checkoutRequestId)!;
        return successCallback({
          checkoutRequestId: p.checkoutRequestId,
          merchantRequestId: tx.merchantRequestId,
          amountKes: p.amountKes,
          receipt: tx.mpesaReceiptNumber!,
          phone: p.payer.phone.msisdn,
        });
      };
      const callbackPath = new URL(survivor.app.services.payments.urls().stkCallback).pathname;
      const deliver = async (base: string, p: Push): Promise<number | string> => {
        try {
          const res = await post(`${base}${callbackPath}`, bodyOf(p));
          return res.status;
        } catch (err) {
          return err instanceof Error
            ? ((err.cause as Error | undefined)?.message ?? err.message)
            : String(err);
        }
      };

      // First delivery: alternately to each instance, a few at a time; the victim dies midway.
      const answered200 = new Set<string>();
      const firstAnswers = new Map<string, number | string>();
      let sent = 0;
      let killedAt = 0;
      let kill: Promise<void> = Promise.resolve();
      const queue = pushes.slice();
      await Promise.all(
        Array.from({ length: CALLBACK_CONCURRENCY }, async () => {
          for (let p = queue.shift(); p; p = queue.shift()) {
            const index = sent++;
            if (index === KILL_AFTER) {
              killedAt = Date.now();
              kill = victim.crash();
            }
            const answer = await deliver(index % 2 === 0 ? victimUrl : survivor.url, p);
            firstAnswers.set(p.checkoutRequestId, answer);
            if (answer === 200) answered200.add(p.checkoutRequestId);
          }
        }),
      );
      await kill;
      const unanswered = pushes.filter((p) => !answered200.has(p.checkoutRequestId));

      // M-Pesa retries every callback that got no 200, to the survivor, while the survivor's
      // reconciliation (which took the job over) queries the same intents.
      await waitFor(reconciling, 'the survivor to take over payment reconciliation', 30_000);
      const retryAnswers = await Promise.all(
        unanswered.map(async (p, k) => {
          // Some retries come twice, as M-Pesa's do.
          const first = await deliver(survivor.url, p);
          return k % 3 === 0 ? [first, await deliver(survivor.url, p)] : [first];
        }),
      );
      for (const answers of retryAnswers) for (const a of answers) expect(a).toBe(200);

      const pendingOrUnsettled = async () => {
        const { rows } = await pool.query<{ intents: number; callbacks: number }>(
          `SELECT (SELECT count(*)::int FROM payment_intents WHERE status = 'pending') AS intents,
                (SELECT count(*)::int FROM daraja_callbacks WHERE kind = 'stk' AND outcome IS NULL) AS callbacks`,
        );
        return rows[0]!;
      };
      await waitFor(
        async () => {
          const r = await pendingOrUnsettled();
          return r.intents === 0 && r.callbacks === 0;
        },
        'no intent pending and no callback unsettled after reconciliation',
        45_000,
      );
      const settledAfterMs = Date.now() - killedAt;

      // Every intent: one credit at most, by whichever path got there first; here all are paid.
      const { rows: credits } = await pool.query<{ checkout_request_id: string; status: string; n: number }>(
        `SELECT i.checkout_request_id, i.status,
              (SELECT count(*)::int FROM transactions t
                WHERE t.external_ref IN ('STK-' || i.checkout_request_id, 'MPESA-' || i.mpesa_receipt)) AS n
         FROM payment_intents i WHERE i.id = ANY($1::uuid[])`,
        [pushes.map((p) => p.intentId)],
      );
      expect(credits).toHaveLength(pushes.length);
      const byCheckout = new Map(credits.map((r) => [r.checkout_request_id, r]));
      for (const p of pushes) {
        const r = byCheckout.get(p.checkoutRequestId)!;
        expect(r.status, p.checkoutRequestId).toBe('succeeded');
        expect(r.n, p.checkoutRequestId).toBe(1);
      }
      // No payment was credited under a receipt M-Pesa gave another.
      const { rows: stray } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM transactions WHERE amount_cents > 0 AND meter_no = ANY($1::text[])`,
        [payers.map((p) => p.meterNo)],
      );
      expect(stray[0]!.n).toBe(pushes.length);

      // The ledger: C − E0 per meter is its opening credit plus exactly the payments made.
      for (const payer of payers) {
        const paidKes = pushes.filter((p) => p.payer === payer).reduce((s, p) => s + p.amountKes, 0);
        const c = await creditsOf(survivor, payer.meterNo);
        const expected = OPENING_KWH * 1_000_000 + mwhForKes(paidKes);
        expect(c.count, payer.meterNo).toBe(PUSHES_PER_PAYER);
        expect(Number(c.amountCents), payer.meterNo).toBe(paidKes * 100);
        expect(c.creditLimitMwh - c.e0Mwh, payer.meterNo).toBe(expected);
        expect(Number(c.ledgerMwh), payer.meterNo).toBe(expected);
      }

      const { rows: paths } = await pool.query<{ via: string; n: number }>(
        `SELECT CASE WHEN t.external_ref LIKE 'STK-%' THEN 'stk_query' ELSE 'callback' END AS via, count(*)::int AS n
         FROM transactions t WHERE t.meter_no = ANY($1::text[]) AND t.amount_cents > 0 GROUP BY 1 ORDER BY 1`,
        [payers.map((p) => p.meterNo)],
      );
      const firstFailures = [...firstAnswers.values()].filter((a) => a !== 200);
      // Figures for the report, not assertions: the machine is shared.
      console.info(
        `payments failover: ${pushes.length} pushes, ${answered200.size} callbacks answered 200 at first, ` +
          `${firstFailures.length} not (${[...new Set(firstFailures)].join(', ')}), ` +
          `${retryAnswers.flat().length} retries to the survivor; credited via ${paths.map((p) => `${p.via} ${p.n}`).join(', ')}; ` +
          `all settled ${settledAfterMs} ms after SIGKILL; ${emulator.calls.stkQuery} STK Queries`,
      );
      expect(answered200.size).toBeGreaterThan(0);
      expect(unanswered.length).toBeGreaterThan(0);
    }, 120_000);
  },
);
