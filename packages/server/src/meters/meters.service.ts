import { openingCreditLimitMwh } from '@umeme/core';
import { kwhToMwh, mwhToKwh } from '@umeme/protocol';
import type { Db } from '../db/db';
import { assertCan, assertMeterAccess, seesEverything, type Caller } from '../shared/access';
import { AppError } from '../shared/errors';
import type { EventBus } from '../shared/events';
import type { MeterBrokerAccounts } from '../mqtt/broker-accounts';
import { ACCOUNT_NO_SQL, chooseAccountNo } from './account-no';
import { hashDeviceSecret, newDeviceSecret, type DeviceCredentials } from './device-credentials';
import type { MeterResponse, RegisterMeterBody } from './meters.schema';
import { decideSupply, supplyInputsOf, type SupplyRow } from './supply';

interface MeterRow extends SupplyRow {
  meter_no: string;
  account_no: string;
  user_id: string | null;
  owner_name: string | null;
  e0_mwh: number;
  credit_limit_mwh: number;
  energy_mwh: number;
  relay: 'on' | 'off';
  status: string;
  last_seen: Date | string | null;
  power_w: number | null;
  fw: string | null;
  meter_balance_mwh: number | null;
  emergency_credit_mwh: number;
  low_balance_mwh: number;
  publish_interval_s: number;
  event_seq: number;
  created_at: Date | string;
  tariff_group: string;
}

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

export function toMeterResponse(r: MeterRow, friendlyHours = false): MeterResponse {
  const balanceMwh = r.credit_limit_mwh - r.energy_mwh;
  return {
    meterNo: r.meter_no,
    accountNo: r.account_no,
    userId: r.user_id,
    ownerName: r.owner_name,
    balanceKwh: mwhToKwh(balanceMwh),
    balanceMwh,
    creditLimitKwh: mwhToKwh(r.credit_limit_mwh),
    creditLimitMwh: r.credit_limit_mwh,
    energyTotalKwh: mwhToKwh(r.energy_mwh),
    energyTotalMwh: r.energy_mwh,
    e0Mwh: r.e0_mwh,
    relay: r.relay,
    status: r.status,
    lastSeen: iso(r.last_seen),
    powerW: r.power_w,
    fw: r.fw,
    meterBalanceKwh: r.meter_balance_mwh === null ? null : mwhToKwh(r.meter_balance_mwh),
    emergencyCreditKwh: mwhToKwh(r.emergency_credit_mwh),
    lowBalanceKwh: mwhToKwh(r.low_balance_mwh),
    publishIntervalS: r.publish_interval_s,
    seq: r.event_seq,
    createdAt: iso(r.created_at)!,
    tariffGroup: r.tariff_group,
    current_balance: mwhToKwh(balanceMwh),
    supply: decideSupply(
      { creditLimitMwh: r.credit_limit_mwh, energyMwh: r.energy_mwh },
      supplyInputsOf(r),
      friendlyHours,
    ),
  };
}

export const METER_SELECT = `SELECT m.meter_no, ${ACCOUNT_NO_SQL} AS account_no, m.user_id, u.name AS owner_name, m.e0_mwh, m.credit_limit_mwh, m.energy_mwh,
  m.relay, m.status, m.last_seen, m.power_w, m.fw, m.meter_balance_mwh, m.emergency_credit_mwh, m.low_balance_mwh,
  m.publish_interval_s, m.event_seq, m.created_at, m.tariff_group, m.relay_override, m.relay_override_reason,
  m.debt_cents
  FROM meters m LEFT JOIN users u ON u.id = m.user_id`;

export interface RotatedSecret {
  meterNo: string;
  mqttUsername: string;
  mqttClientId: string;
  /** empty when this meter's rotation failed (its old secret still holds) */
  mqttPassword: string;
  error: string | null;
}

/** meters rotated by one bulk request at most */
export const BULK_ROTATE_MAX = 5000;
/** rotations (database + broker) in flight at once during a bulk request */
const BULK_ROTATE_CONCURRENCY = 8;

export class MetersService {
  /** the external broker's account store (Mosquitto dynamic security), when the server manages one */
  private broker: MeterBrokerAccounts | null = null;
  /** whether friendly hours are on now, for the relay decision a meter's answer carries */
  private friendlyHoursNow: () => boolean = () => false;

  constructor(
    private readonly db: Db,
    private readonly devices: DeviceCredentials,
    private readonly bus: EventBus,
  ) {}

  useFriendlyHours(now: () => boolean): void {
    this.friendlyHoursNow = now;
  }

  /** From now on, every secret change is made on the broker too, inside the same transaction. */
  useBrokerAccounts(broker: MeterBrokerAccounts): void {
    this.broker = broker;
  }

