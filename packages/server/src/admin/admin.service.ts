import { isOnlineStatus, METER_NO_PATTERN_SOURCE, mwhToKwh } from '@umeme/protocol';
import type { Db } from '../db/db';
import type { EventBus } from '../shared/events';
import { actorId, assertCan, type Caller, type Role } from '../shared/access';
import { iso } from '../shared/dates';
import { AppError } from '../shared/errors';
import type { AuditQuery, FleetQuery, FleetRow } from './admin.schema';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface FleetDbRow {
  meter_no: string;
  user_id: string | null;
  owner_name: string | null;
  owner_email: string | null;
  balance_mwh: number;
  power_w: number | null;
  relay: 'on' | 'off';
  status: string;
  last_seen: Date | string | null;
  fw: string | null;
  open_alerts: number;
  debt_cents: number;
}

export function toFleetRow(r: FleetDbRow): FleetRow {
  return {
    meterNo: r.meter_no,
    userId: r.user_id,
    ownerName: r.owner_name,
    ownerEmail: r.owner_email,
    balanceKwh: mwhToKwh(r.balance_mwh),
    balanceMwh: r.balance_mwh,
    powerW: r.power_w,
    relay: r.relay,
    online: isOnlineStatus(r.status),
    status: r.status,
    lastSeen: iso(r.last_seen),
    fw: r.fw,
    openAlerts: r.open_alerts,
    debtCents: r.debt_cents,
  };
}

export const FLEET_SELECT = `SELECT m.meter_no, m.user_id, u.name AS owner_name, u.email AS owner_email,
    (m.credit_limit_mwh - m.energy_mwh) AS balance_mwh, m.power_w, m.relay, m.status, m.last_seen, m.fw,
    m.debt_cents,
    (SELECT count(*) FROM alerts a WHERE a.meter_no = m.meter_no AND a.closed_at IS NULL)::int AS open_alerts
  FROM meters m LEFT JOIN users u ON u.id = m.user_id`;

/** Sort keys as SQL expressions; every one is indexed together with the meter number. */
const SORT_SQL = {
  meterNo: null,
  balance: '(m.credit_limit_mwh - m.energy_mwh)',
  lastSeen: "COALESCE(m.last_seen, 'epoch'::timestamptz)",
  power: 'COALESCE(m.power_w, -1)',
} as const;

type Cursor = [string | number | null, string];
type SortKey = keyof typeof SORT_SQL;

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

const meterNoPattern = new RegExp(METER_NO_PATTERN_SOURCE);
/** What `to_char(…, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` writes for a lastSeen cursor. */
const CURSOR_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** Whether a cursor value has the type its sort key's SQL compares it as. */
const validCursorValue: Record<SortKey, (v: unknown) => boolean> = {
  meterNo: (v) => v === null,
  balance: (v) => typeof v === 'number' && Number.isSafeInteger(v),
  power: (v) => typeof v === 'number' && Number.isSafeInteger(v),
  lastSeen: (v) =>
    typeof v === 'string' &&
    CURSOR_TIMESTAMP.test(v) &&
    !Number.isNaN(Date.parse(v)) &&
    new Date(v).toISOString().slice(0, 19) === v.slice(0, 19),
};

/** A cursor is client input: each part is checked against the sort key before it reaches SQL. */
function decodeCursor(text: string, key: SortKey): Cursor {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    v = undefined;
  }
  if (
    Array.isArray(v) &&
    v.length === 2 &&
    typeof v[1] === 'string' &&
    meterNoPattern.test(v[1]) &&
    validCursorValue[key](v[0])
  ) {
    return v as Cursor;
  }
  throw new AppError('BAD_REQUEST', 'The cursor is not valid for this sort order.');
}

/** Fleet list, users, assignment: the admin's read and housekeeping side. */
export class AdminService {
  constructor(
    private readonly db: Db,
    private readonly bus?: EventBus,
  ) {}

