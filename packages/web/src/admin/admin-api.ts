/**
 * The operator console's HTTP calls (`/api/admin/...`), typed by the generated contract
 * (api/openapi.gen.ts from docs/openapi.json): a field the server renames breaks the typecheck,
 * not the console. The query builders below keep the console's defaults (page sizes, trimmed text).
 */
import { answer, ApiError, createApiClient, timeout } from '../api/http-client';
import type { Answer, Body } from '../api/api-types';
import type { paths } from '../api/openapi.gen';

export const fleetFilters = ['offline', 'low_balance', 'relay_off', 'alerting'] as const;
export type FleetFilter = (typeof fleetFilters)[number];
export const fleetSorts = ['meterNo', 'balance', 'lastSeen', 'power'] as const;
export type FleetSortKey = (typeof fleetSorts)[number];
export type FleetSort = FleetSortKey | `-${FleetSortKey}`;
export const FLEET_PAGE_SIZE = 50;

type Query<P extends keyof paths, M extends 'get' | 'post'> = paths[P][M] extends {
  parameters: { query?: infer Q };
}
  ? NonNullable<Q>
  : never;

export type FleetPage = Answer<'/api/admin/meters', 'get'>;
export type FleetRow = FleetPage['meters'][number];
export type MeterDetail = Answer<'/api/admin/meters/{meterNo}', 'get'>;
export type LedgerRow = MeterDetail['ledger'][number];
export type AlertRow = Answer<'/api/admin/alerts/{id}/ack', 'post'>;
export type CommandRow = Answer<'/api/admin/meters/{meterNo}/relay', 'post'>;
export type AuditPage = Answer<'/api/admin/audit', 'get'>;
export type AuditEntry = AuditPage['entries'][number];
/** An implausible register jump held by ingest (MQ-13). */
export type RegisterHold = Answer<'/api/admin/register-holds', 'get'>['holds'][number];
/** What an operator may decide about a held register jump. */
export type HoldAction = RegisterHold['actions'][number];
/** A report as JSON (the same route answers CSV with `format=csv`). */
export type Report = Exclude<Answer<'/api/admin/reports/daily', 'get'>, string>;
export type RelayAction = Body<'/api/admin/meters/{meterNo}/relay', 'post'>['action'];
export type ConfigInput = Body<'/api/admin/meters/{meterNo}/config', 'post'>;
export type UserRow = Answer<'/api/admin/users', 'get'>['users'][number];
export type RegisterMeterInput = Body<'/api/meters', 'post'>;
/** A meter's device credentials; the server shows the secret once and keeps only its hash. */
export type DeviceCredentials = Answer<'/api/meters/{meterNo}/rotate-secret', 'post'>;
export type ImportResult = Answer<'/api/admin/meters/import', 'post'>;
export type ConsumptionSeries = Answer<'/api/meters/{meterNo}/consumption', 'get'>;
/**
 * An M-Pesa STK callback whose CheckoutRequestID matched no payment request, awaiting (or past)
 * an operator's decision.
 */
export type OrphanRow = Answer<'/api/admin/payments/orphans/{id}/dismiss', 'post'>;
export type OrphanAssigned = Answer<'/api/admin/payments/orphans/{id}/assign', 'post'>;

export type LedgerSource = LedgerRow['source'];
export type AlertKind = NonNullable<Query<'/api/admin/alerts', 'get'>['kind']>;
/** The Alerts page's server-side filters: one kind, one meter. */
export interface AlertFilter {
  kind?: AlertKind | null;
  meterNo?: string;
}
export type FriendlyHoursSettings = Answer<'/api/admin/friendly-hours', 'get'>;
export type FriendlyHoursInput = Body<'/api/admin/friendly-hours', 'put'>;

export type TariffList = Answer<'/api/admin/tariffs', 'get'>;
export type TariffVersion = TariffList['versions'][number];
export type NewTariff = Body<'/api/admin/tariffs', 'post'>;
export type TariffGroups = Answer<'/api/admin/tariff-groups', 'get'>['groups'];
export type MovedToGroup = Answer<'/api/admin/tariff-groups/{group}/meters', 'post'>;
export type Me = Answer<'/api/me', 'get'>;
export type Permission = Me['permissions'][number];
export type Role = Me['role'];
export type OperatorRole = Body<'/api/admin/operators', 'post'>['role'];
export const operatorRoles: readonly OperatorRole[] = ['viewer', 'support', 'admin'];
export type ManagedUser = Answer<'/api/admin/users/{id}/role', 'post'>;
export type TemporaryPassword = Answer<'/api/admin/users/{id}/password-reset', 'post'>;

