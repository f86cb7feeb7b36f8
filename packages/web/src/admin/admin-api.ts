/**
 * The operator console's HTTP calls (`/api/admin/...`). Shapes mirror
 * packages/server/src/admin/admin.schema.ts, commands/, adjustments/, reports/ and
 * payments/orphans.schema.ts.
 */
import { ApiError, HTTP_TIMEOUT_MS, NetworkError } from '../api/http-client';

export const fleetFilters = ['offline', 'low_balance', 'relay_off', 'alerting'] as const;
export type FleetFilter = (typeof fleetFilters)[number];
export const fleetSorts = ['meterNo', 'balance', 'lastSeen', 'power'] as const;
export type FleetSortKey = (typeof fleetSorts)[number];
export type FleetSort = FleetSortKey | `-${FleetSortKey}`;
export const FLEET_PAGE_SIZE = 50;

export interface FleetRow {
  meterNo: string;
  userId: string | null;
  ownerName: string | null;
  ownerEmail: string | null;
  balanceKwh: number;
  balanceMwh: number;
  powerW: number | null;
  relay: 'on' | 'off';
  online: boolean;
  status: string;
  /** ISO time */
  lastSeen: string | null;
  fw: string | null;
  openAlerts: number;
  debtCents: number;
}

export interface FleetPage {
  meters: FleetRow[];
  next: string | null;
  total: number;
}

export interface AlertRow {
  id: number;
  meterNo: string;
  kind: string;
  severity: string;
  message: string;
  openedAt: string;
  closedAt: string | null;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
}

export interface CommandRow {
  id: string;
  meterNo: string;
  kind: string;
  payload: Record<string, unknown>;
  status: string;
  reason: string;
  createdBy: string | null;
  attempts: number;
  createdAt: string;
  sentAt: string | null;
  acknowledgedAt: string | null;
  expiresAt: string;
}

export interface AuditRow {
  id: number;
  actorId: string | null;
  actorKind: string;
  action: string;
  target: string | null;
  details: unknown;
  at: string;
}

export interface LedgerRow {
  id: number;
  kind: string;
  energyKwh: number;
  energyMwh: number;
  amountCents: number;
  creditLimitAfterMwh: number;
  runningCreditMwh: number;
  transactionId: string | null;
  memo: string | null;
  at: string;
}

export interface MeterDetail {
  meter: FleetRow & {
    creditLimitMwh: number;
    energyTotalMwh: number;
    e0Mwh: number;
    meterBalanceKwh: number | null;
    serverBalanceKwh: number;
    emergencyCreditKwh: number;
    lowBalanceKwh: number;
    publishIntervalS: number;
    maxLoadW: number | null;
    emergencyTakenAt: string | null;
    createdAt: string;
  };
  ledger: LedgerRow[];
  statusHistory: { status: string; relay: string | null; at: string }[];
  alerts: AlertRow[];
  readings: {
    seq: number;
    energyKwh: number;
    powerW: number | null;
    reportedAt: string | null;
    receivedAt: string;
  }[];
  commands: CommandRow[];
  audit: AuditRow[];
  registerHolds: RegisterHold[];
}

/** What an operator may decide about a held register jump (MQ-13). */
export type HoldAction = 'accept' | 'reset_epoch' | 'dismiss';

/** An implausible register jump held by ingest; mirrors register-holds.schema.ts. */
export interface RegisterHold {
  id: number;
  meterNo: string;
  status: 'held' | 'accepted' | 'rebased' | 'dismissed';
  reportKind: 'v2' | 'legacy';
  baseEnergyMwh: number;
  appliedEnergyMwh: number;
  heldFromMwh: number;
  heldEnergyMwh: number;
  allowedMwh: number;
  elapsedMs: number;
  ratedPowerW: number;
  reports: number;
  firstReceivedAt: string;
  lastReceivedAt: string;
  backOnRegister: boolean;
  actions: HoldAction[];
  openedAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  reason: string | null;
  debitedMwh: number | null;
  rebasedMwh: number | null;
}

const HOLD_ACTION_PATH: Record<HoldAction, string> = {
  accept: 'accept',
  reset_epoch: 'reset-epoch',
  dismiss: 'dismiss',
};

