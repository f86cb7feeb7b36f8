// Protects the operator console (issue 5): reasons on adjustments, an append-only audit log, persistent commands, tamper and connection alerts, reports that add up.
import { describe, expect, it } from 'vitest';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { connectAsMeter, meterState, startTestApp, v2Report, waitFor, type TestApp } from '../helpers/app';
import { adminCaller, startAppForFile } from '../helpers/app-hooks';

let t: TestApp;
startAppForFile((app) => {
  t = app;
});
const admin = adminCaller(() => t);

const openAlertKinds = async (meterNo: string) => {
  const { rows } = await t.app.services.db.query<{ kind: string }>(
    `SELECT kind FROM alerts WHERE meter_no = $1 AND closed_at IS NULL ORDER BY kind`,
    [meterNo],
  );
  return rows.map((r) => r.kind);
};

describe('adjustments', () => {
  it('an adjustment without a reason is refused and changes nothing', async () => {
    const m = await t.newMeter({ openingCreditKwh: 5 });
    const before = await meterState(t, m.meterNo);
    for (const body of [{ energyKwh: 1 }, { energyKwh: 1, reason: '' }, { energyKwh: 1, reason: '   ' }]) {
      const r = await admin('POST', `/api/admin/meters/${m.meterNo}/adjustments`, body);
      expect(r.status).toBe(400);
    }
    expect(await meterState(t, m.meterNo)).toEqual(before);
  });

  it('a negative adjustment lowers the credit limit through the ledger and the audit log', async () => {
    const m = await t.newMeter({ openingCreditKwh: 5 });
    const r = await admin<{ balanceKwh: number }>('POST', `/api/admin/meters/${m.meterNo}/adjustments`, {
      energyKwh: -1.5,
      reason: 'meter read wrongly at commissioning',
    });
    expect(r.status).toBe(201);
    expect(r.body.balanceKwh).toBe(3.5);
    const s = await meterState(t, m.meterNo);
    expect(s.credit_limit_mwh).toBe(3_500_000);
    expect(s.e0_mwh + s.ledger_mwh).toBe(s.credit_limit_mwh);
    const detail = await admin<{
      ledger: { kind: string; energyMwh: number; memo: string }[];
      audit: { action: string }[];
    }>('GET', `/api/admin/meters/${m.meterNo}`);
    expect(detail.body.ledger[0]).toMatchObject({ kind: 'adjustment', energyMwh: -1_500_000 });
    expect(detail.body.audit.map((a) => a.action)).toContain('ledger.adjustment');
  });

  it('a payment moved to the right meter leaves a refund on one and a credit on the other', async () => {
    const wrong = await t.newMeter();
    const right = await t.newMeter();
    const paid = await t.app.services.credit.credit(SYSTEM, {
      meterNo: wrong.meterNo,
      amountCents: 10_000,
      source: 'mpesa_c2b',
      type: 'paybill',
      externalRef: `MOVE-${wrong.meterNo}`,
    });
    const r = await admin('POST', `/api/admin/transactions/${paid.transactionId}/move`, {
      toMeterNo: right.meterNo,
      reason: 'customer typed the wrong account number',
    });
    expect(r.status).toBe(201);
    expect((await meterState(t, wrong.meterNo)).credit_limit_mwh).toBe(0);
    expect((await meterState(t, right.meterNo)).credit_limit_mwh).toBe(paid.energyMwh);
    const again = await admin('POST', `/api/admin/transactions/${paid.transactionId}/move`, {
      toMeterNo: right.meterNo,
      reason: 'twice',
    });
    expect(again.status).toBe(409);
  });

  it('emergency credit is taken once at zero balance and recovered from the next purchase', async () => {
    const c = await t.newCustomer();
    const m = await t.newMeter({ userId: c.id });
    const first = await t.api<{ debtCents: number }>(
      'POST',
      `/api/meters/${m.meterNo}/emergency`,
      undefined,
      c.token,
    );
    expect(first.status).toBe(201);
    expect(first.body.debtCents).toBe(4_000);
    const second = await t.api('POST', `/api/meters/${m.meterNo}/emergency`, undefined, c.token);
    expect(second.status).toBe(409);
    const paid = await t.app.services.credit.credit(SYSTEM, {
      meterNo: m.meterNo,
      amountCents: 10_000,
      source: 'simulate',
      type: 'simulate',
      externalRef: `EMERG-${m.meterNo}`,
    });
    expect(paid.receipt?.recoveredDebtCents).toBe(4_000);
    // 60 KES left after the debt buys 3 kWh; with the 2 kWh advance C is 5 kWh
    expect(paid.energyMwh).toBe(3_000_000);
    const s = await meterState(t, m.meterNo);
    expect(s.credit_limit_mwh).toBe(5_000_000);
    const { rows } = await t.app.services.db.query<{ debt_cents: number }>(
      `SELECT debt_cents FROM meters WHERE meter_no = $1`,
      [m.meterNo],
    );
    expect(rows[0]!.debt_cents).toBe(0);
  });
});

