import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../api/http-client';
import { useNow } from '../ui/navigation';
import type { LedgerRow, MeterDetail, RelayAction } from './admin-api';
import type { AdminContext } from './admin-context';
import { AlertsList } from './alerts-list';
import { auditSummary } from './audit-summary';
import { fmtAgo, fmtKes, fmtKwh, fmtMwhAsKwh, fmtPower, fmtTime } from './admin-format';
import { MeterNoField, ReasonField, SubmitButton, SubmitRow, useSubmit } from './admin-form';
import { adminEn } from './admin-dictionary';
import { meterStatusKey, useAdminI18n, type AdminKey } from './admin-i18n';
import { AdminLink, EmptyRow, errorText, NoticeLine, RotateSecret } from './admin-kit';
import { adminAuditPath } from './admin-routes';
import { MeterUsage } from './meter-usage';
import { RegisterHoldCard } from './register-hold-card';
import { ClaimCodeCard } from './claim-code-card';
import { EmergencyAdvance } from './emergency-advance';
import { ledgerMemoText } from './ledger-memo';
import { LedgerSourceCell, LedgerSourceHead } from './ledger-source-cell';
import { initialMaxLoad, MaxLoadField, maxLoadBody } from './max-load-field';
import { ReportingInterval } from './reporting-interval';

const RELAY_ACTIONS: { action: RelayAction; label: AdminKey; hint: AdminKey }[] = [
  { action: 'connect', label: 'relayConnect', hint: 'relayConnectHint' },
  { action: 'disconnect', label: 'relayDisconnect', hint: 'relayDisconnectHint' },
  { action: 'auto', label: 'relayAuto', hint: 'relayAutoHint' },
];

/** A value the server sends as a code, in words when the console knows it, else as sent. */
const known = (key: string): key is AdminKey => Object.hasOwn(adminEn, key);

const OPEN_COMMAND = new Set(['pending', 'sent']);

