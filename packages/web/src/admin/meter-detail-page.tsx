import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../api/http-client';
import { useNow } from '../ui/navigation';
import type { LedgerRow, MeterDetail, RelayAction } from './admin-api';
import type { AdminContext } from './admin-context';
import { AlertsList } from './alerts-list';
import { auditSummary } from './audit-summary';
import { fmtAgo, fmtKes, fmtKwh, fmtMwhAsKwh, fmtPower, fmtTime } from './admin-format';
import { MeterNoField, ReasonField, SubmitButton, SubmitRow, useSubmit } from './admin-form';
import { AdminLink, EmptyRow, errorText, NoticeLine, RotateSecret } from './admin-kit';
import { adminAuditPath } from './admin-routes';
import { MeterUsage } from './meter-usage';
import { RegisterHoldCard } from './register-hold-card';
import { ClaimCodeCard } from './claim-code-card';
import { EmergencyAdvance } from './emergency-advance';
import { LedgerSourceCell, LedgerSourceHead } from './ledger-source-cell';
import { initialMaxLoad, MaxLoadField, maxLoadBody } from './max-load-field';
import { ReportingInterval } from './reporting-interval';

const RELAY_ACTIONS: { action: RelayAction; label: string; hint: string }[] = [
  { action: 'connect', label: 'Connect', hint: 'Close the relay now, whatever the balance' },
  { action: 'disconnect', label: 'Disconnect', hint: 'Open the relay now' },
  { action: 'auto', label: 'Auto', hint: 'Let the balance decide again' },
];

const OPEN_COMMAND = new Set(['pending', 'sent']);