export interface ReportRow {
  period: string;
  moneyCents: number;
  moneyByChannelCents: Record<string, number>;
  ledgerAmountCents: number;
  soldMwh: number;
  soldKwh: number;
  consumedMwh: number;
  consumedKwh: number;
  adjustmentMwh: number;
  emergencyMwh: number;
  activeMeters: number;
  revenuePerMeterCents: number;
}

export interface Report {
  unit: 'day' | 'month';
  from: string;
  to: string;
  rows: ReportRow[];
  totals: Omit<ReportRow, 'period'>;
}

export type RelayAction = 'connect' | 'disconnect' | 'auto';

export const USERS_PAGE_SIZE = 50;
export const AUDIT_PAGE_SIZE = 50;

export interface UserRow {
  id: string;
  email: string;
  name: string;
  phone: string | null;
  role: string;
  meters: string[];
  createdAt: string;
}

export interface UsersQuery {
  q?: string;
  role?: 'customer' | 'admin' | null;
  after?: string | null;
  limit?: number;
}

export interface AuditEntry extends AuditRow {
  actorEmail: string | null;
}

export interface AuditQuery {
  target?: string;
  actor?: string;
  action?: string;
  before?: number | null;
  limit?: number;
}

/** A meter's device credentials; the server shows the secret once and keeps only its hash. */
export interface DeviceCredentials {
  mqttUsername: string;
  mqttPassword: string;
  mqttClientId: string;
}

export interface RegisterMeterInput {
  meterNo: string;
  ownerEmail?: string;
  userId?: string;
  openingCreditKwh?: number;
}

export interface ImportRow {
  line: number;
  meterNo: string;
  ok: boolean;
  error: string | null;
  mqttUsername: string | null;
  mqttPassword: string | null;
}

export interface ImportResult {
  rows: ImportRow[];
  created: number;
  failed: number;
}

export interface Posting {
  meterNo: string;
  transactionId: string;
  energyKwh: number;
  creditLimitKwh: number;
  balanceKwh: number;
}

export interface ConsumptionSeries {
  bucket: 'hour' | 'day';
  points: { start: string; energyKwh: number; maxPowerW: number | null; reports: number }[];
  totalKwh: number;
}

export type StatementFormat = 'csv' | 'html';

export const orphanStatuses = ['open', 'assigned', 'dismissed', 'all'] as const;
export type OrphanStatus = (typeof orphanStatuses)[number];
export const ORPHANS_PAGE_SIZE = 50;

/**
 * An M-Pesa STK callback whose CheckoutRequestID matched no payment request, awaiting (or past)
 * an operator's decision. The server also sends the amount in KES; the console uses the cents.
 */
export interface OrphanRow {
  id: string;
  checkoutRequestId: string | null;
  merchantRequestId: string | null;
  resultCode: number | null;
  resultDesc: string | null;
  /** null on a failure callback */
  amountCents: number | null;
  receipt: string | null;
  /** as M-Pesa sent it */
  phone: string | null;
  /** M-Pesa's YYYYMMDDHHmmss, Kenyan time */
  transactionDate: string | null;
  /** open, a success with a receipt and an amount: it can be assigned to a meter */
  creditable: boolean;
  receivedAt: string;
  state: 'open' | 'assigned' | 'dismissed';
  /** the operator's email */
  resolvedBy: string | null;
  resolvedAt: string | null;
  reason: string | null;
  meterNo: string | null;
  transactionId: string | null;
}

export interface OrphanAssigned {
  orphan: OrphanRow;
  /** false when this receipt had already been credited to the meter: nothing was added */
  credited: boolean;
  energyKwh: number | null;
  balanceKwh: number;
}

export function orphansQueryString(q: {
  status: OrphanStatus;
  cursor?: string | null;
  limit?: number;
}): string {
  const p = new URLSearchParams({ status: q.status });
  if (q.cursor) p.set('cursor', q.cursor);
  p.set('limit', String(q.limit ?? ORPHANS_PAGE_SIZE));
  return p.toString();
}

export function usersQueryString(q: UsersQuery): string {
  const p = new URLSearchParams();
  if (q.q?.trim()) p.set('q', q.q.trim());
  if (q.role) p.set('role', q.role);
  if (q.after) p.set('after', q.after);
  p.set('limit', String(q.limit ?? USERS_PAGE_SIZE));
  return p.toString();
}