  async get(caller: Caller, meterNo: string): Promise<MeterResponse> {
    const { rows } = await this.db.query<MeterRow>(`${METER_SELECT} WHERE m.meter_no = $1`, [meterNo]);
    const row = rows[0];
    assertMeterAccess(caller, meterNo, row ? { userId: row.user_id } : null);
    return toMeterResponse(row!, this.friendlyHoursNow());
  }

  async list(caller: Caller, limit: number, after?: string) {
    if (caller.kind !== 'user' && caller.kind !== 'system') throw new AppError('FORBIDDEN');
    const params: unknown[] = [after ?? '', limit + 1];
    let where = 'WHERE m.meter_no > $1';
    if (!seesEverything(caller) && caller.kind === 'user') {
      params.push(caller.userId);
      where += ' AND m.user_id = $3';
    }
    const { rows } = await this.db.query<MeterRow>(
      `${METER_SELECT} ${where} ORDER BY m.meter_no LIMIT $2`,
      params,
    );
    const page = rows.slice(0, limit);
    return {
      meters: page.map((r) => toMeterResponse(r, this.friendlyHoursNow())),
      next: rows.length > limit ? page[page.length - 1]!.meter_no : null,
    };
  }

  /** Registers a meter and returns its device secret, once. */
  async register(caller: Caller, body: RegisterMeterBody) {
    assertCan(caller, 'meters.manage');
    const e0Mwh = kwhToMwh(body.initialRegisterKwh ?? 0);
    const openingMwh = kwhToMwh(body.openingCreditKwh ?? 0);
    const secret = newDeviceSecret();
    await this.db.transaction(async (tx) => {
      let userId = body.userId ?? null;
      if (body.ownerEmail) {
        const u = await tx.query<{ id: string }>(`SELECT id FROM users WHERE email = $1`, [
          body.ownerEmail.toLowerCase(),
        ]);
        if (!u.rows[0]) throw new AppError('USER_NOT_FOUND', 'No user has that email.');
        userId = u.rows[0].id;
      } else if (userId) {
        const u = await tx.query(`SELECT 1 FROM users WHERE id = $1`, [userId]);
        if (u.rowCount === 0) throw new AppError('USER_NOT_FOUND');
      }
      const accountNo = await chooseAccountNo(tx, body.meterNo);
      const inserted = await tx.query(
        `INSERT INTO meters (meter_no, user_id, e0_mwh, credit_limit_mwh, energy_mwh, emergency_credit_mwh, low_balance_mwh,
                             max_load_w, account_no)
         VALUES ($1, $2, $3, $4, $3, $5, $6, $7, $8) ON CONFLICT (meter_no) DO NOTHING`,
        [
          body.meterNo,
          userId,
          e0Mwh,
          openingCreditLimitMwh(e0Mwh, openingMwh),
          kwhToMwh(body.emergencyCreditKwh ?? 0),
          kwhToMwh(body.lowBalanceKwh ?? 2),
          body.maxLoadW ?? null,
          accountNo,
        ],
      );
      if (inserted.rowCount === 0) throw new AppError('METER_EXISTS');
      await tx.query(`INSERT INTO device_credentials (meter_no, secret_hash) VALUES ($1, $2)`, [
        body.meterNo,
        hashDeviceSecret(secret),
      ]);
      if (openingMwh > 0) {
        const t = await tx.query<{ id: string }>(
          `INSERT INTO transactions (meter_no, user_id, type, source, status, amount_cents, energy_mwh, created_by, completed_at)
           VALUES ($1, $2, 'opening', 'opening', 'completed', 0, $3, $4, now()) RETURNING id`,
          [body.meterNo, userId, openingMwh, caller.kind === 'user' ? caller.userId : null],
        );
        await tx.query(
          `INSERT INTO ledger_entries (meter_no, transaction_id, kind, energy_mwh, credit_limit_after_mwh, memo)
           VALUES ($1, $2, 'opening', $3, $4, 'opening credit')`,
          [body.meterNo, t.rows[0]!.id, openingMwh, e0Mwh + openingMwh],
        );
      }
      await tx.query(
        `INSERT INTO audit_log (actor_id, actor_kind, action, target, details) VALUES ($1, 'user', 'meter.registered', $2, $3)`,
        [
          caller.kind === 'user' ? caller.userId : null,
          body.meterNo,
          JSON.stringify({ userId, e0Mwh, openingMwh }),
        ],
      );
      // Last: a broker that refuses the account rolls the registration back.
      await this.broker?.provisionMeter(body.meterNo, secret);
    });
    this.bus.emit('credit_limit_changed', {
      meterNo: body.meterNo,
      creditLimitMwh: e0Mwh + openingMwh,
      balanceMwh: openingMwh,
    });
    return {
      meterNo: body.meterNo,
      meter: await this.get(caller, body.meterNo),
      mqttUsername: body.meterNo,
      mqttPassword: secret,
      mqttClientId: body.meterNo,
    };
  }