export function MeterDetailPage({ ctx, meterNo }: { ctx: AdminContext; meterNo: string }) {
  const [detail, setDetail] = useState<MeterDetail | null>(null);
  const [error, setError] = useState<{ status: number; text: string } | null>(null);
  const nowMs = useNow(10_000);
  const refetchTimer = useRef<number | null>(null);
  const latest = useRef(0);

  const load = useCallback(() => {
    const mine = ++latest.current;
    ctx.api.meter(meterNo).then(
      (d) => {
        if (mine !== latest.current) return;
        setDetail(d);
        setError(null);
      },
      (err: unknown) => {
        if (mine === latest.current)
          setError({ status: err instanceof ApiError ? err.status : 0, text: errorText(err) });
      },
    );
  }, [ctx, meterNo]);

  useEffect(() => {
    load();
    return () => {
      if (refetchTimer.current !== null) window.clearTimeout(refetchTimer.current);
    };
  }, [load]);

  // Live: show the new relay, link and balance at once, then refetch the rest (commands, ledger).
  useEffect(
    () =>
      ctx.feed.subscribe((rows) => {
        const mine = rows.filter((r) => r.meterNo === meterNo).at(-1);
        if (!mine) return;
        setDetail((d) =>
          d
            ? {
                ...d,
                meter: {
                  ...d.meter,
                  relay: mine.relay,
                  status: mine.status,
                  online: mine.online,
                  ...(mine.powerW !== undefined ? { powerW: mine.powerW } : {}),
                  ...(mine.balanceKwh !== undefined
                    ? { balanceKwh: mine.balanceKwh, serverBalanceKwh: mine.balanceKwh }
                    : {}),
                  lastSeen: mine.lastSeen === null ? d.meter.lastSeen : new Date(mine.lastSeen).toISOString(),
                },
              }
            : d,
        );
        if (refetchTimer.current === null)
          refetchTimer.current = window.setTimeout(() => {
            refetchTimer.current = null;
            load();
          }, 700);
      }),
    [ctx, meterNo, load],
  );

  // While a command waits for the meter's acknowledgement, look again every few seconds.
  const waiting = detail?.commands.some((c) => OPEN_COMMAND.has(c.status)) ?? false;
  useEffect(() => {
    if (!waiting) return;
    const id = window.setInterval(load, 3000);
    return () => window.clearInterval(id);
  }, [waiting, load]);

  if (error && !detail) {
    return (
      <div
        className="card empty-state"
        data-testid={error.status === 404 ? 'meter-not-found' : 'meter-error'}
      >
        <h2>{error.status === 404 ? 'Meter not found' : 'Could not load the meter'}</h2>
        <p className="muted">{error.status === 404 ? `There is no meter ${meterNo}.` : error.text}</p>
        <AdminLink to="/admin">Back to the fleet</AdminLink>
      </div>
    );
  }
  if (!detail) return <p className="center muted">Loading…</p>;

  const m = detail.meter;
  const refunded = new Set(
    detail.ledger.filter((l) => l.kind === 'refund' && l.transactionId).map((l) => l.transactionId),
  );
  const diff = m.meterBalanceKwh === null ? null : m.meterBalanceKwh - m.serverBalanceKwh;

  return (
    <section className="admin-page" data-testid="meter-detail" data-meter={m.meterNo}>
      <div className="admin-page-head">
        <div>
          <AdminLink to="/admin" className="small-text">
            ← Fleet
          </AdminLink>
          <h1 className="mono">{m.meterNo}</h1>
          <p className="muted">
            {m.ownerName ? `${m.ownerName} · ${m.ownerEmail ?? ''}` : 'Unassigned'} · firmware {m.fw ?? '—'} ·{' '}
            <ReportingInterval meter={m} />
          </p>
        </div>
        <div className="detail-status">
          <span
            className={`pill ${m.relay === 'on' ? 'good' : 'bad'}`}
            data-testid="detail-relay"
            data-relay={m.relay}
          >
            Relay {m.relay === 'on' ? 'on' : 'off'}
          </span>
          <span
            className={`dot-label ${m.online ? 'up' : 'down'}`}
            data-testid="detail-online"
            data-online={String(m.online)}
          >
            {m.online ? 'Online' : 'Offline'}
            {m.status !== 'online' && m.status !== 'offline' ? ` · ${m.status.replace(/_/g, ' ')}` : ''} ·
            last seen {fmtAgo(m.lastSeen, nowMs)}
          </span>
        </div>
      </div>

      <div className="detail-grid">
        <div className="card stat-card">
          <h2 className="card-title">Balances</h2>
          <div className="balances">
            <div>
              <span className="muted small-text">Server</span>
              <strong className="mono big" data-testid="server-balance" data-kwh={m.serverBalanceKwh}>
                {fmtKwh(m.serverBalanceKwh)}
              </strong>
              <span className="muted small-text">kWh</span>
            </div>
            <div>
              <span className="muted small-text">Meter's own</span>
              <strong className="mono big" data-testid="meter-balance">
                {fmtKwh(m.meterBalanceKwh)}
              </strong>
              <span className="muted small-text">kWh</span>
            </div>
            <div>
              <span className="muted small-text">Difference</span>
              <strong className={`mono big ${diff !== null && Math.abs(diff) > 0.001 ? 'warn-text' : ''}`}>
                {diff === null ? '—' : `${diff > 0 ? '+' : ''}${fmtKwh(diff)}`}
              </strong>
              <span className="muted small-text">kWh</span>
            </div>
          </div>
          <dl className="facts">
            <dt>Power</dt>
            <dd className="mono">{fmtPower(m.powerW)}</dd>
            <dt>Credit limit</dt>
            <dd className="mono">{fmtMwhAsKwh(m.creditLimitMwh)} kWh</dd>
            <dt>Register</dt>
            <dd className="mono">{fmtMwhAsKwh(m.energyTotalMwh)} kWh</dd>
            <dt>Low balance at</dt>
            <dd className="mono">{fmtKwh(m.lowBalanceKwh)} kWh</dd>
            <dt>Emergency credit</dt>
            <dd className="mono">{fmtKwh(m.emergencyCreditKwh)} kWh</dd>
            <dt>Debt</dt>
            <dd className="mono">{fmtKes(m.debtCents)}</dd>
          </dl>
        </div>
        <div className="stack">
          {ctx.can('relay.command') && <RemoteControl ctx={ctx} meterNo={m.meterNo} onDone={load} />}
          {ctx.can('meters.manage') && <ConfigForm ctx={ctx} meter={m} onDone={load} />}
        </div>
        {ctx.can('money.move') && <AdjustmentForm ctx={ctx} meterNo={m.meterNo} onDone={load} />}
      </div>

      <div className="detail-grid usage-row">
        <MeterUsage ctx={ctx} meterNo={m.meterNo} />
        {ctx.can('meters.manage') && ctx.can('money.move') && (
          <DeviceCard ctx={ctx} meter={m} onDone={load} />
        )}
      </div>
      <ClaimCodeCard ctx={ctx} meterNo={m.meterNo} />

      {detail.registerHolds
        .filter((h) => h.status === 'held')
        .map((h) => (
          <RegisterHoldCard key={h.id} ctx={ctx} hold={h} onDone={load} />
        ))}

      <AlertsList ctx={ctx} alerts={detail.alerts} onChanged={load} />

      <div className="card flush">
        <h2 className="card-title pad">Ledger</h2>
        <div className="table-wrap">
          <table className="admin-table" data-testid="ledger-table">
            <thead>
              <tr>
                <th>When</th>
                <th>Kind</th>
                <LedgerSourceHead />
                <th className="num">Energy kWh</th>
                <th className="num">Amount</th>
                <th className="num">Credit granted kWh</th>
                <th>Memo</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {detail.ledger.map((l) => (
                <LedgerLine
                  key={l.id}
                  ctx={ctx}
                  entry={l}
                  meterNo={m.meterNo}
                  movable={isMovable(l, refunded)}
                  onMoved={load}
                />
              ))}
              {detail.ledger.length === 0 && <EmptyRow colSpan={8}>No ledger entries.</EmptyRow>}
            </tbody>
          </table>
        </div>
      </div>

      <div className="detail-grid two">
        <div className="card flush">
          <h2 className="card-title pad">Commands</h2>
          <div className="table-wrap">
            <table className="admin-table" data-testid="commands-table">
              <thead>
                <tr>
                  <th>Created</th>
                  <th>Command</th>
                  <th>Status</th>
                  <th>Reason</th>
                </tr>
              </thead>
              <tbody>
                {detail.commands.map((c) => (
                  <tr
                    key={c.id}
                    data-testid="command-row"
                    data-kind={c.kind}
                    data-action={typeof c.payload.action === 'string' ? c.payload.action : ''}
                    data-status={c.status}
                  >
                    <td className="nowrap">{fmtTime(c.createdAt)}</td>
                    <td>
                      {c.kind}
                      {typeof c.payload.action === 'string' ? `: ${c.payload.action}` : ''}
                    </td>
                    <td>
                      <span
                        className={`badge ${c.status === 'acknowledged' ? 'good' : c.status === 'expired' ? 'bad' : 'warn'}`}
                      >
                        {c.status}
                      </span>
                      {c.attempts > 1 && <span className="muted small-text"> ×{c.attempts}</span>}
                    </td>
                    <td className="memo">{c.reason}</td>
                  </tr>
                ))}
                {detail.commands.length === 0 && <EmptyRow colSpan={4}>No commands sent.</EmptyRow>}
              </tbody>
            </table>
          </div>
        </div>
        <div className="card flush">
          <div className="card-head pad">
            <h2 className="card-title">Audit</h2>
            <AdminLink
              className="small-text"
              to={adminAuditPath({ target: m.meterNo })}
              testId="meter-audit-link"
            >
              Full audit log →
            </AdminLink>
          </div>
          <div className="table-wrap">
            <table className="admin-table" data-testid="audit-table">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Action</th>
                  <th>By</th>
                  <th>Details</th>
                </tr>
              </thead>
              <tbody>
                {detail.audit.map((a) => (
                  <tr key={a.id} data-testid="audit-row" data-action={a.action}>
                    <td className="nowrap">{fmtTime(a.at)}</td>
                    <td>{a.action}</td>
                    <td>{a.actorKind}</td>
                    <td className="memo">{auditSummary(a.details)}</td>
                  </tr>
                ))}
                {detail.audit.length === 0 && <EmptyRow colSpan={4}>Nothing recorded.</EmptyRow>}
              </tbody>
            </table>
          </div>
        </div>
      </div>

      <div className="detail-grid two">
        <div className="card flush">
          <h2 className="card-title pad">Recent reports</h2>
          <div className="table-wrap">
            <table className="admin-table" data-testid="readings-table">
              <thead>
                <tr>
                  <th className="num">Seq</th>
                  <th className="num">Register kWh</th>
                  <th className="num">Power</th>
                  <th>Received</th>
                </tr>
              </thead>
              <tbody>
                {[...detail.readings]
                  .sort((a, b) => b.receivedAt.localeCompare(a.receivedAt) || b.seq - a.seq)
                  .map((r) => (
                    <tr key={`${r.seq}-${r.receivedAt}`}>
                      <td className="num mono">{r.seq}</td>
                      <td className="num mono">{fmtKwh(r.energyKwh)}</td>
                      <td className="num mono">{fmtPower(r.powerW)}</td>
                      <td className="nowrap">{fmtTime(r.receivedAt)}</td>
                    </tr>
                  ))}
                {detail.readings.length === 0 && <EmptyRow colSpan={4}>No reports yet.</EmptyRow>}
              </tbody>
            </table>
          </div>
        </div>
        <div className="card flush">
          <h2 className="card-title pad">Status history</h2>
          <div className="table-wrap">
            <table className="admin-table" data-testid="status-history">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Status</th>
                  <th>Relay</th>
                </tr>
              </thead>
              <tbody>
                {detail.statusHistory.map((s, i) => (
                  <tr key={`${s.at}-${i}`}>
                    <td className="nowrap">{fmtTime(s.at)}</td>
                    <td>{s.status}</td>
                    <td>{s.relay ?? '—'}</td>
                  </tr>
                ))}
                {detail.statusHistory.length === 0 && <EmptyRow colSpan={3}>No changes recorded.</EmptyRow>}
              </tbody>
            </table>
          </div>
        </div>
      </div>
    </section>
  );
}

