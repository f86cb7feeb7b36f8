// Protects RT-2: a dropped socket gets what it missed on return, or sees a detectable gap and the current state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceInitialSchema, balanceUpdatedSchema } from '@umeme/protocol';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { startTestApp, waitFor, type TestApp } from '../helpers/app';
import { connected, openSocket, type RecordingClient } from '../helpers/sockets';

/** Cuts the connection the way a lost network does: no goodbye to the server. */
function dropNetwork(c: RecordingClient): void {
  (c.socket.io.engine as unknown as { close(): void }).close();
}

async function credits(t: TestApp, meterNo: string, n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    await t.app.services.credit.credit(SYSTEM, {
      meterNo,
      amountCents: 100,
      source: 'simulate',
      type: 'simulate',
      externalRef: `${tag}-${meterNo}-${i}`,
    });
  }
}

async function openAndWaitInitial(t: TestApp, token: string): Promise<RecordingClient> {
  const c = openSocket(t.url, token);
  await connected(c);
  await waitFor(() => c.of('balance_initial').length === 1, 'balance_initial');
  return c;
}

describe('RT-2 within the recovery window', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { SOCKET_RECOVERY_S: 30 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('recovers the 100 events sent while the socket was away, in order, then sends balance_initial', async () => {
    const customer = await t.newCustomer();
    const m = await t.newMeter({ userId: customer.id, openingCreditKwh: 1 });
    const c = await openAndWaitInitial(t, customer.token);
    await credits(t, m.meterNo, 3, 'before');
    await waitFor(() => c.of('balance_updated').length === 3, 'three updates before the drop');
    dropNetwork(c);
    await waitFor(() => !c.socket.connected, 'disconnect');
    await waitFor(() => t.app.realtime.localSockets === 0, 'the server to notice');
    await credits(t, m.meterNo, 100, 'away');
    c.socket.connect();
    await connected(c);
    expect(c.socket.recovered).toBe(true);
    await waitFor(() => c.of('balance_updated').length === 103, 'the 100 missed updates', 5000);
    await waitFor(() => c.of('balance_initial').length === 2, 'balance_initial after recovery');
    const seqs = c.of('balance_updated').map((p) => balanceUpdatedSchema.parse(p).seq);
    const first = seqs[0]!;
    expect(seqs).toEqual(Array.from({ length: 103 }, (_, i) => first + i));
    const initial = balanceInitialSchema.parse(c.of('balance_initial')[1]);
    expect(initial.meters[0]!.seq).toBe(seqs[seqs.length - 1]);
    c.close();
  });
});

describe('what the recovery buffer keeps', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { SOCKET_RECOVERY_S: 30 });
  });
  afterAll(async () => {
    await t?.close();
  });

  const kept = () => (t.app.realtime.nsp.adapter as unknown as { keptPackets: number }).keptPackets;

  it("keeps nothing for a meter nobody watches, and keeps a dropped socket's events until it returns", async () => {
    const customer = await t.newCustomer();
    const watchedMeter = await t.newMeter({ userId: customer.id, openingCreditKwh: 1 });
    const other = await t.newCustomer();
    const unwatched = await t.newMeter({ userId: other.id, openingCreditKwh: 1 });
    const c = await openAndWaitInitial(t, customer.token);
    const before = kept();
    await credits(t, unwatched.meterNo, 20, 'nobody');
    expect(kept()).toBe(before);
    await credits(t, watchedMeter.meterNo, 2, 'watched');
    await waitFor(() => c.of('balance_updated').length === 2, 'two updates');
    // each credit kept at least its balance_updated
    expect(kept()).toBeGreaterThanOrEqual(before + 2);
    dropNetwork(c);
    await waitFor(() => t.app.realtime.localSockets === 0, 'the server to notice');
    const away = kept();
    await credits(t, watchedMeter.meterNo, 5, 'away');
    expect(kept()).toBeGreaterThanOrEqual(away + 5);
    await credits(t, unwatched.meterNo, 5, 'still-nobody');
    const afterAway = kept();
    await credits(t, unwatched.meterNo, 5, 'still-nobody-2');
    expect(kept()).toBe(afterAway);
    c.socket.connect();
    await connected(c);
    expect(c.socket.recovered).toBe(true);
    await waitFor(() => c.of('balance_updated').length === 7, 'the 5 missed updates');
    c.close();
  });
});

describe('RT-2 beyond the recovery window', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { SOCKET_RECOVERY_S: 1 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('does not pretend to recover: the new balance_initial shows a seq gap the client refetches on', async () => {
    const customer = await t.newCustomer();
    const m = await t.newMeter({ userId: customer.id, openingCreditKwh: 1 });
    const c = await openAndWaitInitial(t, customer.token);
    await credits(t, m.meterNo, 2, 'before');
    await waitFor(() => c.of('balance_updated').length === 2, 'two updates before the drop');
    const lastSeenSeq = balanceUpdatedSchema.parse(c.of('balance_updated')[1]).seq;
    dropNetwork(c);
    await waitFor(() => t.app.realtime.localSockets === 0, 'the server to notice');
    await credits(t, m.meterNo, 100, 'away');
    await new Promise((r) => setTimeout(r, 1500));
    c.socket.connect();
    await connected(c);
    expect(c.socket.recovered).toBe(false);
    await waitFor(() => c.of('balance_initial').length === 2, 'balance_initial after reconnect');
    expect(c.of('balance_updated')).toHaveLength(2);
    const snapshot = balanceInitialSchema.parse(c.of('balance_initial')[1]).meters[0]!;
    expect(snapshot.seq).toBe(lastSeenSeq + 100);
    // The snapshot is the truth the client converges to: same as the HTTP record.
    const http = await t.api<{ balanceKwh: number; seq: number }>(
      'GET',
      `/api/meters/${m.meterNo}`,
      undefined,
      customer.token,
    );
    expect(http.body).toMatchObject({ balanceKwh: snapshot.balance, seq: snapshot.seq });
    c.close();
  });
});