  async fleet(
    caller: Caller,
    query: FleetQuery,
  ): Promise<{ meters: FleetRow[]; next: string | null; total: number }> {
    assertCan(caller, 'console.view');
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const where: string[] = [];
    switch (query.filter) {
      case 'offline':
        where.push(`m.status = 'offline'`);
        break;
      case 'low_balance':
        where.push(`(m.credit_limit_mwh - m.energy_mwh) <= m.low_balance_mwh`);
        break;
      case 'relay_off':
        where.push(`m.relay = 'off'`);
        break;
      case 'alerting':
        where.push(`EXISTS (SELECT 1 FROM alerts a WHERE a.meter_no = m.meter_no AND a.closed_at IS NULL)`);
        break;
      case undefined:
        break;
    }
    if (query.q) {
      const like = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      const ph = p(like);
      where.push(`(m.meter_no ILIKE ${ph} OR u.name ILIKE ${ph} OR u.email ILIKE ${ph})`);
    }
    const filterWhere = [...where];
    const desc = query.sort.startsWith('-');
    const key = (desc ? query.sort.slice(1) : query.sort) as SortKey;
    const expr = SORT_SQL[key];
    const dir = desc ? 'DESC' : 'ASC';
    const cmp = desc ? '<' : '>';
    if (query.cursor) {
      const [value, meterNo] = decodeCursor(query.cursor, key);
      if (expr === null) where.push(`m.meter_no ${cmp} ${p(meterNo)}`);
      else if (key === 'lastSeen')
        where.push(`(${expr}, m.meter_no) ${cmp} (${p(value)}::timestamptz, ${p(meterNo)})`);
      else where.push(`(${expr}, m.meter_no) ${cmp} (${p(value)}::bigint, ${p(meterNo)})`);
    }
    const order = expr === null ? `m.meter_no ${dir}` : `${expr} ${dir}, m.meter_no ${dir}`;
    const sortValue =
      expr === null
        ? ''
        : `, ${key === 'lastSeen' ? `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` : expr} AS sort_value`;
    const limitPh = p(query.limit + 1);
    const sql = `SELECT * FROM (${FLEET_SELECT.replace('FROM meters m', `${sortValue} FROM meters m`)}
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ${limitPh}) page`;
    const countParams = query.q ? [params[0]] : [];
    const [{ rows }, count] = await Promise.all([
      this.db.query<FleetDbRow & { sort_value?: string | number }>(sql, params),
      this.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM meters m LEFT JOIN users u ON u.id = m.user_id
          ${filterWhere.length ? `WHERE ${filterWhere.join(' AND ')}` : ''}`,
        countParams,
      ),
    ]);
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      meters: page.map(toFleetRow),
      next: rows.length > query.limit && last ? encodeCursor([last.sort_value ?? null, last.meter_no]) : null,
      total: count.rows[0]?.n ?? 0,
    };
  }

  async users(
    caller: Caller,
    query: {
      q?: string | undefined;
      role?: Role | 'operator' | undefined;
      after?: string | undefined;
      limit: number;
    },
  ) {
    assertCan(caller, 'console.view');
    const params: unknown[] = [query.after ?? '', query.limit + 1];
    let where = 'WHERE u.email > $1';
    if (query.q) {
      params.push(`%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      where += ` AND (u.email ILIKE $${params.length} OR u.name ILIKE $${params.length} OR u.phone ILIKE $${params.length})`;
    }
    if (query.role === 'operator') {
      where += ` AND u.role <> 'customer'`;
    } else if (query.role) {
      params.push(query.role);
      where += ` AND u.role = $${params.length}`;
    }
    const { rows } = await this.db.query<{
      id: string;
      email: string;
      name: string;
      phone: string | null;
      role: string;
      meters: string[] | null;
      created_at: Date | string;
      disabled_at: Date | string | null;
    }>(
      `SELECT u.id, u.email, u.name, u.phone, u.role, u.created_at, u.disabled_at,
              (SELECT array_agg(m.meter_no ORDER BY m.meter_no) FROM meters m WHERE m.user_id = u.id) AS meters
         FROM users u ${where} ORDER BY u.email LIMIT $2`,
      params,
    );
    const page = rows.slice(0, query.limit);
    return {
      users: page.map((u) => ({
        id: u.id,
        email: u.email,
        name: u.name,
        phone: u.phone,
        role: u.role,
        meters: u.meters ?? [],
        createdAt: iso(u.created_at)!,
        disabled: u.disabled_at !== null,
      })),
      next: rows.length > query.limit ? page[page.length - 1]!.email : null,
    };
  }

  /** Assigns a meter to a customer (or to nobody), audited. */
  async assign(caller: Caller, meterNo: string, userId: string | null, reason: string) {
    assertCan(caller, 'meters.manage');
    const moved = await this.db.transaction(async (tx) => {
      const m = await tx.query<{ user_id: string | null }>(
        `SELECT user_id FROM meters WHERE meter_no = $1 FOR UPDATE`,
        [meterNo],
      );
      if (!m.rows[0]) throw new AppError('METER_NOT_FOUND');
      if (userId !== null) {
        const u = await tx.query(`SELECT 1 FROM users WHERE id = $1`, [userId]);
        if (u.rowCount === 0) throw new AppError('USER_NOT_FOUND');
      }
      const from = m.rows[0].user_id;
      await tx.query(`UPDATE meters SET user_id = $2, event_seq = event_seq + 1 WHERE meter_no = $1`, [
        meterNo,
        userId,
      ]);
      await tx.query(
        `INSERT INTO audit_log (actor_id, actor_kind, action, target, details) VALUES ($1, 'user', 'meter.assigned', $2, $3)`,
        [actorId(caller), meterNo, JSON.stringify({ from, to: userId, reason })],
      );
      return from;
    });
    // Live views follow: the previous owner's sockets stop hearing this meter, the new owner's start.
    if (moved !== userId) this.bus?.emit('meter_assigned', { meterNo, from: moved, to: userId });
    return { meterNo, userId, previousUserId: moved };
  }

  /** The audit log, newest first; read-only (the database refuses updates and deletes). */
  async audit(caller: Caller, query: AuditQuery) {
    assertCan(caller, 'console.view');
    const params: unknown[] = [query.before ?? Number.MAX_SAFE_INTEGER, query.limit + 1];
    const where = ['a.id < $1'];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (query.target) where.push(`a.target = ${p(query.target)}`);
    if (query.actor) {
      where.push(
        UUID.test(query.actor)
          ? `a.actor_id = ${p(query.actor)}`
          : `a.actor_id IN (SELECT id FROM users WHERE email = ${p(query.actor.toLowerCase())})`,
      );
    }
    if (query.action) {
      where.push(
        query.action.endsWith('.')
          ? `starts_with(a.action, ${p(query.action)})`
          : `a.action = ${p(query.action)}`,
      );
    }
    const { rows } = await this.db.query<AuditDbRow & { actor_email: string | null }>(
      `SELECT a.id, a.actor_id, a.actor_kind, a.action, a.target, a.details, a.created_at, u.email AS actor_email
         FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
        WHERE ${where.join(' AND ')}
        ORDER BY a.id DESC LIMIT $2`,
      params,
    );
    const page = rows.slice(0, query.limit);
    return {
      entries: page.map((r) => ({ ...toAuditRow(r), actorEmail: r.actor_email })),
      next: rows.length > query.limit ? Number(page[page.length - 1]!.id) : null,
    };
  }

  /** Records presence changes for the meter detail; called after commit, so best effort. */
  recordStatus(meterNo: string, status: string, relay: string | null): Promise<unknown> {
    return this.db.query(`INSERT INTO meter_status_history (meter_no, status, relay) VALUES ($1, $2, $3)`, [
      meterNo,
      status,
      relay,
    ]);
  }
}

export interface AuditDbRow {
  id: number | string;
  actor_id: string | null;
  actor_kind: string;
  action: string;
  target: string | null;
  details: unknown;
  created_at: Date | string;
}

export const toAuditRow = (r: AuditDbRow) => ({
  id: Number(r.id),
  actorId: r.actor_id,
  actorKind: r.actor_kind,
  action: r.action,
  target: r.target,
  details: r.details,
  at: iso(r.created_at)!,
});