export function auditQueryString(q: AuditQuery): string {
  const p = new URLSearchParams();
  if (q.target?.trim()) p.set('target', q.target.trim());
  if (q.actor?.trim()) p.set('actor', q.actor.trim());
  if (q.action?.trim()) p.set('action', q.action.trim());
  if (q.before) p.set('before', String(q.before));
  p.set('limit', String(q.limit ?? AUDIT_PAGE_SIZE));
  return p.toString();
}

/** Data rows in a meter CSV as the server counts them: blank lines and a `meterNo,` header skipped. */
export function countCsvRows(csv: string): number {
  return csv
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l, i) => l !== '' && !(i === 0 && /^meterno\s*(,|$)/i.test(l))).length;
}

export const statementPath = (userId: string, month: string, format: StatementFormat): string =>
  `/api/admin/statements/${encodeURIComponent(userId)}/${encodeURIComponent(month)}?format=${format}`;

export interface ConfigInput {
  publishIntervalS: number;
  lowBalanceKwh: number;
  emergencyCreditKwh: number;
  maxLoadW?: number;
  reason: string;
}

export function fleetQueryString(q: {
  filter?: FleetFilter | null;
  q?: string;
  sort?: FleetSort;
  cursor?: string | null;
  limit?: number;
}): string {
  const p = new URLSearchParams();
  if (q.filter) p.set('filter', q.filter);
  if (q.q?.trim()) p.set('q', q.q.trim());
  if (q.sort) p.set('sort', q.sort);
  if (q.cursor) p.set('cursor', q.cursor);
  p.set('limit', String(q.limit ?? FLEET_PAGE_SIZE));
  return p.toString();
}

export function reportPath(unit: 'daily' | 'monthly', from: string, to: string, csv = false): string {
  const p = new URLSearchParams({ from, to });
  if (csv) p.set('format', 'csv');
  return `/api/admin/reports/${unit}?${p}`;
}

/** One message of the SMS outbox as operators see it (phone masked). */
export interface SmsRow {
  id: string;
  createdAt: string;
  sentAt: string | null;
  deliveredAt: string | null;
  meterNo: string | null;
  phone: string;
  kind: string;
  lang: 'en' | 'sw';
  body: string;
  parts: number;
  status: 'queued' | 'sending' | 'sent' | 'delivered' | 'failed' | 'unknown' | 'cancelled';
  attempts: number;
  deliveryStatus: string | null;
  failureReason: string | null;
  lastError: string | null;
  /** ten-thousandths of a shilling */
  costTenThousandths: number | null;
}

export interface SmsOverview {
  gateway: 'africastalking' | 'emulator' | 'off';
  messages: SmsRow[];
  months: { month: string; messages: number; parts: number; costTenThousandths: number }[];
  counts: Record<string, number>;
}