export const USERS_PAGE_SIZE = 50;
export const AUDIT_PAGE_SIZE = 50;

export interface UsersQuery {
  q?: string;
  role?: 'customer' | 'operator' | null;
  after?: string | null;
  limit?: number;
}

export interface AuditQuery {
  target?: string;
  actor?: string;
  action?: string;
  before?: number | null;
  limit?: number;
}

export type StatementFormat = 'csv' | 'html';

export const orphanStatuses = ['open', 'assigned', 'dismissed', 'all'] as const;
export type OrphanStatus = (typeof orphanStatuses)[number];
export const ORPHANS_PAGE_SIZE = 50;

const text = (v: string | undefined): string | undefined => (v?.trim() ? v.trim() : undefined);

/** The orphan payments page's query: a status, the previous page's cursor, a page size. */
export function orphansQuery(q: {
  status: OrphanStatus;
  cursor?: string | null;
  limit?: number;
}): Query<'/api/admin/payments/orphans', 'get'> {
  return { status: q.status, cursor: q.cursor ?? undefined, limit: q.limit ?? ORPHANS_PAGE_SIZE };
}

export function usersQuery(q: UsersQuery): Query<'/api/admin/users', 'get'> {
  return {
    q: text(q.q),
    role: q.role ?? undefined,
    after: q.after ?? undefined,
    limit: q.limit ?? USERS_PAGE_SIZE,
  };
}

export function auditQuery(q: AuditQuery): Query<'/api/admin/audit', 'get'> {
  return {
    target: text(q.target),
    actor: text(q.actor),
    action: text(q.action),
    before: q.before ?? undefined,
    limit: q.limit ?? AUDIT_PAGE_SIZE,
  };
}

export function fleetQuery(q: {
  filter?: FleetFilter | null;
  q?: string;
  sort?: FleetSort;
  cursor?: string | null;
  limit?: number;
}): Query<'/api/admin/meters', 'get'> {
  return {
    filter: q.filter ?? undefined,
    q: text(q.q),
    sort: q.sort,
    cursor: q.cursor ?? undefined,
    limit: q.limit ?? FLEET_PAGE_SIZE,
  };
}

/** Data rows in a meter CSV as the server counts them: blank lines and a `meterNo,` header skipped. */
export function countCsvRows(csv: string): number {
  return csv
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l, i) => l !== '' && !(i === 0 && /^meterno\s*(,|$)/i.test(l))).length;
}

/** A report as a link (the CSV download). */
export function reportPath(unit: 'daily' | 'monthly', from: string, to: string, csv = false): string {
  const p = new URLSearchParams({ from, to });
  if (csv) p.set('format', 'csv');
  return `/api/admin/reports/${unit}?${p}`;
}

/** Manual top-up requests (cash at an agent, bank transfer) as operators review them. */
export type TopupsQuery = Query<'/transactions/topup', 'get'>;
export const TOPUPS_QUEUE_MAX = 200;

/** The SMS outbox as operators see it: recent messages (phones masked), counts, months. */
export type SmsOverview = Answer<'/api/admin/sms', 'get'>;
/** One message of the SMS outbox. */
export type SmsRow = SmsOverview['messages'][number];

