// Protects manual top-ups: a customer asks for their own meter, an admin approves or rejects, approval credits exactly once and is audited.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, waitFor, type TestApp } from '../helpers/app';
import { openReadySocket } from '../helpers/sockets';
import { creditsOf, mwhForKes, newPayer, startPaymentsApp, type Payer } from './helpers';

interface Topup {
  id: string;
  meterNo: string;
  userId: string;
  amountKes: number;
  amountCents: number;
  status: string;
  adminNotes: string | null;
  processedBy: string | null;
  transactionId: string | null;
}

describe.each(databases)('top-up requests on %s', (db) => {
  let t: TestApp;
  let adminId: string;
  beforeAll(async () => {
    t = await startPaymentsApp(db);
    const me = await t.api<{ id: string }>('GET', '/api/me', undefined, t.adminToken);
    adminId = me.body.id;
  });
  afterAll(async () => {
    await t?.close();
  });

  const request = (payer: Payer, body: Record<string, unknown>) =>
    t.api<Topup & { error?: string }>('POST', '/transactions/topup', body, payer.token);
  const processAs = (token: string, id: string, body: Record<string, unknown>) =>
    t.api<Topup & { error?: string; message?: string }>(
      'PATCH',
      `/transactions/topup/${id}/process`,
      body,
      token,
    );

  it('a customer’s request for their own meter is stored pending and credits nothing yet', async () => {
    const payer = await newPayer(t);
    const res = await request(payer, {
      meterNo: payer.meterNo,
      amount: 250.5,
      channel: 'agent',
      reference: 'AG-77',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      meterNo: payer.meterNo,
      userId: payer.userId,
      amountKes: 250.5,
      amountCents: 25_050,
      status: 'pending',
      transactionId: null,
    });
    expect((await creditsOf(t, payer.meterNo)).count).toBe(0);
  });

  it('a request for another customer’s meter answers 404 like a missing meter and stores nothing', async () => {
    const payer = await newPayer(t);
    const other = await newPayer(t);
    const theirs = await request(payer, { meterNo: other.meterNo, amount: 100, channel: 'cash' });
    const missing = await request(payer, { meterNo: 'NOPE404', amount: 100, channel: 'cash' });
    expect(theirs.status).toBe(404);
    expect(theirs).toEqual(missing);
    const { rows } = await t.app.services.db.query(`SELECT 1 FROM topup_requests WHERE meter_no = $1`, [
      other.meterNo,
    ]);
    expect(rows).toHaveLength(0);
  });

  it('approval credits the meter and records who approved, when, with the notes, in the audit log', async () => {
    const payer = await newPayer(t);
    const created = await request(payer, { meterNo: payer.meterNo, amount: 100, channel: 'cash' });
    const res = await processAs(t.adminToken, created.body.id, {
      status: 'approved',
      admin_notes: 'cash seen at desk 2',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'approved',
      adminNotes: 'cash seen at desk 2',
      processedBy: adminId,
    });
    expect(res.body.transactionId).toEqual(expect.any(String));
    expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 1, creditLimitMwh: mwhForKes(100) });
    const { rows } = await t.app.services.db.query<{ actor_id: string; details: { notes: string } }>(
      `SELECT actor_id, details FROM audit_log WHERE action = 'topup.approved' AND target = $1`,
      [created.body.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_id: adminId, details: { notes: 'cash seen at desk 2' } });
  });

  it('approving twice credits once; the second answer says it was already processed (409)', async () => {
    const payer = await newPayer(t);
    const created = await request(payer, { meterNo: payer.meterNo, amount: 40, channel: 'bank' });
    const first = await processAs(t.adminToken, created.body.id, { status: 'approved', admin_notes: 'ok' });
    const second = await processAs(t.adminToken, created.body.id, {
      status: 'approved',
      admin_notes: 'again',
    });
    expect(first.status).toBe(200);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({
      error: 'TOPUP_ALREADY_PROCESSED',
      message: expect.stringContaining('approved'),
    });
    expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 1, creditLimitMwh: mwhForKes(40) });
  });

  it('ten concurrent approvals of one request credit once', async () => {
    const payer = await newPayer(t);
    const created = await request(payer, { meterNo: payer.meterNo, amount: 30, channel: 'cash' });
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        processAs(t.adminToken, created.body.id, { status: 'approved', admin_notes: '' }),
      ),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(9);
    expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 1, creditLimitMwh: mwhForKes(30) });
  });

  it('a rejected request credits nothing and cannot be approved afterwards', async () => {
    const payer = await newPayer(t);
    const created = await request(payer, { meterNo: payer.meterNo, amount: 30, channel: 'other' });
    const unexplained = await processAs(t.adminToken, created.body.id, {
      status: 'rejected',
      admin_notes: ' ',
    });
    expect(unexplained.status).toBe(400);
    expect(unexplained.body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    const rejected = await processAs(t.adminToken, created.body.id, {
      status: 'rejected',
      admin_notes: 'no receipt',
    });
    expect(rejected.body).toMatchObject({ status: 'rejected', transactionId: null });
    expect(
      (await processAs(t.adminToken, created.body.id, { status: 'approved', admin_notes: '' })).status,
    ).toBe(409);
    expect((await creditsOf(t, payer.meterNo)).count).toBe(0);
  });

  it("a decision reaches the requesting customer's sockets as topup_updated, and no other customer's", async () => {
    const a = await newPayer(t);
    const b = await newPayer(t);
    const [socketA, socketB] = await Promise.all([
      openReadySocket(t.url, a.token),
      openReadySocket(t.url, b.token),
    ]);
    try {
      const ra = await request(a, { meterNo: a.meterNo, amount: 21, channel: 'bank', reference: 'TRF-1' });
      const rb = await request(b, { meterNo: b.meterNo, amount: 22, channel: 'agent' });
      await processAs(t.adminToken, ra.body.id, { status: 'approved', admin_notes: 'seen at the bank' });
      await processAs(t.adminToken, rb.body.id, { status: 'rejected', admin_notes: 'no such deposit' });
      await waitFor(() => socketA.of('topup_updated').length > 0, "A's topup_updated");
      // B's socket delivers in order: had A's decision reached it, it would come before B's own.
      await waitFor(() => socketB.of('topup_updated').length > 0, "B's topup_updated");
      expect(socketA.of('topup_updated')).toEqual([
        expect.objectContaining({ id: ra.body.id, meterNo: a.meterNo, status: 'approved', amount: 21 }),
      ]);
      expect(socketB.of('topup_updated')).toEqual([
        expect.objectContaining({
          id: rb.body.id,
          status: 'rejected',
          reason: 'no such deposit',
          transactionId: null,
        }),
      ]);
      // Operators' notifications go to the admins room, never to a customer.
      expect(socketA.of('notification').filter((n) => String(n.kind).startsWith('topup_'))).toEqual([]);
    } finally {
      socketA.close();
      socketB.close();
    }
  });

  it('a customer cannot process requests, and an unknown id answers 404', async () => {
    const payer = await newPayer(t);
    const created = await request(payer, { meterNo: payer.meterNo, amount: 30, channel: 'cash' });
    expect(
      (await processAs(payer.token, created.body.id, { status: 'approved', admin_notes: '' })).status,
    ).toBe(403);
    expect(
      (await processAs(t.adminToken, randomUUID(), { status: 'approved', admin_notes: '' })).status,
    ).toBe(404);
    expect((await creditsOf(t, payer.meterNo)).count).toBe(0);
  });

  it('the list shows admins every request (filtered by status) and a customer only their own', async () => {
    const a = await newPayer(t);
    const b = await newPayer(t);
    const ra = await request(a, { meterNo: a.meterNo, amount: 11, channel: 'cash' });
    const rb = await request(b, { meterNo: b.meterNo, amount: 12, channel: 'cash' });
    await processAs(t.adminToken, rb.body.id, { status: 'rejected', admin_notes: 'no such deposit' });
    const own = await t.api<{ topups: Topup[] }>('GET', '/transactions/topup', undefined, a.token);
    expect(own.status).toBe(200);
    expect(own.body.topups.map((x) => x.id)).toEqual([ra.body.id]);
    const pending = await t.api<{ topups: Topup[] }>(
      'GET',
      '/transactions/topup?status=pending',
      undefined,
      t.adminToken,
    );
    expect(pending.body.topups.map((x) => x.id)).toContain(ra.body.id);
    expect(pending.body.topups.map((x) => x.id)).not.toContain(rb.body.id);
    const rejected = await t.api<{ topups: Topup[] }>(
      'GET',
      '/transactions/topup?status=rejected',
      undefined,
      t.adminToken,
    );
    expect(rejected.body.topups.map((x) => x.id)).toContain(rb.body.id);
  });
});