export function createAdminApi(opts: { token: () => string; onUnauthorized: () => void }) {
  async function send(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer ${opts.token()}`,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      });
    } catch (err) {
      throw new NetworkError(err instanceof Error ? err.message : String(err));
    }
    if (!res.ok) {
      const o = (await res.json().catch(() => ({}))) as { error?: unknown; message?: unknown };
      if (res.status === 401) opts.onUnauthorized();
      throw new ApiError(
        res.status,
        typeof o.error === 'string' ? o.error : `HTTP_${res.status}`,
        typeof o.message === 'string' ? o.message : res.statusText || `HTTP ${res.status}`,
      );
    }
    return res;
  }
  const json = async <T>(method: string, path: string, body?: unknown): Promise<T> =>
    (await (await send(method, path, body)).json()) as T;
  const m = (meterNo: string) => `/api/admin/meters/${encodeURIComponent(meterNo)}`;

  return {
    fleet: (q: Parameters<typeof fleetQueryString>[0]) =>
      json<FleetPage>('GET', `/api/admin/meters?${fleetQueryString(q)}`),
    meter: (meterNo: string) => json<MeterDetail>('GET', m(meterNo)),
    relay: (meterNo: string, action: RelayAction, reason: string) =>
      json<CommandRow>('POST', `${m(meterNo)}/relay`, { action, reason }),
    config: (meterNo: string, input: ConfigInput) => json<CommandRow>('POST', `${m(meterNo)}/config`, input),
    adjust: (meterNo: string, energyKwh: number, reason: string) =>
      json<{ transactionId: string; balanceKwh: number }>('POST', `${m(meterNo)}/adjustments`, {
        energyKwh,
        reason,
      }),
    alerts: (open: boolean, before?: number | null) =>
      json<{ alerts: AlertRow[]; next: number | null }>(
        'GET',
        `/api/admin/alerts?open=${open}&limit=100${before ? `&before=${before}` : ''}`,
      ),
    ack: (id: number) => json<AlertRow>('POST', `/api/admin/alerts/${id}/ack`),
    registerHolds: () => json<{ holds: RegisterHold[] }>('GET', '/api/admin/register-holds?status=held'),
    decideHold: (id: number, action: HoldAction, reason: string) =>
      json<{ hold: RegisterHold; meter: { balanceMwh: number } }>(
        'POST',
        `/api/admin/register-holds/${id}/${HOLD_ACTION_PATH[action]}`,
        { reason },
      ),
    sms: (meterNo?: string) =>
      json<SmsOverview>(
        'GET',
        `/api/admin/sms?limit=100${meterNo ? `&meterNo=${encodeURIComponent(meterNo)}` : ''}`,
      ),
    report: (unit: 'daily' | 'monthly', from: string, to: string) =>
      json<Report>('GET', reportPath(unit, from, to)),
    reportCsv: async (unit: 'daily' | 'monthly', from: string, to: string) =>
      (await send('GET', reportPath(unit, from, to, true))).blob(),
    users: (q: UsersQuery) =>
      json<{ users: UserRow[]; next: string | null }>('GET', `/api/admin/users?${usersQueryString(q)}`),
    assign: (meterNo: string, userId: string | null, reason: string) =>
      json<{ meterNo: string; userId: string | null; previousUserId: string | null }>(
        'POST',
        `${m(meterNo)}/assign`,
        { userId, reason },
      ),
    registerMeter: (input: RegisterMeterInput) =>
      json<DeviceCredentials & { meterNo: string }>('POST', '/api/meters', input),
    importMeters: (csv: string) => json<ImportResult>('POST', '/api/admin/meters/import', { csv }),
    rotateSecret: (meterNo: string) =>
      json<DeviceCredentials>('POST', `/api/meters/${encodeURIComponent(meterNo)}/rotate-secret`),
    audit: (q: AuditQuery) =>
      json<{ entries: AuditEntry[]; next: number | null }>('GET', `/api/admin/audit?${auditQueryString(q)}`),
    moveTransaction: (transactionId: string, toMeterNo: string, reason: string) =>
      json<{ from: Posting; to: Posting }>(
        'POST',
        `/api/admin/transactions/${encodeURIComponent(transactionId)}/move`,
        { toMeterNo, reason },
      ),
    emergency: (meterNo: string) =>
      json<Posting & { debtCents: number }>('POST', `/api/meters/${encodeURIComponent(meterNo)}/emergency`),
    consumption: (meterNo: string, bucket: 'hour' | 'day', fromIso: string) =>
      json<ConsumptionSeries>(
        'GET',
        `/api/meters/${encodeURIComponent(meterNo)}/consumption?${new URLSearchParams({ bucket, from: fromIso })}`,
      ),
    orphans: (q: Parameters<typeof orphansQueryString>[0]) =>
      json<{ orphans: OrphanRow[]; nextCursor: string | null }>(
        'GET',
        `/api/admin/payments/orphans?${orphansQueryString(q)}`,
      ),
    assignOrphan: (id: string, meterNo: string, reason: string) =>
      json<OrphanAssigned>('POST', `/api/admin/payments/orphans/${encodeURIComponent(id)}/assign`, {
        meterNo,
        reason,
      }),
    dismissOrphan: (id: string, reason: string) =>
      json<OrphanRow>('POST', `/api/admin/payments/orphans/${encodeURIComponent(id)}/dismiss`, { reason }),
    /** The statement as a file (CSV) or a printable page (HTML); reading it emits `bill_generated`. */
    statement: async (userId: string, month: string, format: StatementFormat) =>
      (await send('GET', statementPath(userId, month, format))).blob(),
  };
}

export type AdminApi = ReturnType<typeof createAdminApi>;