export function createAdminApi(opts: { token: () => string; onUnauthorized: () => void }) {
  const api = createApiClient(opts);
  const meter = (meterNo: string) => ({ path: { meterNo } });
  const id = <T extends string | number>(v: T) => ({ path: { id: v } });
  const reportRoute = (unit: 'daily' | 'monthly') =>
    unit === 'daily' ? ('/api/admin/reports/daily' as const) : ('/api/admin/reports/monthly' as const);
  const holdRoute = {
    accept: '/api/admin/register-holds/{id}/accept',
    reset_epoch: '/api/admin/register-holds/{id}/reset-epoch',
    dismiss: '/api/admin/register-holds/{id}/dismiss',
  } as const;

  return {
    fleet: (q: Parameters<typeof fleetQuery>[0]) =>
      answer(api.GET('/api/admin/meters', { params: { query: fleetQuery(q) }, signal: timeout() })),
    meter: (meterNo: string) =>
      answer(api.GET('/api/admin/meters/{meterNo}', { params: meter(meterNo), signal: timeout() })),
    relay: (meterNo: string, action: RelayAction, reason: string) =>
      answer(
        api.POST('/api/admin/meters/{meterNo}/relay', {
          params: meter(meterNo),
          body: { action, reason },
          signal: timeout(),
        }),
      ),
    config: (meterNo: string, input: ConfigInput) =>
      answer(
        api.POST('/api/admin/meters/{meterNo}/config', {
          params: meter(meterNo),
          body: input,
          signal: timeout(),
        }),
      ),
    adjust: (meterNo: string, energyKwh: number, reason: string) =>
      answer(
        api.POST('/api/admin/meters/{meterNo}/adjustments', {
          params: meter(meterNo),
          body: { energyKwh, reason },
          signal: timeout(),
        }),
      ),
    alerts: (open: boolean, before?: number | null, filter: AlertFilter = {}) =>
      answer(
        api.GET('/api/admin/alerts', {
          params: {
            query: {
              open: open ? 'true' : 'false',
              limit: 100,
              before: before ?? undefined,
              kind: filter.kind ?? undefined,
              meterNo: text(filter.meterNo),
            },
          },
          signal: timeout(),
        }),
      ),
    ack: (alertId: number) =>
      answer(api.POST('/api/admin/alerts/{id}/ack', { params: id(alertId), signal: timeout() })),
    registerHolds: () =>
      answer(
        api.GET('/api/admin/register-holds', { params: { query: { status: 'held' } }, signal: timeout() }),
      ),
    decideHold: (holdId: number, action: HoldAction, reason: string) =>
      answer(api.POST(holdRoute[action], { params: id(holdId), body: { reason }, signal: timeout() })),
    async report(unit: 'daily' | 'monthly', from: string, to: string): Promise<Report> {
      const r = await answer(
        api.GET(reportRoute(unit), { params: { query: { from, to } }, signal: timeout() }),
      );
      if (typeof r === 'string') throw new ApiError(200, 'UNEXPECTED_ANSWER', 'The report came back as text');
      return r;
    },
    reportCsv: (unit: 'daily' | 'monthly', from: string, to: string) =>
      answer<Blob>(
        api.GET(reportRoute(unit), {
          params: { query: { from, to, format: 'csv' } },
          parseAs: 'blob',
          signal: timeout(),
        }),
      ),
    sms: (meterNo?: string) =>
      answer(
        api.GET('/api/admin/sms', {
          params: { query: { limit: 100, ...(meterNo ? { meterNo } : {}) } },
          signal: timeout(),
        }),
      ),
    tariffs: () => answer(api.GET('/api/admin/tariffs', { signal: timeout() })),
    createTariff: (body: NewTariff) => answer(api.POST('/api/admin/tariffs', { body, signal: timeout() })),
    cancelTariff: (id: number, reason: string) =>
      answer(
        api.POST('/api/admin/tariffs/{id}/cancel', {
          params: { path: { id } },
          body: { reason },
          signal: timeout(),
        }),
      ),
    tariffGroups: () => answer(api.GET('/api/admin/tariff-groups', { signal: timeout() })),
    moveToTariffGroup: (group: string, meterNos: string[], reason: string) =>
      answer(
        api.POST('/api/admin/tariff-groups/{group}/meters', {
          params: { path: { group } },
          body: { meterNos, reason },
          signal: timeout(),
        }),
      ),
    users: (q: UsersQuery) =>
      answer(api.GET('/api/admin/users', { params: { query: usersQuery(q) }, signal: timeout() })),
    /** The signed-in account as the server sees it now: its role and permissions. */
    me: () => answer(api.GET('/api/me', { signal: timeout() })),
    createOperator: (body: Body<'/api/admin/operators', 'post'>) =>
      answer(api.POST('/api/admin/operators', { body, signal: timeout() })),
    changeRole: (userId: string, role: Role, reason: string) =>
      answer(
        api.POST('/api/admin/users/{id}/role', {
          params: id(userId),
          body: { role, reason },
          signal: timeout(),
        }),
      ),
    setDisabled: (userId: string, disabled: boolean, reason: string) =>
      answer(
        disabled
          ? api.POST('/api/admin/users/{id}/disable', {
              params: id(userId),
              body: { reason },
              signal: timeout(),
            })
          : api.POST('/api/admin/users/{id}/enable', {
              params: id(userId),
              body: { reason },
              signal: timeout(),
            }),
      ),
    resetPassword: (userId: string, reason: string) =>
      answer(
        api.POST('/api/admin/users/{id}/password-reset', {
          params: id(userId),
          body: { reason },
          signal: timeout(),
        }),
      ),
    changePhone: (userId: string, phone: string, reason: string) =>
      answer(
        api.POST('/api/admin/users/{id}/phone', {
          params: id(userId),
          body: { phone, reason },
          signal: timeout(),
        }),
      ),
    assign: (meterNo: string, userId: string | null, reason: string) =>
      answer(
        api.POST('/api/admin/meters/{meterNo}/assign', {
          params: meter(meterNo),
          body: { userId, reason },
          signal: timeout(),
        }),
      ),
    registerMeter: (input: RegisterMeterInput) =>
      answer(api.POST('/api/meters', { body: input, signal: timeout() })),
    importMeters: (csv: string) =>
      answer(api.POST('/api/admin/meters/import', { body: { csv }, signal: timeout() })),
    rotateSecret: (meterNo: string) =>
      answer(api.POST('/api/meters/{meterNo}/rotate-secret', { params: meter(meterNo), signal: timeout() })),
    /** Whether a meter has a live claim code (issue 17); never the code. */
    claimCodeStatus: (meterNo: string) =>
      answer(
        api.GET('/api/admin/meters/{meterNo}/claim-code', { params: meter(meterNo), signal: timeout() }),
      ),
    /** A new claim code for a meter, shown once; the earlier one stops working. */
    issueClaimCode: (meterNo: string) =>
      answer(
        api.POST('/api/admin/meters/{meterNo}/claim-code', { params: meter(meterNo), signal: timeout() }),
      ),
    audit: (q: AuditQuery) =>
      answer(api.GET('/api/admin/audit', { params: { query: auditQuery(q) }, signal: timeout() })),
    moveTransaction: (transactionId: string, toMeterNo: string, reason: string) =>
      answer(
        api.POST('/api/admin/transactions/{id}/move', {
          params: id(transactionId),
          body: { toMeterNo, reason },
          signal: timeout(),
        }),
      ),
    /** An operator grants the advance for the customer: the reason is required and audited. */
    emergency: (meterNo: string, reason: string) =>
      answer(
        api.POST('/api/meters/{meterNo}/emergency', {
          params: meter(meterNo),
          body: { reason },
          signal: timeout(),
        }),
      ),
    friendlyHours: () => answer(api.GET('/api/admin/friendly-hours', { signal: timeout() })),
    saveFriendlyHours: (body: FriendlyHoursInput) =>
      answer(api.PUT('/api/admin/friendly-hours', { body, signal: timeout() })),
    consumption: (meterNo: string, bucket: 'hour' | 'day', fromIso: string) =>
      answer(
        api.GET('/api/meters/{meterNo}/consumption', {
          params: { ...meter(meterNo), query: { bucket, from: fromIso } },
          signal: timeout(),
        }),
      ),
    orphans: (q: Parameters<typeof orphansQuery>[0]) =>
      answer(
        api.GET('/api/admin/payments/orphans', { params: { query: orphansQuery(q) }, signal: timeout() }),
      ),
    assignOrphan: (orphanId: string, meterNo: string, reason: string) =>
      answer(
        api.POST('/api/admin/payments/orphans/{id}/assign', {
          params: id(orphanId),
          body: { meterNo, reason },
          signal: timeout(),
        }),
      ),
    dismissOrphan: (orphanId: string, reason: string) =>
      answer(
        api.POST('/api/admin/payments/orphans/{id}/dismiss', {
          params: id(orphanId),
          body: { reason },
          signal: timeout(),
        }),
      ),
    topups: (query: TopupsQuery) =>
      answer(api.GET('/transactions/topup', { params: { query }, signal: timeout() })),
    /** Approves (credits) or rejects a top-up request; a rejection needs the reason the customer is told. */
    processTopup: (topupId: string, status: 'approved' | 'rejected', notes: string) =>
      answer(
        api.PATCH('/transactions/topup/{id}/process', {
          params: id(topupId),
          body: { status, admin_notes: notes },
          signal: timeout(),
        }),
      ),
    /** The statement as a file (CSV) or a printable page (HTML); reading it emits `bill_generated`. */
    statement: (userId: string, month: string, format: StatementFormat) =>
      answer<Blob>(
        api.GET('/api/admin/statements/{userId}/{month}', {
          params: { path: { userId, month }, query: { format } },
          parseAs: 'blob',
          signal: timeout(),
        }),
      ),
  };
}

export type AdminApi = ReturnType<typeof createAdminApi>;
