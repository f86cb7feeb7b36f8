/**
 * Tariff versions an operator sets (issue 17 item 2): stored in `tariff_versions`, kept in memory
 * for pricing (which runs inside the crediting transaction and must not wait on a query), re-read
 * on every change made here and every TARIFF_REFRESH_MS for changes made by another instance.
 */
import {
  DEFAULT_TARIFF_GROUP,
  TariffError,
  quotePurchase,
  selectGroupTariff,
  tariffGroupOf,
  validateTariff,
  type Tariff,
} from '@umeme/core';
import type { Logger } from 'pino';
import { arrayLiteral, type Db } from '../db/db';
import { actorId, assertCan, type Caller } from '../shared/access';
import { iso } from '../shared/dates';
import { AppError } from '../shared/errors';
import {
  TARIFF_CANCEL_LEAD_MS,
  TARIFF_GROUPS_MAX,
  TARIFF_LIST_MAX,
  TARIFF_REFRESH_MS,
  type CreateTariffBody,
  type TariffBody,
  type TariffVersionRow,
} from './tariffs.schema';

interface VersionDbRow {
  id: string | number;
  name: string;
  tariff_group: string;
  tariff: TariffBody;
  effective_from: Date | string;
  created_by: string | null;
  created_at: Date | string;
  cancelled_at: Date | string | null;
}

/** A tariff version as pricing sees it: core's Tariff, with its row id ('flat' for the configured rate). */
export type PricedTariff = Tariff & { versionId: number | null };

/** The flat rate from configuration: the tariff from the beginning of time until a version replaces it. */
export function flatTariff(kesPerKwh: number): PricedTariff {
  const cents = Math.round(kesPerKwh * 1_000_000) / 10_000;
  const tariff: PricedTariff = {
    id: 'flat',
    versionId: null,
    name: `Flat ${kesPerKwh} KES/kWh`,
    effectiveFrom: 0,
    blocks: [{ upToKwh: null, energyRateCentsPerKwh: cents }],
  };
  validateTariff(tariff);
  return tariff;
}

const toTariff = (r: VersionDbRow): PricedTariff => ({
  ...r.tariff,
  id: `v${r.id}`,
  versionId: Number(r.id),
  name: r.name,
  group: r.tariff_group,
  effectiveFrom: new Date(r.effective_from).getTime(),
});

const VERSION_COLUMNS =
  'id, name, tariff_group, tariff, effective_from, created_by, created_at, cancelled_at';