/** A card that acts on the meter shown, then has the page reload. */
interface MeterCardProps {
  ctx: AdminContext;
  meter: MeterDetail['meter'];
  onDone: () => void;
}

function RemoteControl({ ctx, meterNo, onDone }: { ctx: AdminContext; meterNo: string; onDone: () => void }) {
  const [action, setAction] = useState<RelayAction | null>(null);
  const [reason, setReason] = useState('');
  const { busy, notice: message, setNotice: setMessage, run } = useSubmit();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!action || !reason.trim()) return;
    run(
      () => ctx.api.relay(meterNo, action, reason.trim()),
      (cmd) => {
        setMessage({
          ok: true,
          text: `${action[0]!.toUpperCase()}${action.slice(1)} queued (${cmd.status}); see Commands for the meter's acknowledgement.`,
        });
        setAction(null);
        setReason('');
        onDone();
      },
    );
  };

  return (
    <div className="card stat-card" data-testid="remote-control">
      <h2 className="card-title">Remote control</h2>
      <div className="button-row">
        {RELAY_ACTIONS.map((a) => (
          <button
            key={a.action}
            type="button"
            className={`button small ${action === a.action ? 'primary' : ''} ${a.action === 'disconnect' ? 'danger' : ''}`}
            title={a.hint}
            aria-pressed={action === a.action}
            onClick={() => {
              setAction(a.action);
              setMessage(null);
            }}
            data-testid={`relay-${a.action}`}
          >
            {a.label}
          </button>
        ))}
      </div>
      {action && (
        <form className="reason-form" onSubmit={submit} data-testid="reason-prompt">
          <ReasonField
            label={
              <>
                Reason to {action} {meterNo}
              </>
            }
            autoFocus
            value={reason}
            onChange={setReason}
            placeholder="e.g. tampering reported on site"
            testId="reason-input"
          />
          <SubmitRow
            busy={busy}
            disabled={!reason.trim()}
            busyLabel="Sending…"
            testId="reason-confirm"
            onCancel={() => setAction(null)}
          >
            {`Send ${action}`}
          </SubmitRow>
        </form>
      )}
      <NoticeLine notice={message} testId="relay-message" />
      {!action && !message && (
        <p className="muted small-text">Every command needs a reason and is kept in the audit log.</p>
      )}
    </div>
  );
}