export function MeterDetailPage({ ctx, meterNo }: { ctx: AdminContext; meterNo: string }) {
  const { t } = useAdminI18n();
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
        <h2>{error.status === 404 ? t('meterNotFound') : t('meterLoadFailed')}</h2>
        <p className="muted">{error.status === 404 ? t('meterNoSuch', { meterNo }) : error.text}</p>
        <AdminLink to="/admin">{t('meterBackToFleet')}</AdminLink>
      </div>
    );
  }
  if (!detail) return <p className="center muted">{t('loading')}</p>;

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
            {t('meterFleetLink')}
          </AdminLink>
          <h1 className="mono" translate="no">
            {m.meterNo}
          </h1>
          <p className="muted">
            {m.ownerName ? (
              <span translate="no">{`${m.ownerName} · ${m.ownerEmail ?? ''}`}</span>
            ) : (
              t('unassigned')
            )}{' '}
            · {t('meterFirmware', { fw: m.fw ?? '—' })} · <ReportingInterval meter={m} />
          </p>
        </div>
        <div className="detail-status">
          <span
            className={`pill ${m.relay === 'on' ? 'good' : 'bad'}`}
            data-testid="detail-relay"
            data-relay={m.relay}
          >
            {m.relay === 'on' ? t('meterRelayOn') : t('meterRelayOff')}
          </span>
          <span
            className={`dot-label ${m.online ? 'up' : 'down'}`}
            data-testid="detail-online"
            data-online={String(m.online)}
          >
            {m.online ? t('status_online') : t('status_offline')}
            {m.status !== 'online' && m.status !== 'offline'
              ? ` · ${t(meterStatusKey(m.status))}`
              : ''} · {t('meterLastSeen', { when: fmtAgo(m.lastSeen, nowMs) })}
          </span>
        </div>
      </div>

      <div className="detail-grid">
        <div className="card stat-card">
          <h2 className="card-title">{t('meterBalances')}</h2>
          <div className="balances">
            <div>
              <span className="muted small-text">{t('meterServer')}</span>
              <strong className="mono big" data-testid="server-balance" data-kwh={m.serverBalanceKwh}>
                {fmtKwh(m.serverBalanceKwh)}
              </strong>
              <span className="muted small-text">kWh</span>
            </div>
            <div>
              <span className="muted small-text">{t('meterOwn')}</span>
              <strong className="mono big" data-testid="meter-balance">
                {fmtKwh(m.meterBalanceKwh)}
              </strong>
              <span className="muted small-text">kWh</span>
            </div>
            <div>
              <span className="muted small-text">{t('meterDifference')}</span>
              <strong className={`mono big ${diff !== null && Math.abs(diff) > 0.001 ? 'warn-text' : ''}`}>
                {diff === null ? '—' : `${diff > 0 ? '+' : ''}${fmtKwh(diff)}`}
              </strong>
              <span className="muted small-text">kWh</span>
            </div>
          </div>
          <dl className="facts">
            <dt>{t('meterPower')}</dt>
            <dd className="mono">{fmtPower(m.powerW)}</dd>
            <dt>{t('meterCreditLimit')}</dt>
            <dd className="mono">{fmtMwhAsKwh(m.creditLimitMwh)} kWh</dd>
            <dt>{t('meterRegister')}</dt>
            <dd className="mono">{fmtMwhAsKwh(m.energyTotalMwh)} kWh</dd>
            <dt>{t('meterLowAt')}</dt>
            <dd className="mono">{fmtKwh(m.lowBalanceKwh)} kWh</dd>
            <dt>{t('meterEmergencyCredit')}</dt>
            <dd className="mono">{fmtKwh(m.emergencyCreditKwh)} kWh</dd>
            <dt>{t('meterDebt')}</dt>
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
        <h2 className="card-title pad">{t('ledgerTitle')}</h2>
        <div className="table-wrap">
          <table className="admin-table" data-testid="ledger-table">
            <thead>
              <tr>
                <th>{t('ledgerColWhen')}</th>
                <th>{t('ledgerColKind')}</th>
                <LedgerSourceHead />
                <th className="num">{t('ledgerColEnergy')}</th>
                <th className="num">{t('ledgerColAmount')}</th>
                <th className="num">{t('ledgerColGranted')}</th>
                <th>{t('ledgerColMemo')}</th>
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
              {detail.ledger.length === 0 && <EmptyRow colSpan={8}>{t('ledgerNone')}</EmptyRow>}
            </tbody>
          </table>
        </div>
      </div>

      <div className="detail-grid two">
        <div className="card flush">
          <h2 className="card-title pad">{t('commandsTitle')}</h2>
          <div className="table-wrap">
            <table className="admin-table" data-testid="commands-table">
              <thead>
                <tr>
                  <th>{t('commandsColCreated')}</th>
                  <th>{t('commandsColCommand')}</th>
                  <th>{t('commandsColStatus')}</th>
                  <th>{t('commandsColReason')}</th>
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
                      {known(`commandKind_${c.kind}`) ? t(`commandKind_${c.kind}` as AdminKey) : c.kind}
                      {typeof c.payload.action === 'string'
                        ? `: ${known(`commandAction_${c.payload.action}`) ? t(`commandAction_${c.payload.action}` as AdminKey) : c.payload.action}`
                        : ''}
                    </td>
                    <td>
                      <span
                        className={`badge ${c.status === 'acknowledged' ? 'good' : c.status === 'expired' ? 'bad' : 'warn'}`}
                      >
                        {known(`commandStatus_${c.status}`)
                          ? t(`commandStatus_${c.status}` as AdminKey)
                          : c.status}
                      </span>
                      {c.attempts > 1 && <span className="muted small-text"> ×{c.attempts}</span>}
                    </td>
                    <td className="memo" translate="no">
                      {c.reason}
                    </td>
                  </tr>
                ))}
                {detail.commands.length === 0 && <EmptyRow colSpan={4}>{t('commandsNone')}</EmptyRow>}
              </tbody>
            </table>
          </div>
        </div>
        <div className="card flush">
          <div className="card-head pad">
            <h2 className="card-title">{t('meterAuditTitle')}</h2>
            <AdminLink
              className="small-text"
              to={adminAuditPath({ target: m.meterNo })}
              testId="meter-audit-link"
            >
              {t('meterAuditFull')}
            </AdminLink>
          </div>
          <div className="table-wrap">
            <table className="admin-table" data-testid="audit-table">
              <thead>
                <tr>
                  <th>{t('auditColWhen')}</th>
                  <th>{t('auditColAction')}</th>
                  <th>{t('auditColBy')}</th>
                  <th>{t('auditColDetails')}</th>
                </tr>
              </thead>
              <tbody>
                {detail.audit.map((a) => (
                  <tr key={a.id} data-testid="audit-row" data-action={a.action}>
                    <td className="nowrap">{fmtTime(a.at)}</td>
                    <td translate="no">{a.action}</td>
                    <td>
                      {known(`actor_${a.actorKind}`) ? t(`actor_${a.actorKind}` as AdminKey) : a.actorKind}
                    </td>
                    <td className="memo">{auditSummary(a.details)}</td>
                  </tr>
                ))}
                {detail.audit.length === 0 && <EmptyRow colSpan={4}>{t('auditNothing')}</EmptyRow>}
              </tbody>
            </table>
          </div>
        </div>
      </div>

      <div className="detail-grid two">
        <div className="card flush">
          <h2 className="card-title pad">{t('readingsTitle')}</h2>
          <div className="table-wrap">
            <table className="admin-table" data-testid="readings-table">
              <thead>
                <tr>
                  <th className="num">{t('readingsColSeq')}</th>
                  <th className="num">{t('readingsColRegister')}</th>
                  <th className="num">{t('meterPower')}</th>
                  <th>{t('readingsColReceived')}</th>
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
                {detail.readings.length === 0 && <EmptyRow colSpan={4}>{t('readingsNone')}</EmptyRow>}
              </tbody>
            </table>
          </div>
        </div>
        <div className="card flush">
          <h2 className="card-title pad">{t('historyTitle')}</h2>
          <div className="table-wrap">
            <table className="admin-table" data-testid="status-history">
              <thead>
                <tr>
                  <th>{t('ledgerColWhen')}</th>
                  <th>{t('historyColStatus')}</th>
                  <th>{t('colRelay')}</th>
                </tr>
              </thead>
              <tbody>
                {detail.statusHistory.map((s, i) => (
                  <tr key={`${s.at}-${i}`}>
                    <td className="nowrap">{fmtTime(s.at)}</td>
                    <td>{t(meterStatusKey(s.status))}</td>
                    <td>
                      {s.relay === 'on' ? t('relayOn') : s.relay === 'off' ? t('relayOff') : (s.relay ?? '—')}
                    </td>
                  </tr>
                ))}
                {detail.statusHistory.length === 0 && <EmptyRow colSpan={3}>{t('historyNone')}</EmptyRow>}
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
  const { t } = useAdminI18n();
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
          text: t('relayQueued', {
            action: t(RELAY_ACTIONS.find((a) => a.action === action)?.label ?? 'relayAuto'),
            status: known(`commandStatus_${cmd.status}`)
              ? t(`commandStatus_${cmd.status}` as AdminKey)
              : cmd.status,
          }),
        });
        setAction(null);
        setReason('');
        onDone();
      },
    );
  };

  return (
    <div className="card stat-card" data-testid="remote-control">
      <h2 className="card-title">{t('remoteTitle')}</h2>
      <div className="button-row">
        {RELAY_ACTIONS.map((a) => (
          <button
            key={a.action}
            type="button"
            className={`button small ${action === a.action ? 'primary' : ''} ${a.action === 'disconnect' ? 'danger' : ''}`}
            title={t(a.hint)}
            aria-pressed={action === a.action}
            onClick={() => {
              setAction(a.action);
              setMessage(null);
            }}
            data-testid={`relay-${a.action}`}
          >
            {t(a.label)}
          </button>
        ))}
      </div>
      {action && (
        <form className="reason-form" onSubmit={submit} data-testid="reason-prompt">
          <ReasonField
            label={<>{t('reasonTo', { action: t(`commandAction_${action}`), meterNo })}</>}
            autoFocus
            value={reason}
            onChange={setReason}
            placeholder={t('relayReasonPlaceholder')}
            testId="reason-input"
          />
          <SubmitRow
            busy={busy}
            disabled={!reason.trim()}
            busyLabel={t('sending')}
            testId="reason-confirm"
            onCancel={() => setAction(null)}
          >
            {t('sendAction', { action: t(`commandAction_${action}`) })}
          </SubmitRow>
        </form>
      )}
      <NoticeLine notice={message} testId="relay-message" />
      {!action && !message && <p className="muted small-text">{t('commandNeedsReason')}</p>}
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
  const { t } = useAdminI18n();
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
          text: t('adjustedBy', { value: `${value > 0 ? '+' : ''}${value}`, balance: fmtKwh(r.balanceKwh) }),
        });
        setKwh('');
        setReason('');
        onDone();
      },
    );
  };

  return (
    <form className="card stat-card adjust-form" onSubmit={submit} data-testid="adjustment-form">
      <h2 className="card-title">{t('adjustTitle')}</h2>
      <label className="admin-label">
        {t('adjustEnergy')}
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
        placeholder={t('adjustPlaceholder')}
        testId="adjust-reason"
      />
      <SubmitButton busy={busy} disabled={!valid} busyLabel={t('saving')} testId="adjust-submit">
        {t('adjustPost')}
      </SubmitButton>
      <NoticeLine notice={notice} testId="adjust-message" />
    </form>
  );
}