describe('audit log', () => {
  it('the audit log cannot be edited through any route or in the database', async () => {
    const auditRoutes = t.app.routes.filter((r) => r.url.includes('audit'));
    expect(auditRoutes.map((r) => r.method)).toEqual(['GET']);
    const db = t.app.services.db;
    await expect(db.query(`UPDATE audit_log SET action = 'forged'`)).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const r = await admin(method, '/api/admin/audit', {});
      expect(r.status).toBe(404);
    }
  });
});

describe('remote commands', () => {
  it('a relay disconnect reaches the meter, is re-sent on reconnect and retired by the status ack', async () => {
    const m = await t.newMeter({ openingCreditKwh: 5 });
    const got: { action: string; id: string }[] = [];
    let meter = await connectAsMeter(t.mqttUrl, m);
    meter.on('message', (topic, payload) => {
      if (topic.endsWith('/command/relay'))
        got.push(JSON.parse(payload.toString()) as { action: string; id: string });
    });
    await meter.subscribeAsync(`smartmeter/${m.meterNo}/command/#`, { qos: 1 });
    const r = await admin<{ id: string; status: string }>('POST', `/api/admin/meters/${m.meterNo}/relay`, {
      action: 'disconnect',
      reason: 'customer reported a fault',
    });
    expect(r.status).toBe(201);
    await waitFor(() => got.length >= 1, 'relay command');
    expect(got[0]).toMatchObject({ action: 'disconnect', id: r.body.id });
    await meter.endAsync();

    // Reconnect without acknowledging: the command comes again when the meter says it is online.
    const again: { id: string }[] = [];
    meter = await connectAsMeter(t.mqttUrl, m);
    meter.on('message', (topic, payload) => {
      if (topic.endsWith('/command/relay')) again.push(JSON.parse(payload.toString()) as { id: string });
    });
    await meter.subscribeAsync(`smartmeter/${m.meterNo}/command/#`, { qos: 1 });
    await meter.publishAsync(
      `smartmeter/${m.meterNo}/status`,
      JSON.stringify({ meterNo: m.meterNo, status: 'online' }),
      { qos: 1 },
    );
    await waitFor(() => again.some((c) => c.id === r.body.id), 'relay command re-sent on reconnect');
    await meter.publishAsync(
      `smartmeter/${m.meterNo}/status`,
      JSON.stringify({ meterNo: m.meterNo, status: 'online', ack: r.body.id }),
      { qos: 1 },
    );
    const detail = await waitFor(async () => {
      const d = await admin<{
        commands: { id: string; status: string; attempts: number }[];
        audit: { action: string }[];
      }>('GET', `/api/admin/meters/${m.meterNo}`);
      return d.body.commands.find((c) => c.id === r.body.id)?.status === 'acknowledged' ? d.body : null;
    }, 'command acknowledged');
    expect(detail.commands[0]!.attempts).toBeGreaterThanOrEqual(2);
    expect(detail.audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['command.relay', 'command.acknowledged']),
    );
    await meter.endAsync();
  });

  it('an unacknowledged command expires and opens an alert for the operators', async () => {
    const m = await t.newMeter();
    const r = await admin<{ id: string }>('POST', `/api/admin/meters/${m.meterNo}/config`, {
      publishIntervalS: 60,
      lowBalanceKwh: 1,
      emergencyCreditKwh: 0,
      maxLoadW: 3000,
      reason: 'new tariff class',
    });
    expect(r.status).toBe(201);
    const expired = await t.app.services.operator.commands.expireDue(
      new Date(Date.now() + 2 * 24 * 3_600_000),
    );
    expect(expired).toBeGreaterThanOrEqual(1);
    expect(await openAlertKinds(m.meterNo)).toContain('command_expired');
  });
});

