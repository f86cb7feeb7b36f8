// Protects operator review of orphan callbacks: an assignment credits exactly once (twice or at once), a dismissal changes no balance, only admins may act, and every decision is audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, waitFor, type TestApp } from '../helpers/app';
import { openReadySocket } from '../helpers/sockets';
import {
  ACCEPTED,
  callbackUrl,
  creditsOf,
  failureCallback,
  mwhForKes,
  newPayer,
  newReceipt,
  post,
  startPaymentsApp,
  successCallback,
} from './helpers';

interface Orphan {
  id: string;
  checkoutRequestId: string | null;
  amountCents: number | null;
  receipt: string | null;
  creditable: boolean;
  state: 'open' | 'assigned' | 'dismissed';
  resolvedBy: string | null;
  reason: string | null;
  meterNo: string | null;
  transactionId: string | null;
}

const ORPHANS = '/api/admin/payments/orphans';
let orphanCounter = 0;

describe.each(databases)('orphan callbacks on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startPaymentsApp(db);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Delivers a success callback nobody asked for and returns its orphan row. */
  async function newOrphan(amountKes = 100, receipt = newReceipt()): Promise<Orphan> {
    orphanCounter += 1;
    const checkoutRequestId = `ws_CO_ORPHAN${Date.now()}${orphanCounter}`;
    const res = await post(
      callbackUrl(t),
      successCallback({ checkoutRequestId, amountKes, receipt, phone: 254712345678 }),
    );
    expect(res).toEqual({ status: 200, body: ACCEPTED });
    return findOrphan(checkoutRequestId);
  }

  async function findOrphan(checkoutRequestId: string, status = 'all'): Promise<Orphan> {
    const res = await t.api<{ orphans: Orphan[] }>(
      'GET',
      `${ORPHANS}?status=${status}&limit=200`,
      undefined,
      t.adminToken,
    );
    expect(res.status).toBe(200);
    const found = res.body.orphans.find((o) => o.checkoutRequestId === checkoutRequestId);
    if (!found) throw new Error(`orphan ${checkoutRequestId} not listed`);
    return found;
  }

  async function auditRows(callbackId: string, action: string) {
    const { rows } = await t.app.services.db.query<{ actor_id: string | null; details: { reason: string } }>(
      `SELECT actor_id, details FROM audit_log WHERE action = $1 AND target = $2`,
      [action, callbackId],
    );
    return rows;
  }

  it('lists orphans newest first, open ones by default, a page at a time', async () => {
    const older = await newOrphan();
    const newer = await newOrphan();
    expect(Number(newer.id)).toBeGreaterThan(Number(older.id));
    const first = await t.api<{ orphans: Orphan[]; nextCursor: string | null }>(
      'GET',
      `${ORPHANS}?limit=1`,
      undefined,
      t.adminToken,
    );
    expect(first.status).toBe(200);
    expect(first.body.orphans).toHaveLength(1);
    expect(first.body.orphans[0]).toMatchObject({
      id: newer.id,
      state: 'open',
      creditable: true,
      amountCents: 10_000,
    });
    expect(first.body.nextCursor).toBe(newer.id);
    const second = await t.api<{ orphans: Orphan[] }>(
      'GET',
      `${ORPHANS}?limit=1&cursor=${first.body.nextCursor}`,
      undefined,
      t.adminToken,
    );
    expect(second.body.orphans[0]?.id).toBe(older.id);
  });

  it('assigning an orphan to a meter credits it once, by its M-Pesa receipt, and audits who and why', async () => {
    const payer = await newPayer(t);
    const orphan = await newOrphan(100);
    const res = await t.api<{ orphan: Orphan; credited: boolean; energyKwh: number }>(
      'POST',
      `${ORPHANS}/${orphan.id}/assign`,
      { meterNo: payer.meterNo, reason: 'Customer called with the M-Pesa SMS' },
      t.adminToken,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ credited: true, energyKwh: 5 });
    expect(res.body.orphan).toMatchObject({
      state: 'assigned',
      meterNo: payer.meterNo,
      reason: 'Customer called with the M-Pesa SMS',
      resolvedBy: 'admin@test.local',
      creditable: false,
    });
    const credits = await creditsOf(t, payer.meterNo);
    expect(credits).toMatchObject({ count: 1, amountCents: 10_000, creditLimitMwh: mwhForKes(100) });
    expect(credits.e0Mwh + credits.ledgerMwh).toBe(credits.creditLimitMwh);
    const { rows } = await t.app.services.db.query<{ id: string }>(
      `SELECT id FROM transactions WHERE external_ref = $1`,
      [`MPESA-${orphan.receipt}`],
    );
    expect(rows.map((r) => r.id)).toEqual([res.body.orphan.transactionId]);
    const audit = await auditRows(orphan.id, 'payment.orphan_assigned');
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor_id).not.toBeNull();
    expect(audit[0]!.details.reason).toBe('Customer called with the M-Pesa SMS');
  });

  it('an orphan assigned twice, or twice at once, is credited once; the other answer is 409', async () => {
    const payer = await newPayer(t);
    const orphan = await newOrphan(50);
    const body = { meterNo: payer.meterNo, reason: 'Matched by phone number' };
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => t.api('POST', `${ORPHANS}/${orphan.id}/assign`, body, t.adminToken)),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409]);
    const again = await t.api<{ error: string }>(
      'POST',
      `${ORPHANS}/${orphan.id}/assign`,
      body,
      t.adminToken,
    );
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('ORPHAN_ALREADY_RESOLVED');
    expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 1, amountCents: 5_000 });
    expect(await auditRows(orphan.id, 'payment.orphan_assigned')).toHaveLength(1);
  });

  it('two deliveries of one orphan payment assigned to the same meter credit the receipt once', async () => {
    const payer = await newPayer(t);
    const receipt = newReceipt();
    const a = await newOrphan(20, receipt);
    const b = await newOrphan(20, receipt);
    const reason = 'Same payment, delivered twice';
    const first = await t.api<{ credited: boolean }>(
      'POST',
      `${ORPHANS}/${a.id}/assign`,
      { meterNo: payer.meterNo, reason },
      t.adminToken,
    );
    const second = await t.api<{ credited: boolean }>(
      'POST',
      `${ORPHANS}/${b.id}/assign`,
      { meterNo: payer.meterNo, reason },
      t.adminToken,
    );
    expect([first.status, first.body.credited]).toEqual([200, true]);
    expect([second.status, second.body.credited]).toEqual([200, false]);
    expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 1, amountCents: 2_000 });
    // Nor may that receipt then be credited to another meter.
    const c = await newOrphan(20, receipt);
    const other = await newPayer(t);
    const elsewhere = await t.api<{ error: string }>(
      'POST',
      `${ORPHANS}/${c.id}/assign`,
      { meterNo: other.meterNo, reason },
      t.adminToken,
    );
    expect(elsewhere.status).toBe(409);
    expect(await creditsOf(t, other.meterNo)).toMatchObject({ count: 0, amountCents: 0 });
  });

  it('tells every operator console live when an orphan arrives and when it is decided; customers hear nothing', async () => {
    const admin = await openReadySocket(t.url, t.adminToken);
    const payer = await newPayer(t);
    const customer = await openReadySocket(t.url, payer.token);
    try {
      const receipt = newReceipt();
      const orphan = await newOrphan(250, receipt);
      const arrived = await waitFor(
        () => admin.of('notification').find((n) => n.kind === 'payment_orphan'),
        'the payment_orphan notification',
      );
      expect(arrived).toMatchObject({ type: 'warning', title: 'Payment to review' });
      expect(String(arrived.message)).toContain(receipt);
      expect(String(arrived.message)).toContain('KES 250.00');

      const res = await t.api(
        'POST',
        `${ORPHANS}/${orphan.id}/dismiss`,
        { reason: 'test payment' },
        t.adminToken,
      );
      expect(res.status).toBe(200);
      await waitFor(
        () => admin.of('notification').find((n) => n.kind === 'payment_orphan_resolved'),
        'the payment_orphan_resolved notification',
      );
      // The customer's own socket is connected and live, but no operator notice reaches it.
      expect(customer.socket.connected).toBe(true);
      expect(customer.of('notification').filter((n) => String(n.kind).startsWith('payment_orphan'))).toEqual(
        [],
      );
    } finally {
      admin.close();
      customer.close();
    }
  });

  it('dismissing an orphan changes no balance and is audited with the reason', async () => {
    const payer = await newPayer(t, 3);
    const before = await creditsOf(t, payer.meterNo);
    const orphan = await newOrphan(100);
    const res = await t.api<Orphan>(
      'POST',
      `${ORPHANS}/${orphan.id}/dismiss`,
      { reason: 'Test payment by the bank' },
      t.adminToken,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      state: 'dismissed',
      reason: 'Test payment by the bank',
      transactionId: null,
    });
    expect(await creditsOf(t, payer.meterNo)).toEqual(before);
    const { rows } = await t.app.services.db.query(`SELECT 1 FROM transactions WHERE external_ref = $1`, [
      `MPESA-${orphan.receipt}`,
    ]);
    expect(rows).toHaveLength(0);
    expect(await auditRows(orphan.id, 'payment.orphan_dismissed')).toHaveLength(1);
    const assignAfter = await t.api(
      'POST',
      `${ORPHANS}/${orphan.id}/assign`,
      { meterNo: payer.meterNo, reason: 'changed my mind' },
      t.adminToken,
    );
    expect(assignAfter.status).toBe(409);
    expect((await findOrphan(orphan.checkoutRequestId!, 'dismissed')).state).toBe('dismissed');
  });

  it('a failure orphan carries no money: it can be dismissed but not assigned', async () => {
    const payer = await newPayer(t);
    const checkoutRequestId = `ws_CO_ORPHANFAIL${Date.now()}`;
    expect(await post(callbackUrl(t), failureCallback(checkoutRequestId, 1032))).toEqual({
      status: 200,
      body: ACCEPTED,
    });
    const orphan = await findOrphan(checkoutRequestId);
    expect(orphan).toMatchObject({ creditable: false, amountCents: null, receipt: null });
    const res = await t.api<{ error: string }>(
      'POST',
      `${ORPHANS}/${orphan.id}/assign`,
      { meterNo: payer.meterNo, reason: 'try' },
      t.adminToken,
    );
    expect([res.status, res.body.error]).toEqual([409, 'ORPHAN_NOT_CREDITABLE']);
    expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 0 });
  });

  it('a customer gets 403 on every orphan route and changes nothing', async () => {
    const payer = await newPayer(t);
    const orphan = await newOrphan(100);
    expect((await t.api('GET', ORPHANS, undefined, payer.token)).status).toBe(403);
    const assign = await t.api(
      'POST',
      `${ORPHANS}/${orphan.id}/assign`,
      { meterNo: payer.meterNo, reason: 'mine, honest' },
      payer.token,
    );
    expect(assign.status).toBe(403);
    const dismiss = await t.api(
      'POST',
      `${ORPHANS}/${orphan.id}/dismiss`,
      { reason: 'not needed' },
      payer.token,
    );
    expect(dismiss.status).toBe(403);
    expect((await t.api('GET', ORPHANS, undefined, null)).status).toBe(401);
    expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 0 });
    expect((await findOrphan(orphan.checkoutRequestId!)).state).toBe('open');
  });

  it('unknown ids, ids that are no orphan, and unknown meters answer 404; a missing reason 400', async () => {
    const payer = await newPayer(t);
    const orphan = await newOrphan(100);
    const reason = 'checking';
    for (const id of ['999999999999', 'not-a-number', '0']) {
      const a = await t.api(
        'POST',
        `${ORPHANS}/${id}/assign`,
        { meterNo: payer.meterNo, reason },
        t.adminToken,
      );
      const d = await t.api('POST', `${ORPHANS}/${id}/dismiss`, { reason }, t.adminToken);
      expect([a.status, d.status]).toEqual([404, 404]);
    }
    // An applied callback is not an orphan.
    const { rows } = await t.app.services.db.query<{ id: string }>(
      `SELECT id::text AS id FROM daraja_callbacks WHERE outcome <> 'orphan' ORDER BY id DESC LIMIT 1`,
    );
    if (rows[0]) {
      expect((await t.api('POST', `${ORPHANS}/${rows[0].id}/dismiss`, { reason }, t.adminToken)).status).toBe(
        404,
      );
    }
    const unknownMeter = await t.api(
      'POST',
      `${ORPHANS}/${orphan.id}/assign`,
      { meterNo: 'NOSUCH1', reason },
      t.adminToken,
    );
    expect(unknownMeter.status).toBe(404);
    const noReason = await t.api(
      'POST',
      `${ORPHANS}/${orphan.id}/assign`,
      { meterNo: payer.meterNo },
      t.adminToken,
    );
    expect(noReason.status).toBe(400);
    expect((await findOrphan(orphan.checkoutRequestId!)).state).toBe('open');
    expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 0 });
  });
});