function AdjustmentForm({
  ctx,
  meterNo,
  onDone,
}: {
  ctx: AdminContext;
  meterNo: string;
  onDone: () => void;
}) {
  const [kwh, setKwh] = useState('');
  const [reason, setReason] = useState('');
  const { busy, notice, setNotice, run } = useSubmit();
  const value = Number(kwh);
  const valid = kwh.trim() !== '' && Number.isFinite(value) && value !== 0 && reason.trim() !== '';

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!valid) return;
    run(
      () => ctx.api.adjust(meterNo, value, reason.trim()),
      (r) => {
        setNotice({
          ok: true,
          text: `Adjusted by ${value > 0 ? '+' : ''}${value} kWh; balance ${fmtKwh(r.balanceKwh)} kWh.`,
        });
        setKwh('');
        setReason('');
        onDone();
      },
    );
  };

  return (
    <form className="card stat-card adjust-form" onSubmit={submit} data-testid="adjustment-form">
      <h2 className="card-title">Adjustment</h2>
      <label className="admin-label">
        Energy kWh (negative to take back)
        <input
          className="admin-input"
          type="number"
          step="0.001"
          inputMode="decimal"
          required
          value={kwh}
          onChange={(e) => setKwh(e.target.value)}
          data-testid="adjust-kwh"
        />
      </label>
      <ReasonField
        value={reason}
        onChange={setReason}
        placeholder="e.g. compensation for outage ticket 123"
        testId="adjust-reason"
      />
      <SubmitButton busy={busy} disabled={!valid} busyLabel="Saving…" testId="adjust-submit">
        Post adjustment
      </SubmitButton>
      <NoticeLine notice={notice} testId="adjust-message" />
    </form>
  );
}

