// Protects RT-4 / RT-5: a socket that watched its own meter, dropped, and came back after the meter moved to another customer hears nothing of the new household.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceInitialSchema, subscribeMeterAckSchema } from '@umeme/protocol';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { connectAsMeter, startTestApp, v2Report, waitFor, type TestApp } from '../helpers/app';
import { scratchDatabase } from '../helpers/scratch-db';
import { connected, openReadySocket, type RecordingClient } from '../helpers/sockets';

const REDIS_URL = process.env.REDIS_URL;
const DATABASE_URL = process.env.DATABASE_URL;

/** Cuts the connection the way a lost network does: no goodbye to the server. */
function dropNetwork(c: RecordingClient): void {
  (c.socket.io.engine as unknown as { close(): void }).close();
}

function credit(t: TestApp, meterNo: string, tag: string) {
  return t.app.services.credit.credit(SYSTEM, {
    meterNo,
    amountCents: 1_000,
    source: 'simulate',
    type: 'simulate',
    externalRef: `${tag}-${meterNo}-${randomBytes(3).toString('hex')}`,
  });
}

/** Events since `from` that name the meter anywhere in their payload. */
const naming = (c: RecordingClient, meterNo: string, from: number) =>
  c.events.slice(from).filter((e) => JSON.stringify(e.payload).includes(meterNo));

/**
 * The exact sequence of the finding: `home` is where the old owner's socket lives and recovers,
 * `operator` takes the operator's move, `ledger` makes the credits and takes the meter's report.
 */
async function movedMeterStaysSilent(home: TestApp, operator: TestApp, ledger: TestApp): Promise<void> {
  const [a, b] = [await home.newCustomer(), await home.newCustomer()];
  const moved = await home.newMeter({ userId: a.id, openingCreditKwh: 5 });
  // A meter A keeps: its credit, heard after the moved meter's events, shows those had their chance.
  const kept = await home.newMeter({ userId: a.id, openingCreditKwh: 1 });

  const sa = await openReadySocket(home.url, a.token);
  const ack = subscribeMeterAckSchema.parse(
    await sa.socket.timeout(5000).emitWithAck('subscribe_meter', moved.meterNo),
  );
  expect(ack.ok).toBe(true);
  await credit(ledger, moved.meterNo, 'before-move');
  await waitFor(() => sa.of('transaction_completed').length === 1, 'the owner hears its own meter');

  dropNetwork(sa);
  await waitFor(() => home.app.realtime.localSockets === 0, 'the server to notice the drop');
  const assigned = await operator.api(
    'POST',
    `/api/admin/meters/${moved.meterNo}/assign`,
    { userId: b.id, reason: 'tenant moved out' },
    operator.adminToken,
  );
  expect(assigned.status).toBe(200);
  const sb = await openReadySocket(ledger.url, b.token);
  // While A is away: a credit of the new household's, kept for recovery if A were still entitled.
  await credit(ledger, moved.meterNo, 'while-away');
  await waitFor(() => sb.of('payment_success').length === 1, 'the new owner hears the first credit');

  const sinceDrop = sa.events.length;
  sa.socket.connect();
  await connected(sa);
  await waitFor(() => sa.events.slice(sinceDrop).some((e) => e.event === 'balance_initial'), 'a snapshot');

  // The new household buys and consumes.
  await credit(ledger, moved.meterNo, 'after-recovery');
  const meter = await connectAsMeter(ledger.mqttUrl, moved);
  try {
    await meter.publishAsync(`smartmeter/${moved.meterNo}/consumption`, v2Report(moved.meterNo, 1, 0.5), {
      qos: 1,
    });
    await waitFor(() => sb.of('payment_success').length === 2, 'the new owner hears the second credit');
    await waitFor(
      () => sb.of('balance_updated').some((p) => p.transactionType === 'consumption'),
      'the new owner hears the consumption',
    );
  } finally {
    await meter.endAsync();
  }
  // Events reach a socket in the order they were emitted: once A hears its own meter's credit,
  // anything about the moved meter emitted before it would have arrived already.
  await credit(ledger, kept.meterNo, 'sentinel');
  await waitFor(
    () =>
      sa.events
        .slice(sinceDrop)
        .some((e) => e.event === 'transaction_completed' && e.payload.meterNo === kept.meterNo),
    'the old owner hears its remaining meter',
  );

  const leaked = naming(sa, moved.meterNo, sinceDrop);
  expect(leaked.filter((e) => e.event !== 'balance_initial').map((e) => e.event)).toEqual([]);
  for (const e of sa.events.slice(sinceDrop).filter((x) => x.event === 'balance_initial')) {
    expect(balanceInitialSchema.parse(e.payload).meters.map((m) => m.meterNo)).not.toContain(moved.meterNo);
  }
  // Asking again, now, is refused like any foreign meter.
  const again = subscribeMeterAckSchema.parse(
    await sa.socket.timeout(5000).emitWithAck('subscribe_meter', moved.meterNo),
  );
  expect(again).toEqual({ ok: false, error: 'METER_NOT_FOUND', message: 'Meter not found.' });
  sa.close();
  sb.close();
}

describe('RT-5 a recovered socket after its meter changed hands (one instance)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { SOCKET_RECOVERY_S: 30 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('the old owner’s recovered socket receives none of the new household’s events', async () => {
    await movedMeterStaysSilent(t, t, t);
  });
});

describe.skipIf(!REDIS_URL || !DATABASE_URL)(
  'RT-5 a recovered socket after its meter changed hands (two instances on Redis)',
  () => {
    let db: { url: string; drop: () => Promise<void> };
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      db = await scratchDatabase(DATABASE_URL!, 'umeme_rt5');
      // One database, one Redis, one signing key: two instances behind a load balancer.
      const shared = {
        DATABASE_URL: db.url,
        REDIS_URL,
        JWT_SECRET: randomBytes(32).toString('hex'),
        SOCKET_RECOVERY_S: 30,
        LOG_LEVEL: 'silent' as const,
      };
      a = await startTestApp('pglite', { ...shared, INSTANCE_ID: 'rt5-a' });
      b = await startTestApp('pglite', { ...shared, INSTANCE_ID: 'rt5-b' });
    }, 60_000);
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await db?.drop();
    });

    it('the old owner’s socket, recovered on one instance while the other moved the meter, hears nothing of it', async () => {
      await movedMeterStaysSilent(a, b, b);
    });

    it('nor when the move, the credits and the recovery all happen on the socket’s own instance', async () => {
      await movedMeterStaysSilent(a, a, b);
    });
  },
);