  /** Issues a new device secret; the old one stops working at once. */
  async rotateSecret(caller: Caller, meterNo: string, audit?: { bulk: true; reason: string }) {
    assertCan(caller, 'meters.manage');
    const secret = newDeviceSecret();
    await this.db.transaction(async (tx) => {
      const r = await tx.query(
        `UPDATE device_credentials SET secret_hash = $2, created_at = now(), revoked_at = NULL WHERE meter_no = $1`,
        [meterNo, hashDeviceSecret(secret)],
      );
      if (r.rowCount === 0) throw new AppError('METER_NOT_FOUND');
      await tx.query(
        `INSERT INTO audit_log (actor_id, actor_kind, action, target, details) VALUES ($1, 'user', 'meter.secret_rotated', $2, $3)`,
        [caller.kind === 'user' ? caller.userId : null, meterNo, JSON.stringify(audit ?? {})],
      );
      await this.broker?.provisionMeter(meterNo, secret);
    });
    this.devices.forget(meterNo);
    this.bus.emit('device_credentials_changed', { meterNo, change: 'rotated' });
    return { mqttUsername: meterNo, mqttPassword: secret, mqttClientId: meterNo };
  }

  async revoke(caller: Caller, meterNo: string): Promise<void> {
    assertCan(caller, 'meters.manage');
    await this.db.transaction(async (tx) => {
      const r = await tx.query(`UPDATE device_credentials SET revoked_at = now() WHERE meter_no = $1`, [
        meterNo,
      ]);
      if (r.rowCount === 0) throw new AppError('METER_NOT_FOUND');
      await tx.query(
        `INSERT INTO audit_log (actor_id, actor_kind, action, target) VALUES ($1, 'user', 'meter.revoked', $2)`,
        [caller.kind === 'user' ? caller.userId : null, meterNo],
      );
      await this.broker?.disableMeter(meterNo);
    });
    this.devices.forget(meterNo);
    this.bus.emit('device_credentials_changed', { meterNo, change: 'revoked' });
  }

  /**
   * Active meters that cannot connect to the managed broker (registered before the server kept
   * its accounts, or made there by hand); empty when the server manages no broker.
   */
  async unprovisioned(caller: Caller): Promise<{ managed: boolean; meters: string[] }> {
    assertCan(caller, 'console.view');
    if (!this.broker) return { managed: false, meters: [] };
    return { managed: true, meters: await this.broker.unprovisioned(this.db) };
  }

  /**
   * New secrets for many meters at once (for re-flashing), each through rotateSecret: its own
   * transaction, audit row and broker change. The secrets exist only in the returned list.
   */
  async rotateSecrets(
    caller: Caller,
    body: { meterNos?: string[] | undefined; unprovisioned?: boolean | undefined; reason: string },
  ): Promise<RotatedSecret[]> {
    assertCan(caller, 'meters.manage');
    const wanted = new Set(body.meterNos ?? []);
    if (body.unprovisioned) for (const m of (await this.unprovisioned(caller)).meters) wanted.add(m);
    const meterNos = [...wanted].sort();
    if (meterNos.length > BULK_ROTATE_MAX) {
      throw new AppError('BAD_REQUEST', `At most ${BULK_ROTATE_MAX} meters per request.`);
    }
    const { rows } = await this.db.query<{ meter_no: string }>(
      `SELECT meter_no FROM device_credentials WHERE meter_no = ANY($1::text[])`,
      [meterNos],
    );
    const present = new Set(rows.map((r) => r.meter_no));
    const missing = meterNos.filter((m) => !present.has(m));
    if (missing.length > 0)
      throw new AppError('METER_NOT_FOUND', `No such meter: ${missing.slice(0, 5).join(', ')}`);
    const out: RotatedSecret[] = [];
    let next = 0;
    const worker = async () => {
      while (next < meterNos.length) {
        const meterNo = meterNos[next++]!;
        // One failure must not lose the secrets already issued: it is reported on its own line.
        try {
          const r = await this.rotateSecret(caller, meterNo, { bulk: true, reason: body.reason });
          out.push({ meterNo, ...r, error: null });
        } catch (err) {
          out.push({
            meterNo,
            mqttUsername: meterNo,
            mqttClientId: meterNo,
            mqttPassword: '',
            error: err instanceof AppError ? err.code : 'BROKER_UNAVAILABLE',
          });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(BULK_ROTATE_CONCURRENCY, meterNos.length) }, worker));
    return out.sort((a, b) => (a.meterNo < b.meterNo ? -1 : 1));
  }
}