describe('alerts', () => {
  it('a meter whose own balance disagrees with the server in either direction opens balance_mismatch', async () => {
    const m = await t.newMeter({ openingCreditKwh: 10 });
    const meter = await connectAsMeter(t.mqttUrl, m);
    const send = (seq: number, kwh: number, remainingBalance: number) =>
      meter.publishAsync(
        `smartmeter/${m.meterNo}/consumption`,
        v2Report(m.meterNo, seq, kwh, { remainingBalance }),
        { qos: 1 },
      );
    const mismatchMessage = async () => {
      const { rows } = await t.app.services.db.query<{ message: string }>(
        `SELECT message FROM alerts WHERE meter_no = $1 AND kind = 'balance_mismatch' AND closed_at IS NULL`,
        [m.meterNo],
      );
      return rows[0]?.message ?? null;
    };
    await send(1, 0.1, 9.9);
    await waitFor(
      async () => (await meterState(t, m.meterNo)).energy_mwh === 100_000,
      'first report applied',
    );
    expect(await mismatchMessage()).toBeNull();
    // More credit than granted: the supply would stay on unpaid.
    await send(2, 0.2, 15);
    expect(await waitFor(mismatchMessage, 'mismatch above')).toContain('more credit');
    await send(3, 0.3, 9.7);
    await waitFor(async () => (await mismatchMessage()) === null, 'mismatch closed when they agree');
    // Less credit than granted: a lost command/balance would leave a paying customer in the dark.
    await send(4, 0.4, 4.6);
    expect(await waitFor(mismatchMessage, 'mismatch below')).toContain('less credit');
    await meter.endAsync();
  });

  it('tamper alerts open on consumption with the relay off and on power above the rating, and close again', async () => {
    const m = await t.newMeter({ openingCreditKwh: 50 });
    await admin('POST', `/api/admin/meters/${m.meterNo}/config`, {
      publishIntervalS: 30,
      lowBalanceKwh: 1,
      emergencyCreditKwh: 0,
      maxLoadW: 2000,
      reason: 'rated 2 kW',
    });
    const meter = await connectAsMeter(t.mqttUrl, m);
    const send = (seq: number, kwh: number, extra: Record<string, unknown>) =>
      meter.publishAsync(`smartmeter/${m.meterNo}/consumption`, v2Report(m.meterNo, seq, kwh, extra), {
        qos: 1,
      });
    // Registers a 2 kW meter can reach this soon after registration (more would be held, MQ-13).
    await send(1, 0.2, { relay: 'off', powerW: 0 });
    await send(2, 0.6, { relay: 'off', powerW: 400 });
    await waitFor(async () => (await openAlertKinds(m.meterNo)).includes('tamper_relay'), 'tamper alert');
    await send(3, 0.65, { relay: 'on', powerW: 2500 });
    await waitFor(async () => {
      const open = await openAlertKinds(m.meterNo);
      return open.includes('power_over_rated') && !open.includes('tamper_relay');
    }, 'overload open, relay tamper closed');
    await send(4, 0.7, { relay: 'on', powerW: 500 });
    await waitFor(
      async () => !(await openAlertKinds(m.meterNo)).includes('power_over_rated'),
      'overload closed',
    );
    const list = await admin<{ alerts: { id: number; meterNo: string; kind: string }[] }>(
      'GET',
      `/api/admin/alerts?open=false&meterNo=${m.meterNo}`,
    );
    expect(list.body.alerts.map((a) => a.kind)).toEqual(
      expect.arrayContaining(['tamper_relay', 'power_over_rated']),
    );
    const ack = await admin<{ acknowledgedAt: string | null }>(
      'POST',
      `/api/admin/alerts/${list.body.alerts[0]!.id}/ack`,
    );
    expect(ack.status).toBe(200);
    expect(ack.body.acknowledgedAt).not.toBeNull();
    await meter.endAsync();
  });

  it('a meter silent for three intervals is marked lost, and its next report closes the alert', async () => {
    const m = await t.newMeter({ openingCreditKwh: 50 });
    const meter = await connectAsMeter(t.mqttUrl, m);
    await meter.publishAsync(`smartmeter/${m.meterNo}/consumption`, v2Report(m.meterNo, 1, 1), { qos: 1 });
    await waitFor(async () => (await meterState(t, m.meterNo)).energy_mwh === 1_000_000, 'report applied');
    const sweep = t.app.services.operator.alerts;
    expect(await sweep.sweepConnectionLost(new Date(Date.now() + 60_000))).toBe(0);
    expect(await sweep.sweepConnectionLost(new Date(Date.now() + 4 * 30_000))).toBeGreaterThanOrEqual(1);
    expect(await openAlertKinds(m.meterNo)).toContain('connection_lost');
    const offline = await admin<{ meters: { meterNo: string }[] }>(
      'GET',
      `/api/admin/meters?filter=offline&q=${m.meterNo}`,
    );
    expect(offline.body.meters.map((x) => x.meterNo)).toEqual([m.meterNo]);
    await meter.publishAsync(`smartmeter/${m.meterNo}/consumption`, v2Report(m.meterNo, 2, 1.1), { qos: 1 });
    await waitFor(async () => !(await openAlertKinds(m.meterNo)).includes('connection_lost'), 'alert closed');
    await meter.endAsync();
  });
});

