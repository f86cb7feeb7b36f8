// Protects fan-out across server instances through Redis: every socket hears each change once, whichever instance made it.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { startTestApp, waitFor, type TestApp } from '../helpers/app';
import { connected, openReadySocket } from '../helpers/sockets';

const REDIS_URL = process.env.REDIS_URL;

describe.skipIf(!REDIS_URL)('two instances sharing Redis', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    // One secret so that a token from one instance is good on the other, as behind a load balancer.
    const shared = { REDIS_URL, JWT_SECRET: randomBytes(32).toString('hex'), SOCKET_RECOVERY_S: 30 };
    a = await startTestApp('pglite', shared);
    b = await startTestApp('pglite', shared);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  /**
   * Each instance here has a database of its own; a token names an account that must exist
   * where it is checked (SEC-9), so the customer is copied to B as it is, token version included.
   */
  async function customerOnBoth() {
    const customer = await a.newCustomer();
    const { rows } = await a.app.services.db.query<Record<string, unknown>>(
      `SELECT * FROM users WHERE id = $1`,
      [customer.id],
    );
    const row = rows[0]!;
    const keys = Object.keys(row);
    await b.app.services.db.query(
      `INSERT INTO users (${keys.join(', ')}) VALUES (${keys.map((_, i) => `$${i + 1}`).join(', ')})`,
      keys.map((k) => row[k]),
    );
    return customer;
  }

  async function creditOnA(meterNo: string, tag: string): Promise<string> {
    const r = await a.app.services.credit.credit(SYSTEM, {
      meterNo,
      amountCents: 1_000,
      source: 'simulate',
      type: 'simulate',
      externalRef: `${tag}-${randomBytes(4).toString('hex')}`,
    });
    return r.transactionId;
  }

  it('delivers a change made on one instance once to sockets on both', async () => {
    const customer = await customerOnBoth();
    const m = await a.newMeter({ userId: customer.id, openingCreditKwh: 1 });
    const onA = await openReadySocket(a.url, customer.token);
    const onB = await openReadySocket(b.url, customer.token);
    const transactionId = await creditOnA(m.meterNo, 'R1');
    for (const c of [onA, onB]) {
      await waitFor(() => c.of('transaction_completed').length === 1, 'the credit');
    }
    await new Promise((r) => setTimeout(r, 300));
    for (const c of [onA, onB]) {
      expect(c.of('balance_updated').filter((p) => p.transactionId === transactionId)).toHaveLength(1);
      expect(c.of('transaction_completed')).toHaveLength(1);
      expect(c.of('payment_success')).toHaveLength(1);
    }
    onA.close();
    onB.close();
  });

  it('recovers, on another instance’s socket, the events made on the first while it was away', async () => {
    const customer = await customerOnBoth();
    const m = await a.newMeter({ userId: customer.id, openingCreditKwh: 1 });
    const onB = await openReadySocket(b.url, customer.token);
    await creditOnA(m.meterNo, 'R2-before');
    await waitFor(() => onB.of('balance_updated').length === 1, 'the first credit');
    (onB.socket.io.engine as unknown as { close(): void }).close();
    await waitFor(() => b.app.realtime.localSockets === 0, 'the drop');
    for (let i = 0; i < 10; i++) await creditOnA(m.meterNo, `R2-away-${i}`);
    onB.socket.connect();
    await connected(onB);
    expect(onB.socket.recovered).toBe(true);
    await waitFor(() => onB.of('balance_updated').length === 11, 'the ten missed credits');
    const seqs = onB.of('balance_updated').map((p) => p.seq as number);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    onB.close();
  });
});
