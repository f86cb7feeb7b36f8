// Protects the browser realtime gateway's contract: who may connect, what they receive on (re)connect, credits at once (docs/design.md §5).
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceInitialSchema, balanceUpdatedSchema, transactionCompletedSchema } from '@umeme/protocol';
import { startTestApp, waitFor, type TestApp } from '../helpers/app';
import { connected, openReadySocket, openSocket } from '../helpers/sockets';

describe('realtime gateway', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { JWT_SECRET: 'x'.repeat(40), SOCKET_MAX_PER_USER: 3, DEMO: true });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a socket without a token', async () => {
    const c = openSocket(t.url, null);
    await expect(connected(c)).rejects.toThrow('UNAUTHENTICATED');
    c.close();
  });

  it('refuses a socket with a forged or malformed token', async () => {
    for (const token of ['not-a-jwt', `${(await t.newCustomer()).token}x`, 'a'.repeat(10_000)]) {
      const c = openSocket(t.url, token);
      await expect(connected(c)).rejects.toThrow('UNAUTHENTICATED');
      c.close();
    }
  });

  it('refuses a socket whose token has expired', async () => {
    const customer = await t.newCustomer();
    const key = new TextEncoder().encode('x'.repeat(40));
    const expired = await new SignJWT({ role: 'customer', tv: 0 })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(customer.id)
      .setIssuer('umeme')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(key);
    const c = openSocket(t.url, expired);
    const err = await connected(c).catch((e: Error & { data?: unknown }) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('UNAUTHENTICATED');
    expect((err as Error & { data?: unknown }).data).toMatchObject({ error: 'UNAUTHENTICATED' });
    c.close();
  });

  it('sends balance_initial with exactly the caller’s meters on connect', async () => {
    const customer = await t.newCustomer();
    const a = await t.newMeter({ userId: customer.id, openingCreditKwh: 5 });
    const b = await t.newMeter({ userId: customer.id, openingCreditKwh: 7 });
    await t.newMeter({ openingCreditKwh: 9 });
    const c = await openReadySocket(t.url, customer.token);
    const initial = balanceInitialSchema.parse(c.of('balance_initial')[0]);
    expect(initial.meters.map((m) => m.meterNo).sort()).toEqual([a.meterNo, b.meterNo].sort());
    expect(initial.meters.find((m) => m.meterNo === a.meterNo)?.balance).toBe(5);
    c.close();
  });

  it('answers get_current_balance with the same snapshot', async () => {
    const customer = await t.newCustomer();
    const m = await t.newMeter({ userId: customer.id, openingCreditKwh: 3 });
    const c = await openReadySocket(t.url, customer.token);
    const answer = balanceInitialSchema.parse(
      await c.socket.timeout(5000).emitWithAck('get_current_balance'),
    );
    expect(answer.meters).toEqual([expect.objectContaining({ meterNo: m.meterNo, balance: 3 })]);
    c.close();
  });

  it('gives an admin socket its own meters, not the fleet', async () => {
    const c = await openReadySocket(t.url, t.adminToken);
    const initial = balanceInitialSchema.parse(c.of('balance_initial')[0]);
    expect(initial.meters).toEqual([]);
    c.close();
  });

  it('sends balance_initial again after a reconnect', async () => {
    const customer = await t.newCustomer();
    await t.newMeter({ userId: customer.id, openingCreditKwh: 1 });
    const c = await openReadySocket(t.url, customer.token);
    c.socket.disconnect();
    c.socket.connect();
    await waitFor(() => c.of('balance_initial').length === 2, 'second balance_initial');
    c.close();
  });

  it('sends balance_updated and transaction_completed at once for a simulated payment', async () => {
    const customer = await t.newCustomer();
    const m = await t.newMeter({ userId: customer.id, openingCreditKwh: 1 });
    const c = await openReadySocket(t.url, customer.token);
    const seq0 = balanceInitialSchema.parse(c.of('balance_initial')[0]).meters[0]!.seq;
    const started = Date.now();
    const res = await t.api<{ transactionId: string }>(
      'POST',
      '/daraja/simulate',
      { meter_no: m.meterNo, amount: 100 },
      customer.token,
    );
    expect(res.status).toBe(200);
    await waitFor(
      () => c.of('transaction_completed').length === 1 && c.of('payment_success').length === 1,
      'payment events',
      2000,
    );
    const update = balanceUpdatedSchema.parse(c.of('balance_updated')[0]);
    expect(update).toMatchObject({
      meterNo: m.meterNo,
      seq: seq0 + 1,
      previousBalance: 1,
      newBalance: 6,
      transactionType: 'simulate',
      amount: 100,
      transactionId: res.body.transactionId,
    });
    const done = transactionCompletedSchema.parse(c.of('transaction_completed')[0]);
    expect(done).toMatchObject({
      transactionId: res.body.transactionId,
      amount: 100,
      energyKwh: 5,
      seq: seq0 + 1,
    });
    expect(Date.now() - started).toBeLessThan(1000);
    c.close();
  });

  it('cuts a connected socket when its token expires', async () => {
    const customer = await t.newCustomer();
    const key = new TextEncoder().encode('x'.repeat(40));
    const nowS = Math.floor(Date.now() / 1000);
    const shortLived = await new SignJWT({ role: 'customer', tv: 0 })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(customer.id)
      .setIssuer('umeme')
      .setIssuedAt(nowS)
      .setExpirationTime(nowS + 2)
      .sign(key);
    const c = await openReadySocket(t.url, shortLived);
    const reason = await new Promise<string>((resolve) => c.socket.once('disconnect', resolve));
    expect(reason).toBe('io server disconnect');
    c.socket.connect();
    await expect(connected(c)).rejects.toThrow('UNAUTHENTICATED');
    c.close();
  });

  it('cuts a socket that floods the server with requests', async () => {
    const customer = await t.newCustomer();
    const c = await openReadySocket(t.url, customer.token);
    const gone = new Promise<string>((resolve) => c.socket.once('disconnect', resolve));
    for (let i = 0; i < 100; i++) c.socket.emit('get_current_balance', () => {});
    expect(await gone).toBe('io server disconnect');
    c.close();
  });

  it('limits the sockets one user may hold open', async () => {
    const customer = await t.newCustomer();
    const open = [];
    for (let i = 0; i < 3; i++) open.push(await openReadySocket(t.url, customer.token));
    const extra = openSocket(t.url, customer.token);
    await expect(connected(extra)).rejects.toThrow('TOO_MANY_CONNECTIONS');
    extra.close();
    open.pop()!.close();
    await waitFor(async () => {
      const again = openSocket(t.url, customer.token);
      try {
        await connected(again);
        return again;
      } catch {
        again.close();
        return null;
      }
    }, 'a socket after one closed').then((s) => s.close());
    for (const s of open) s.close();
  });
});
