import { useCallback, useEffect, useState } from 'react';
import type { SmsOverview, SmsRow } from './admin-api';
import type { AdminContext } from './admin-context';
import { fmtTime } from './admin-format';
import { EmptyRow, ErrorAlert } from './admin-kit';

const COLUMNS = 7;

const GATEWAY_TEXT: Record<SmsOverview['gateway'], string> = {
  africastalking: "Africa's Talking",
  emulator: 'the built-in emulator (no real SMS)',
  off: 'off (no AT_API_KEY): no SMS is sent',
};

/** Ten-thousandths of a shilling as KES with four decimals, as the gateway quotes it. */
function fmtCost(tenThousandths: number | null): string {
  if (tenThousandths === null) return '—';
  return `KES ${Math.floor(tenThousandths / 10_000)}.${String(tenThousandths % 10_000).padStart(4, '0')}`;
}

function statusText(r: SmsRow): string {
  if (r.status === 'failed' && r.failureReason) return `failed: ${r.failureReason}`;
  if (r.status === 'queued' && r.attempts > 0) return `queued (try ${r.attempts + 1})`;
  return r.status;
}

/** The SMS outbox: recent messages with their delivery status, and messages and cost per month. */
export function SmsPage({ ctx }: { ctx: AdminContext }) {
  const [meterNo, setMeterNo] = useState('');
  const [data, setData] = useState<SmsOverview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(
    (filter: string) => {
      setError(null);
      ctx.api
        .sms(filter.trim() || undefined)
        .then(setData, (err: unknown) => setError(err instanceof Error ? err.message : String(err)));
    },
    [ctx],
  );
  useEffect(() => load(''), [load]);
  const month = data?.months[0];

  return (
    <section className="admin-page" data-testid="sms-page">
      <div className="admin-page-head">
        <h1>SMS</h1>
        {data && <p className="muted">Sent through {GATEWAY_TEXT[data.gateway]}.</p>}
      </div>
      <div className="fleet-controls">
        <label className="admin-label inline">
          Meter
          <input
            className="admin-input"
            value={meterNo}
            maxLength={12}
            onChange={(e) => setMeterNo(e.target.value)}
            onKeyDown={(e) => e.key === 'Enter' && load(meterNo)}
            data-testid="sms-meter"
          />
        </label>
        <button type="button" className="button small" onClick={() => load(meterNo)}>
          Refresh
        </button>
        {month && (
          <span className="muted" data-testid="sms-month">
            {month.month}: {month.messages} messages ({month.parts} parts),{' '}
            {fmtCost(month.costTenThousandths)}
          </span>
        )}
        {data && (
          <span className="muted" data-testid="sms-counts">
            {Object.entries(data.counts)
              .map(([k, v]) => `${k} ${v}`)
              .join(' · ')}
          </span>
        )}
      </div>
      <ErrorAlert error={error} />
      <div className="card flush table-wrap">
        <table className="admin-table" data-testid="sms-table">
          <thead>
            <tr>
              <th>Queued</th>
              <th>Meter</th>
              <th>Phone</th>
              <th>Kind</th>
              <th>Message</th>
              <th>Status</th>
              <th className="num">Cost</th>
            </tr>
          </thead>
          <tbody>
            {data?.messages.map((r) => (
              <tr key={r.id} data-testid="sms-row">
                <td className="mono">{fmtTime(r.createdAt)}</td>
                <td className="mono">{r.meterNo ?? '—'}</td>
                <td className="mono">{r.phone}</td>
                <td>
                  {r.kind} ({r.lang})
                </td>
                <td title={r.lastError ?? undefined}>{r.body}</td>
                <td title={r.deliveryStatus ?? undefined}>{statusText(r)}</td>
                <td className="num mono">{fmtCost(r.costTenThousandths)}</td>
              </tr>
            ))}
            {data && data.messages.length === 0 && <EmptyRow colSpan={COLUMNS}>No SMS yet.</EmptyRow>}
            {!data && !error && <EmptyRow colSpan={COLUMNS}>Loading…</EmptyRow>}
          </tbody>
        </table>
      </div>
      {data && data.months.length > 1 && (
        <div className="card flush table-wrap">
          <table className="admin-table" data-testid="sms-months">
            <thead>
              <tr>
                <th>Month</th>
                <th className="num">Messages</th>
                <th className="num">Parts</th>
                <th className="num">Cost</th>
              </tr>
            </thead>
            <tbody>
              {data.months.map((m) => (
                <tr key={m.month}>
                  <td className="mono">{m.month}</td>
                  <td className="num mono">{m.messages}</td>
                  <td className="num mono">{m.parts}</td>
                  <td className="num mono">{fmtCost(m.costTenThousandths)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