export class TariffsService {
  /** live (not cancelled) versions, the flat rate first */
  private versions: PricedTariff[];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly fallback: PricedTariff,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    this.versions = [fallback];
  }

  /** Loads the versions and keeps them fresh; call once the database is migrated. */
  async start(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => {
      this.reload().catch((err: unknown) =>
        this.logger.warn({ err }, 'tariff reload failed; keeping the last versions'),
      );
    }, TARIFF_REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async reload(): Promise<void> {
    const { rows } = await this.db.query<VersionDbRow>(
      `SELECT ${VERSION_COLUMNS} FROM tariff_versions WHERE cancelled_at IS NULL ORDER BY effective_from`,
    );
    this.versions = [this.fallback, ...rows.map(toTariff)];
  }

  /** The version in force at `at` for a customer group, from memory: what prices a purchase. */
  inForce(at: Date | number, group: string = DEFAULT_TARIFF_GROUP): PricedTariff {
    return selectGroupTariff(this.versions, group, at);
  }

  /** Every live version, for pricing (see credit/pricing.ts). */
  all(): readonly PricedTariff[] {
    return this.versions;
  }

  /** The tariff in force now for a group and the next scheduled one: public, it is what everyone pays. */
  current(group: string = DEFAULT_TARIFF_GROUP): {
    inForce: Omit<TariffVersionRow, 'createdBy'>;
    next: Omit<TariffVersionRow, 'createdBy'> | null;
  } {
    const now = this.clock();
    const inForce = this.inForce(now, group);
    const own = this.versions.filter((v) => tariffGroupOf(v) === group);
    const next = own
      .filter((v) => (v.effectiveFrom as number) > now)
      .sort((a, b) => (a.effectiveFrom as number) - (b.effectiveFrom as number))[0];
    const shown = (v: PricedTariff, status: TariffVersionRow['status']) => {
      const { createdBy: _omit, ...row } = this.memoryRow(v, status);
      return row;
    };
    return { inForce: shown(inForce, 'in_force'), next: next ? shown(next, 'scheduled') : null };
  }

  /** What an amount buys at a group's tariff in force, from the start of a month, before debt and standing charge. */
  quote(
    amountKes: number,
    group: string = DEFAULT_TARIFF_GROUP,
  ): {
    tariffId: string;
    tariffName: string;
    amountCents: number;
    energyMwh: number;
    lines: { kind: string; code: string; label: string; amountCents: number; energyMwh?: number }[];
  } {
    const tariff = this.inForce(this.clock(), group);
    const q = quotePurchase({
      tariff,
      amountCents: amountKes * 100,
      purchasedThisMonthMwh: 0,
      standingChargeDue: false,
    });
    return {
      tariffId: q.tariffId,
      tariffName: tariff.name,
      amountCents: q.amountCents,
      energyMwh: q.energyMwh,
      lines: q.lines.map((l) => ({
        kind: l.kind,
        code: l.code,
        label: l.label,
        amountCents: l.amountCents,
        ...(l.energyMwh === undefined ? {} : { energyMwh: l.energyMwh }),
      })),
    };
  }

  async list(caller: Caller): Promise<{ versions: TariffVersionRow[]; fallback: TariffVersionRow }> {
    assertCan(caller, 'console.view');
    const { rows } = await this.db.query<VersionDbRow>(
      `SELECT ${VERSION_COLUMNS} FROM tariff_versions ORDER BY effective_from DESC, id DESC LIMIT ${TARIFF_LIST_MAX}`,
    );
    const now = this.clock();
    const inForceIds = new Set(
      [...new Set([DEFAULT_TARIFF_GROUP, ...rows.map((r) => r.tariff_group)])].map(
        (g) => this.inForce(now, g).versionId,
      ),
    );
    const inForceId = this.inForce(now).versionId;
    const versions = rows.map((r) => {
      const fromMs = new Date(r.effective_from).getTime();
      const status: TariffVersionRow['status'] =
        r.cancelled_at !== null
          ? 'cancelled'
          : inForceIds.has(Number(r.id))
            ? 'in_force'
            : fromMs > now
              ? 'scheduled'
              : 'past';
      return this.dbRow(r, status);
    });
    return { versions, fallback: this.memoryRow(this.fallback, inForceId === null ? 'in_force' : 'past') };
  }

  /** A new version, effective from now or later (never retroactive), audited. */
  async create(caller: Caller, body: CreateTariffBody): Promise<TariffVersionRow> {
    assertCan(caller, 'tariffs.manage');
    const now = this.clock();
    const fromMs = body.effectiveFrom === undefined ? now : Date.parse(body.effectiveFrom);
    if (fromMs < now) throw new AppError('TARIFF_RETROACTIVE');
    try {
      validateTariff({
        ...body.tariff,
        id: 'new',
        name: body.name,
        group: body.group,
        effectiveFrom: fromMs,
      });
    } catch (err) {
      if (err instanceof TariffError)
        throw new AppError('TARIFF_INVALID', err.message.replace(/^tariff "new": /, ''));
      throw err;
    }
    const row = await this.db.transaction(async (tx) => {
      const clash = await tx.query(
        `SELECT 1 FROM tariff_versions WHERE effective_from = $1 AND tariff_group = $2 AND cancelled_at IS NULL`,
        [new Date(fromMs), body.group],
      );
      if (clash.rowCount > 0) throw new AppError('TARIFF_SAME_TIME');
      const { rows } = await tx.query<VersionDbRow>(
        `INSERT INTO tariff_versions (name, tariff, effective_from, created_by, tariff_group)
         VALUES ($1, $2, $3, $4, $5)
         RETURNING ${VERSION_COLUMNS}`,
        [body.name, JSON.stringify(body.tariff), new Date(fromMs), actorId(caller), body.group],
      );
      const inserted = rows[0]!;
      await tx.query(
        `INSERT INTO audit_log (actor_id, actor_kind, action, target, details) VALUES ($1, 'user', 'tariff.created', $2, $3)`,
        [
          actorId(caller),
          `tariff:${inserted.id}`,
          JSON.stringify({
            name: body.name,
            group: body.group,
            effectiveFrom: new Date(fromMs).toISOString(),
            tariff: body.tariff,
            reason: body.reason ?? null,
          }),
        ],
      );
      return inserted;
    });
    await this.reload();
    return this.dbRow(row, fromMs > this.clock() ? 'scheduled' : 'in_force');
  }

  /** Cancels a version not yet in force (and not about to be), audited. */
  async cancel(caller: Caller, id: number, reason: string): Promise<TariffVersionRow> {
    assertCan(caller, 'tariffs.manage');
    const row = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<VersionDbRow>(
        `UPDATE tariff_versions SET cancelled_at = now(), cancelled_by = $2
          WHERE id = $1 AND cancelled_at IS NULL AND effective_from > $3
          RETURNING ${VERSION_COLUMNS}`,
        [id, actorId(caller), new Date(this.clock() + TARIFF_CANCEL_LEAD_MS)],
      );
      const cancelled = rows[0];
      if (!cancelled) {
        const exists = await tx.query(`SELECT 1 FROM tariff_versions WHERE id = $1`, [id]);
        throw new AppError(exists.rowCount > 0 ? 'TARIFF_NOT_CANCELLABLE' : 'TARIFF_NOT_FOUND');
      }
      await tx.query(
        `INSERT INTO audit_log (actor_id, actor_kind, action, target, details) VALUES ($1, 'user', 'tariff.cancelled', $2, $3)`,
        [actorId(caller), `tariff:${id}`, JSON.stringify({ name: cancelled.name, reason })],
      );
      return cancelled;
    });
    await this.reload();
    return this.dbRow(row, 'cancelled');
  }

  private dbRow(r: VersionDbRow, status: TariffVersionRow['status']): TariffVersionRow {
    return {
      id: Number(r.id),
      name: r.name,
      group: r.tariff_group,
      tariff: r.tariff,
      effectiveFrom: iso(r.effective_from)!,
      status,
      createdBy: r.created_by,
      createdAt: iso(r.created_at),
      cancelledAt: iso(r.cancelled_at),
    };
  }

  private memoryRow(v: PricedTariff, status: TariffVersionRow['status']): TariffVersionRow {
    const { id: _id, versionId, name, effectiveFrom, group, ...tariff } = v;
    return {
      id: versionId,
      name,
      group: group ?? DEFAULT_TARIFF_GROUP,
      tariff: JSON.parse(JSON.stringify(tariff)),
      effectiveFrom: new Date(effectiveFrom).toISOString(),
      status,
      createdBy: null,
      createdAt: null,
      cancelledAt: null,
    };
  }

  /** Groups that have meters or versions, with their meter counts and the version pricing each now. */
  async groups(caller: Caller): Promise<
    {
      group: string;
      meters: number;
      inForce: { id: number | null; name: string; group: string };
    }[]
  > {
    assertCan(caller, 'console.view');
    const { rows } = await this.db.query<{ tariff_group: string; n: number | string }>(
      `SELECT tariff_group, count(*) AS n FROM meters GROUP BY tariff_group ORDER BY tariff_group LIMIT ${TARIFF_GROUPS_MAX}`,
    );
    const counts = new Map(rows.map((r) => [r.tariff_group, Number(r.n)]));
    const names = new Set([DEFAULT_TARIFF_GROUP, ...counts.keys(), ...this.versions.map(tariffGroupOf)]);
    const now = this.clock();
    return [...names]
      .sort((a, b) => (a === DEFAULT_TARIFF_GROUP ? -1 : b === DEFAULT_TARIFF_GROUP ? 1 : a.localeCompare(b)))
      .slice(0, TARIFF_GROUPS_MAX)
      .map((group) => {
        const v = this.inForce(now, group);
        return {
          group,
          meters: counts.get(group) ?? 0,
          inForce: { id: v.versionId, name: v.name, group: tariffGroupOf(v) },
        };
      });
  }

  /**
   * Moves meters into a customer group, audited per meter: their next purchase is priced with
   * that group's tariff. Purchases already made keep their receipts (never retroactive).
   */
  async moveToGroup(
    caller: Caller,
    group: string,
    meterNos: readonly string[],
    reason: string,
  ): Promise<{ group: string; moved: number; notFound: string[] }> {
    assertCan(caller, 'tariffs.manage');
    const wanted = [...new Set(meterNos)];
    return this.db.transaction(async (tx) => {
      const { rows: found } = await tx.query<{ meter_no: string; tariff_group: string }>(
        `SELECT meter_no, tariff_group FROM meters WHERE meter_no = ANY($1::text[]) ORDER BY meter_no FOR UPDATE`,
        [arrayLiteral(wanted)],
      );
      const moving = found.filter((m) => m.tariff_group !== group);
      if (moving.length > 0) {
        const nos = arrayLiteral(moving.map((m) => m.meter_no));
        await tx.query(`UPDATE meters SET tariff_group = $2 WHERE meter_no = ANY($1::text[])`, [nos, group]);
        await tx.query(
          `INSERT INTO audit_log (actor_id, actor_kind, action, target, details)
           SELECT $1, 'user', 'meter.tariff_group', 'meter:' || m.no, jsonb_build_object('from', m.prev, 'to', $2::text, 'reason', $3::text)
             FROM unnest($4::text[], $5::text[]) AS m(no, prev)`,
          [actorId(caller), group, reason, nos, arrayLiteral(moving.map((m) => m.tariff_group))],
        );
      }
      const known = new Set(found.map((m) => m.meter_no));
      return { group, moved: moving.length, notFound: wanted.filter((n) => !known.has(n)) };
    });
  }
}