function ConfigForm({ ctx, meter, onDone }: MeterCardProps) {
  const { t } = useAdminI18n();
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
        setNotice({
          ok: true,
          text: t('configQueued', {
            status: known(`commandStatus_${cmd.status}`)
              ? t(`commandStatus_${cmd.status}` as AdminKey)
              : cmd.status,
          }),
        });
        setReason('');
        onDone();
      },
    );
  };

  return (
    <details className="card config-card" data-testid="config-form">
      <summary className="card-title">{t('configTitle')}</summary>
      <form className="adjust-form" onSubmit={submit}>
        <div className="config-grid">
          <label className="admin-label">
            {t('configInterval')}
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
            {t('configLow')}
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
            {t('configEmergency')}
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
        <SubmitButton busy={busy} disabled={!reason.trim()} busyLabel={t('sending')}>
          {t('configSend')}
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
  const { t } = useAdminI18n();
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
          <span className={`badge ${l.kind === 'refund' ? 'bad' : ''}`}>
            {known(`ledgerKind_${l.kind}`) ? t(`ledgerKind_${l.kind}` as AdminKey) : l.kind}
          </span>
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
        <td className="memo" translate="no">
          {ledgerMemoText(l.memo, t, fmtKes)}
        </td>
        <td className="num">
          {movable && ctx.can('money.move') && (
            <button
              type="button"
              className="button small"
              aria-expanded={open}
              onClick={() => setOpen((o) => !o)}
              title={t('moveTitle')}
              data-testid="ledger-move"
            >
              {t('moveOpen')}
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
  const { t } = useAdminI18n();
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
        {t('moveExplain', { amount: fmtKes(entry.amountCents), energy: fmtKwh(entry.energyKwh) })}
      </p>
      <div className="inline-fields">
        <MeterNoField label={t('moveTo')} value={to} onChange={setTo} testId="move-payment-to" />
        <ReasonField
          grow
          value={reason}
          onChange={setReason}
          placeholder={t('movePlaceholder')}
          testId="move-payment-reason"
        />
      </div>
      <SubmitRow
        busy={busy}
        disabled={!valid}
        busyLabel={t('moving')}
        testId="move-payment-submit"
        onCancel={onCancel}
      >
        {t('movePayment')}
      </SubmitRow>
      <NoticeLine notice={notice} testId="move-payment-message" />
    </form>
  );
}

/** Device credentials and the emergency advance: the rarer, weightier actions. */
function DeviceCard({ ctx, meter, onDone }: MeterCardProps) {
  const { t } = useAdminI18n();
  const emergencyOpen = meter.serverBalanceKwh <= 0 && meter.debtCents === 0;
  return (
    <div className="card stat-card" data-testid="device-card">
      <h2 className="card-title">{t('deviceTitle')}</h2>
      <div>
        <h3 className="sub-title">{t('deviceSecret')}</h3>
        <p className="muted small-text">
          {t('deviceSecretHintBefore')}{' '}
          <span className="mono" translate="no">
            {meter.meterNo}
          </span>
          {t('deviceSecretHintAfter')}
        </p>
      </div>
      <RotateSecret meterNo={meter.meterNo} rotate={ctx.api.rotateSecret} onRotated={onDone} />
      <div>
        <h3 className="sub-title">{t('emergencyTitle')}</h3>
        <p className="muted small-text">
          {meter.emergencyTakenAt
            ? t('emergencyTaken', { when: fmtTime(meter.emergencyTakenAt), debt: fmtKes(meter.debtCents) })
            : emergencyOpen
              ? t('emergencyAvailable')
              : t('emergencyLater')}
        </p>
      </div>
      <EmergencyAdvance ctx={ctx} meterNo={meter.meterNo} available={emergencyOpen} onDone={onDone} />
    </div>
  );
}