describe('reports', () => {
  it('report sums equal the ledger to the cent and the register to the milliwatt-hour', async () => {
    const t2 = await startTestApp();
    try {
      const meters = [await t2.newMeter(), await t2.newMeter(), await t2.newMeter()];
      const sources = ['mpesa_stk', 'mpesa_c2b', 'topup'] as const;
      let paid = 0;
      for (const [i, m] of meters.entries()) {
        for (let k = 0; k < 3; k++) {
          const cents = 1_234 + i * 1_001 + k * 77;
          paid += cents;
          await t2.app.services.credit.credit(SYSTEM, {
            meterNo: m.meterNo,
            amountCents: cents,
            source: sources[(i + k) % 3]!,
            type: 'payment',
            externalRef: `R-${m.meterNo}-${k}`,
          });
        }
      }
      const client = await connectAsMeter(t2.mqttUrl, meters[0]!);
      await client.publishAsync(
        `smartmeter/${meters[0]!.meterNo}/consumption`,
        v2Report(meters[0]!.meterNo, 1, 0.123457),
        { qos: 1 },
      );
      await waitFor(async () => (await meterState(t2, meters[0]!.meterNo)).energy_mwh > 0, 'consumption');
      await client.endAsync();
      const today = new Date(Date.now() + 3 * 3_600_000).toISOString().slice(0, 10);
      const r = await t2.api<{
        totals: {
          moneyCents: number;
          ledgerAmountCents: number;
          moneyByChannelCents: Record<string, number>;
          consumedMwh: number;
          soldMwh: number;
        };
      }>('GET', `/api/admin/reports/daily?from=${today}&to=${today}`, undefined, t2.adminToken);
      expect(r.status).toBe(200);
      const { rows } = await t2.app.services.db.query<{ cents: number; mwh: number; used: number }>(
        `SELECT (SELECT SUM(amount_cents)::bigint FROM ledger_entries) AS cents,
                (SELECT SUM(energy_mwh)::bigint FROM ledger_entries WHERE kind = 'purchase') AS mwh,
                (SELECT SUM(energy_mwh - e0_mwh)::bigint FROM meters) AS used`,
      );
      expect(r.body.totals.moneyCents).toBe(paid);
      expect(r.body.totals.ledgerAmountCents).toBe(rows[0]!.cents);
      expect(Object.values(r.body.totals.moneyByChannelCents).reduce((a, b) => a + b, 0)).toBe(paid);
      expect(r.body.totals.soldMwh).toBe(rows[0]!.mwh);
      expect(r.body.totals.consumedMwh).toBe(rows[0]!.used);
      expect(r.body.totals.consumedMwh).toBe(123_457);
      const csv = await fetch(
        `${t2.url}/api/admin/reports/monthly?from=${today.slice(0, 7)}&to=${today.slice(0, 7)}&format=csv`,
        {
          headers: { authorization: `Bearer ${t2.adminToken}` },
        },
      );
      expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
      expect((await csv.text()).split('\r\n')[0]).toMatch(/^period,money_kes/);
    } finally {
      await t2.close();
    }
  });

  it('a customer can read and download their own monthly statement', async () => {
    const c = await t.newCustomer();
    const m = await t.newMeter({ userId: c.id });
    await t.app.services.credit.credit(SYSTEM, {
      meterNo: m.meterNo,
      amountCents: 5_000,
      source: 'mpesa_stk',
      type: 'payment',
      externalRef: `ST-${m.meterNo}`,
    });
    const month = new Date(Date.now() + 3 * 3_600_000).toISOString().slice(0, 7);
    const own = await t.api<{ totals: { paidCents: number } }>(
      'GET',
      `/api/statements/${month}`,
      undefined,
      c.token,
    );
    expect(own.status).toBe(200);
    expect(own.body.totals.paidCents).toBe(5_000);
    const html = await t.api<string>('GET', `/api/statements/${month}?format=html`, undefined, c.token);
    expect(html.body).toContain('<table>');
    const theirs = await t.api('GET', `/api/admin/statements/${c.id}/${month}`, undefined, c.token);
    expect(theirs.status).toBe(403);
  });

  it('a statement is in the customer SMS language, or the language asked for', async () => {
    const c = await t.newCustomer();
    const m = await t.newMeter({ userId: c.id });
    await t.app.services.credit.credit(SYSTEM, {
      meterNo: m.meterNo,
      amountCents: 2_000,
      source: 'mpesa_stk',
      type: 'payment',
      externalRef: `SW-${m.meterNo}`,
    });
    const month = new Date(Date.now() + 3 * 3_600_000).toISOString().slice(0, 7);
    const saved = await t.api('PUT', '/api/me/sms', { lang: 'sw', optOut: false }, c.token);
    expect(saved.status).toBe(200);
    const html = await t.api<string>('GET', `/api/statements/${month}?format=html`, undefined, c.token);
    expect(html.body).toContain('<html lang="sw">');
    expect(html.body).toContain('Taarifa ya akaunti');
    expect(html.body).toContain('<td>malipo</td><td>imekamilika</td>');
    const csv = await t.api<string>('GET', `/api/statements/${month}?format=csv`, undefined, c.token);
    expect(csv.body.split('\r\n')[0]).toMatch(/^tarehe,mita,aina/);
    // The operator's copy follows the customer's language too, unless another is asked for.
    const english = await t.api<string>(
      'GET',
      `/api/admin/statements/${c.id}/${month}?format=html&lang=en`,
      undefined,
      t.adminToken,
    );
    expect(english.body).toContain('<h1>Statement ');
    expect(english.body).toContain('<td>payment</td><td>completed</td>');
  });
});

describe('fleet view', () => {
  it('the fleet list pages with a cursor and filters by relay state', async () => {
    const ms = [await t.newMeter(), await t.newMeter(), await t.newMeter()];
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { body: { meters: { meterNo: string }[]; next: string | null } } = await admin(
        'GET',
        `/api/admin/meters?sort=-balance&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...r.body.meters.map((x) => x.meterNo));
      cursor = r.body.next;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const m of ms) expect(seen).toContain(m.meterNo);
    const off = await admin<{ meters: { relay: string }[] }>(
      'GET',
      '/api/admin/meters?filter=relay_off&limit=200',
    );
    expect(off.body.meters.every((x) => x.relay === 'off')).toBe(true);
  });
});