function ConfigForm({ ctx, meter, onDone }: MeterCardProps) {
  const [intervalS, setIntervalS] = useState(String(meter.publishIntervalS));
  const [low, setLow] = useState(String(meter.lowBalanceKwh));
  const [emergency, setEmergency] = useState(String(meter.emergencyCreditKwh));
  const [maxLoad, setMaxLoad] = useState(initialMaxLoad(meter.maxLoadW));
  const [reason, setReason] = useState('');
  const { busy, notice, setNotice, run } = useSubmit();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) return;
    run(
      () =>
        ctx.api.config(meter.meterNo, {
          publishIntervalS: Number(intervalS),
          lowBalanceKwh: Number(low),
          emergencyCreditKwh: Number(emergency),
          ...maxLoadBody(maxLoad, meter.maxLoadW),
          reason: reason.trim(),
        }),
      (cmd) => {
        setNotice({ ok: true, text: `Configuration queued (${cmd.status}).` });
        setReason('');
        onDone();
      },
    );
  };

  return (
    <details className="card config-card" data-testid="config-form">
      <summary className="card-title">Configuration</summary>
      <form className="adjust-form" onSubmit={submit}>
        <div className="config-grid">
          <label className="admin-label">
            Report every (s)
            <input
              className="admin-input"
              type="number"
              min={1}
              max={86400}
              step={1}
              required
              value={intervalS}
              onChange={(e) => setIntervalS(e.target.value)}
            />
          </label>
          <label className="admin-label">
            Low balance (kWh)
            <input
              className="admin-input"
              type="number"
              min={0}
              step="0.001"
              required
              value={low}
              onChange={(e) => setLow(e.target.value)}
            />
          </label>
          <label className="admin-label">
            Emergency credit (kWh)
            <input
              className="admin-input"
              type="number"
              min={0}
              step="0.001"
              required
              value={emergency}
              onChange={(e) => setEmergency(e.target.value)}
            />
          </label>
          <MaxLoadField value={maxLoad} onChange={setMaxLoad} />
        </div>
        <ReasonField value={reason} onChange={setReason} />
        <SubmitButton busy={busy} disabled={!reason.trim()} busyLabel="Sending…">
          Send configuration
        </SubmitButton>
        <NoticeLine notice={notice} />
      </form>
    </details>
  );
}

/** A completed payment not yet moved away can be moved to another meter (refund here, credit there). */
function isMovable(l: LedgerRow, refunded: ReadonlySet<string | null>): boolean {
  return (
    l.kind === 'purchase' && l.amountCents > 0 && l.transactionId !== null && !refunded.has(l.transactionId)
  );
}

