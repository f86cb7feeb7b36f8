/** A register jump ingest held as implausible (MQ-13), with the operator's decisions on it. */
import { useState, type FormEvent } from 'react';
import type { HoldAction, RegisterHold } from './admin-api';
import type { AdminContext } from './admin-context';
import { fmtMwhAsKwh, fmtPower, fmtTime } from './admin-format';
import { ReasonField, SubmitRow, useSubmit } from './admin-form';
import { AdminLink, NoticeLine } from './admin-kit';

const ACTIONS: Record<HoldAction, { label: string; hint: string; done: string }> = {
  accept: {
    label: 'Accept',
    hint: 'The jump was genuine use: debit it from the balance',
    done: 'Accepted: the jump was debited.',
  },
  reset_epoch: {
    label: 'Reset epoch',
    hint: 'The register was replaced or reset: re-base it without a debit; the meter gets the re-based credit limit',
    done: 'Register epoch reset: nothing debited, later reports debit from the new register.',
  },
  dismiss: {
    label: 'Dismiss',
    hint: 'The meter is back on its old register: the jump was a glitch',
    done: 'Dismissed: nothing changed.',
  },
};

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

export function RegisterHoldCard({
  ctx,
  hold,
  onDone,
  showMeter = false,
}: {
  ctx: AdminContext;
  hold: RegisterHold;
  onDone: () => void;
  showMeter?: boolean;
}) {
  const [action, setAction] = useState<HoldAction | null>(null);
  const [reason, setReason] = useState('');
  const { busy, notice, setNotice, run } = useSubmit();
  const jumpMwh = hold.heldEnergyMwh - hold.appliedEnergyMwh;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!action || !reason.trim()) return;
    run(
      () => ctx.api.decideHold(hold.id, action, reason.trim()),
      () => {
        setNotice({ ok: true, text: ACTIONS[action].done });
        setAction(null);
        setReason('');
        onDone();
      },
    );
  };

  return (
    <div
      className="card stat-card"
      data-testid="register-hold"
      data-hold-id={hold.id}
      data-status={hold.status}
      data-meter={hold.meterNo}
    >
      <h2 className="card-title">
        Held register jump
        {showMeter && (
          <>
            {' · '}
            <AdminLink className="mono" to={`/admin/meters/${encodeURIComponent(hold.meterNo)}`}>
              {hold.meterNo}
            </AdminLink>
          </>
        )}
      </h2>
      <p className="muted small-text">
        Nothing has been debited.{' '}
        {hold.backOnRegister
          ? 'The meter reports from its old register again, so the jump looks like a glitch.'
          : 'The meter still reports the held register.'}
      </p>
      <dl className="facts">
        <dt>Register applied</dt>
        <dd className="mono">{fmtMwhAsKwh(hold.appliedEnergyMwh)} kWh</dd>
        <dt>Register held</dt>
        <dd className="mono" data-testid="hold-held-kwh">
          {fmtMwhAsKwh(hold.heldEnergyMwh)} kWh
        </dd>
        <dt>Jump</dt>
        <dd className="mono">{fmtMwhAsKwh(jumpMwh)} kWh</dd>
        <dt>Plausible at most</dt>
        <dd className="mono">
          {fmtMwhAsKwh(hold.allowedMwh)} kWh ({fmtPower(hold.ratedPowerW)} for {duration(hold.elapsedMs)})
        </dd>
        <dt>Reports held</dt>
        <dd className="mono">
          {hold.reports} · first {fmtTime(hold.firstReceivedAt)} · last {fmtTime(hold.lastReceivedAt)}
        </dd>
      </dl>
      <div className="button-row">
        {/* Releasing or resetting a held register moves a balance: money.move alone. */}
        {(ctx.can('money.move') ? hold.actions : []).map((a) => (
          <button
            key={a}
            type="button"
            className={`button small ${action === a ? 'primary' : ''}`}
            title={ACTIONS[a].hint}
            aria-pressed={action === a}
            onClick={() => {
              setAction(a);
              setNotice(null);
            }}
            data-testid={`hold-${a}`}
          >
            {ACTIONS[a].label}
          </button>
        ))}
      </div>
      {action && (
        <form className="reason-form" onSubmit={submit} data-testid="hold-reason-prompt">
          <p className="muted small-text">{ACTIONS[action].hint}.</p>
          <ReasonField
            autoFocus
            value={reason}
            onChange={setReason}
            placeholder="e.g. meter replaced on site, ticket 123"
            testId="hold-reason"
          />
          <SubmitRow
            busy={busy}
            disabled={!reason.trim()}
            busyLabel="Saving…"
            testId="hold-confirm"
            onCancel={() => setAction(null)}
          >
            {ACTIONS[action].label}
          </SubmitRow>
        </form>
      )}
      <NoticeLine notice={notice} testId="hold-message" />
    </div>
  );
}