function LedgerLine({
  ctx,
  entry: l,
  meterNo,
  movable,
  onMoved,
}: {
  ctx: AdminContext;
  entry: LedgerRow;
  meterNo: string;
  movable: boolean;
  onMoved: () => void;
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <tr
        data-testid="ledger-row"
        data-kind={l.kind}
        data-energy-kwh={l.energyKwh}
        data-transaction-id={l.transactionId ?? ''}
      >
        <td className="nowrap">{fmtTime(l.at)}</td>
        <td>
          <span className={`badge ${l.kind === 'refund' ? 'bad' : ''}`}>{l.kind}</span>
        </td>
        <td>
          <LedgerSourceCell source={l.source} />
        </td>
        <td className={`num mono ${l.energyKwh < 0 ? 'neg' : ''}`}>
          {l.energyKwh > 0 ? '+' : ''}
          {fmtKwh(l.energyKwh)}
        </td>
        <td className={`num mono ${l.amountCents < 0 ? 'neg' : ''}`}>
          {l.amountCents ? fmtKes(l.amountCents) : '—'}
        </td>
        <td className="num mono">{fmtMwhAsKwh(l.runningCreditMwh)}</td>
        <td className="memo">{l.memo ?? ''}</td>
        <td className="num">
          {movable && ctx.can('money.move') && (
            <button
              type="button"
              className="button small"
              aria-expanded={open}
              onClick={() => setOpen((o) => !o)}
              title="This payment was meant for another meter"
              data-testid="ledger-move"
            >
              Move…
            </button>
          )}
        </td>
      </tr>
      {open && (
        <tr className="audit-details">
          <td colSpan={8}>
            <MovePaymentForm
              ctx={ctx}
              entry={l}
              meterNo={meterNo}
              onDone={() => {
                setOpen(false);
                onMoved();
              }}
              onCancel={() => setOpen(false)}
            />
          </td>
        </tr>
      )}
    </>
  );
}

function MovePaymentForm({
  ctx,
  entry,
  meterNo,
  onDone,
  onCancel,
}: {
  ctx: AdminContext;
  entry: LedgerRow;
  meterNo: string;
  onDone: () => void;
  onCancel: () => void;
}) {
  const [to, setTo] = useState('');
  const [reason, setReason] = useState('');
  const { busy, notice, run } = useSubmit();
  const valid = to.trim() !== '' && to.trim() !== meterNo && reason.trim() !== '';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const id = entry.transactionId;
    if (!valid || !id) return;
    run(() => ctx.api.moveTransaction(id, to.trim(), reason.trim()), onDone);
  };
  return (
    <form className="reason-form" onSubmit={submit} data-testid="move-payment-form">
      <p className="small-text">
        Move this payment ({fmtKes(entry.amountCents)}, {fmtKwh(entry.energyKwh)} kWh) to the meter it was
        meant for: a refund entry here and a purchase entry there, linked to each other.
      </p>
      <div className="inline-fields">
        <MeterNoField label="To meter" value={to} onChange={setTo} testId="move-payment-to" />
        <ReasonField
          grow
          value={reason}
          onChange={setReason}
          placeholder="e.g. customer typed a neighbour's meter number"
          testId="move-payment-reason"
        />
      </div>
      <SubmitRow
        busy={busy}
        disabled={!valid}
        busyLabel="Moving…"
        testId="move-payment-submit"
        onCancel={onCancel}
      >
        Move payment
      </SubmitRow>
      <NoticeLine notice={notice} testId="move-payment-message" />
    </form>
  );
}

/** Device credentials and the emergency advance: the rarer, weightier actions. */
function DeviceCard({ ctx, meter, onDone }: MeterCardProps) {
  const emergencyOpen = meter.serverBalanceKwh <= 0 && meter.debtCents === 0;
  return (
    <div className="card stat-card" data-testid="device-card">
      <h2 className="card-title">Device and emergency credit</h2>
      <div>
        <h3 className="sub-title">MQTT secret</h3>
        <p className="muted small-text">
          Username and client id <span className="mono">{meter.meterNo}</span>. Rotate when a secret may have
          leaked or a meter is re-provisioned.
        </p>
      </div>
      <RotateSecret meterNo={meter.meterNo} rotate={ctx.api.rotateSecret} onRotated={onDone} />
      <div>
        <h3 className="sub-title">Emergency advance</h3>
        <p className="muted small-text">
          {meter.emergencyTakenAt
            ? `Taken ${fmtTime(meter.emergencyTakenAt)}; debt ${fmtKes(meter.debtCents)}.`
            : emergencyOpen
              ? 'Available: the balance is used up and nothing is owed. It is repaid from the next purchase.'
              : 'Available once the balance is used up and no debt is owed.'}
        </p>
      </div>
      <EmergencyAdvance ctx={ctx} meterNo={meter.meterNo} available={emergencyOpen} onDone={onDone} />
    </div>
  );
}
