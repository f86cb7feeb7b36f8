import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useI18n } from '../ui/i18n-context';
import type { UserRow } from './admin-api';
import type { AdminContext } from './admin-context';
import { MeterNoField, ReasonField, SubmitButton, SubmitRow, useSubmit } from './admin-form';
import { fmtTime } from './admin-format';
import {
  AdminLink,
  EmptyRow,
  ErrorAlert,
  NoticeLine,
  openBlob,
  RotateSecret,
  saveBlob,
  SearchInput,
  useDebounced,
  usePagedList,
  LoadMore,
  ChipGroup,
} from './admin-kit';
import { adminAuditPath, adminMeterPath } from './admin-routes';
import { AccountCard, CreateOperatorForm, roleKey } from './users-account';
import { ImportMetersForm, RegisterMeterForm } from './users-meter-forms';

type RoleFilter = 'customer' | 'operator' | null;

/** What an operator can do with a customer's meter besides rotating its secret. */
const OWNER_CHANGES = [
  { to: 'customer', label: 'usrMove', testId: 'meter-move' },
  { to: 'nobody', label: 'usrUnassign', testId: 'meter-unassign' },
] as const;

/** Kenyan calendar month (UTC+3), as statements are filed. */
const thisMonth = (): string => new Date(Date.now() + 3 * 3_600_000).toISOString().slice(0, 7);

export function UsersPage({ ctx }: { ctx: AdminContext }) {
  const { t } = useI18n();
  const roleChips: { value: RoleFilter; label: string; id: string }[] = [
    { value: 'customer', label: t('usrCustomers'), id: 'customer' },
    { value: 'operator', label: t('usrOperators'), id: 'operator' },
    { value: null, label: t('usrEveryone'), id: 'all' },
  ];
  const [role, setRole] = useState<RoleFilter>('customer');
  const [search, setSearch] = useState('');
  const [q] = useDebounced(search, 300);
  const [selected, setSelected] = useState<UserRow | null>(null);
  const fetchPage = useCallback(
    (after: string | null) =>
      ctx.api.users({ q, role, after }).then((page) => ({ items: page.users, next: page.next })),
    [ctx, q, role],
  );
  const { rows, next, error, load, more } = usePagedList(fetchPage, {
    // The selected customer's row as it is now.
    onFirstPage: (users) => setSelected((s) => (s ? (users.find((u) => u.id === s.id) ?? s) : s)),
  });

  /** After a change: the list again, and the selected customer's own row even if it is off the page. */
  const refresh = useCallback(() => {
    load();
    if (!selected) return;
    ctx.api.users({ q: selected.email, limit: 5 }).then(
      (page) => setSelected((s) => page.users.find((u) => u.id === s?.id) ?? s),
      () => {},
    );
  }, [ctx, load, selected]);

  return (
    <section className="admin-page" data-testid="users-page">
      <div className="admin-page-head">
        <h1>{t('usrTitle')}</h1>
        <span className="muted">
          {rows ? t('usrShown', { count: `${rows.length}${next ? '+' : ''}` }) : ''}
        </span>
      </div>
      <div className="fleet-controls">
        <ChipGroup
          label={t('usrRole')}
          options={roleChips}
          value={role}
          onChange={setRole}
          testIdPrefix="role-"
        />
        <SearchInput
          value={search}
          onChange={setSearch}
          placeholder={t('usrSearch')}
          label={t('usrSearchLabel')}
          testId="users-search"
        />
      </div>
      <ErrorAlert error={error} />
      <div className="users-layout">
        <div className="card flush">
          <div className="table-wrap">
            <table className="admin-table" data-testid="users-table" data-loaded={String(rows !== null)}>
              <thead>
                <tr>
                  <th>{t('usrColPerson')}</th>
                  <th className="hide-sm">{t('usrColPhone')}</th>
                  <th>{t('usrColMeters')}</th>
                  <th className="hide-sm">{t('usrColJoined')}</th>
                </tr>
              </thead>
              <tbody>
                {rows?.map((u) => (
                  <tr
                    key={u.id}
                    className={`clickable ${selected?.id === u.id ? 'selected' : ''}`}
                    onClick={() => setSelected(u)}
                    data-testid="user-row"
                    data-user-id={u.id}
                    data-email={u.email}
                    aria-selected={selected?.id === u.id}
                  >
                    <td>
                      <div className="owner-cell">
                        <button
                          type="button"
                          className="link-button"
                          translate="no"
                          onClick={() => setSelected(u)}
                        >
                          {u.name}
                        </button>
                        <span className="muted small-text">
                          <span translate="no">{u.email}</span>
                          {u.role !== 'customer' ? ` · ${t(roleKey(u.role))}` : ''}
                          {u.disabled ? ` · ${t('usrDisabledTag')}` : ''}
                        </span>
                      </div>
                    </td>
                    <td className="hide-sm mono">{u.phone ?? '—'}</td>
                    <td className="mono small-text">
                      {u.meters.length === 0 ? (
                        <span className="muted">{t('usrNone')}</span>
                      ) : (
                        u.meters.join(', ')
                      )}
                    </td>
                    <td className="hide-sm nowrap">{fmtTime(u.createdAt).split(',')[0]}</td>
                  </tr>
                ))}
                {rows && rows.length === 0 && <EmptyRow colSpan={4}>{t('usrNobody')}</EmptyRow>}
                {!rows && !error && <EmptyRow colSpan={4}>{t('loading')}</EmptyRow>}
              </tbody>
            </table>
          </div>
          {next && <LoadMore onClick={more} testId="users-load-more" />}
        </div>
        {selected ? (
          <CustomerPanel key={selected.id} ctx={ctx} user={selected} onChanged={refresh} />
        ) : (
          <div className="card empty-state muted" data-testid="customer-none">
            {t('usrPick')}
          </div>
        )}
      </div>
      {ctx.can('operators.manage') && <CreateOperatorForm ctx={ctx} onDone={refresh} />}
      {ctx.can('meters.manage') && (
        <div className="detail-grid two">
          <RegisterMeterForm ctx={ctx} onDone={refresh} />
          <ImportMetersForm ctx={ctx} onDone={refresh} />
        </div>
      )}
    </section>
  );
}

function CustomerPanel({
  ctx,
  user,
  onChanged,
}: {
  ctx: AdminContext;
  user: UserRow;
  onChanged: () => void;
}) {
  const { t } = useI18n();
  const manageMeters = ctx.can('meters.manage');
  const [moving, setMoving] = useState<{ meterNo: string; to: 'customer' | 'nobody' } | null>(null);
  const toggle = (meterNo: string, to: 'customer' | 'nobody') =>
    setMoving((m) => (m?.meterNo === meterNo && m.to === to ? null : { meterNo, to }));
  return (
    <div className="card stat-card customer-panel" data-testid="customer-panel" data-user-id={user.id}>
      <div>
        <h2 className="card-title" translate="no">
          {user.name}
        </h2>
        <p className="muted small-text">
          {user.email} · {user.phone ?? t('usrNoPhone')} · {t(roleKey(user.role))}
        </p>
      </div>
      <div>
        <h3 className="sub-title">{t('usrMeters')}</h3>
        {user.meters.length === 0 && <p className="muted small-text">{t('usrNoMeters')}</p>}
        <ul className="meter-list">
          {user.meters.map((meterNo) => (
            <li key={meterNo} data-testid="customer-meter" data-meter={meterNo}>
              <div className="meter-list-head">
                <AdminLink className="mono" to={adminMeterPath(meterNo)}>
                  {meterNo}
                </AdminLink>
                {manageMeters && (
                  <div className="button-row">
                    {OWNER_CHANGES.map((c) => (
                      <button
                        key={c.to}
                        type="button"
                        className={`button small${c.to === 'nobody' ? ' ghost' : ''}`}
                        aria-expanded={moving?.meterNo === meterNo && moving.to === c.to}
                        onClick={() => toggle(meterNo, c.to)}
                        data-testid={c.testId}
                      >
                        {t(c.label)}
                      </button>
                    ))}
                    <RotateSecret meterNo={meterNo} rotate={ctx.api.rotateSecret} />
                  </div>
                )}
              </div>
              {moving?.meterNo === meterNo && (
                <ChangeOwnerForm
                  key={moving.to}
                  ctx={ctx}
                  meterNo={meterNo}
                  from={user}
                  to={moving.to}
                  onDone={() => {
                    setMoving(null);
                    onChanged();
                  }}
                  onCancel={() => setMoving(null)}
                />
              )}
            </li>
          ))}
        </ul>
      </div>
      {manageMeters && <AssignMeterForm ctx={ctx} user={user} onDone={onChanged} />}
      <StatementDownload ctx={ctx} user={user} />
      <AccountCard ctx={ctx} user={user} onChanged={onChanged} />
      {user.role !== 'customer' && (
        <AdminLink
          className="small-text"
          to={adminAuditPath({ actor: user.email })}
          testId="operator-audit-link"
        >
          {t('usrOperatorAudit')}
        </AdminLink>
      )}
    </div>
  );
}

/** Picks another customer by name, email or phone. */
function CustomerPicker({
  ctx,
  exclude,
  value,
  onChange,
}: {
  ctx: AdminContext;
  exclude: string;
  value: UserRow | null;
  onChange: (u: UserRow | null) => void;
}) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const [options, setOptions] = useState<UserRow[]>([]);
  useEffect(() => {
    if (value || text.trim().length < 2) {
      setOptions([]);
      return;
    }
    let live = true;
    const id = window.setTimeout(() => {
      ctx.api.users({ q: text, role: 'customer', limit: 6 }).then(
        (p) => {
          if (live) setOptions(p.users.filter((u) => u.id !== exclude));
        },
        () => {},
      );
    }, 250);
    return () => {
      live = false;
      window.clearTimeout(id);
    };
  }, [ctx, text, exclude, value]);

  if (value) {
    return (
      <div className="picked" data-testid="move-target" data-user-id={value.id}>
        <span>
          <span translate="no">{value.name}</span>{' '}
          <span className="muted small-text" translate="no">
            {value.email}
          </span>
        </span>
        <button type="button" className="button small ghost" onClick={() => onChange(null)}>
          {t('usrChange')}
        </button>
      </div>
    );
  }
  return (
    <div className="picker">
      <input
        className="admin-input"
        type="text"
        placeholder={t('usrSearchNew')}
        aria-label={t('usrNewCustomer')}
        value={text}
        onChange={(e) => setText(e.target.value)}
        data-testid="move-target-search"
      />
      {options.length > 0 && (
        <ul className="picker-options" role="listbox">
          {options.map((u) => (
            <li key={u.id}>
              <button
                type="button"
                role="option"
                aria-selected={false}
                onClick={() => onChange(u)}
                data-testid="move-target-option"
                data-user-id={u.id}
              >
                <span translate="no">{u.name}</span>{' '}
                <span className="muted small-text" translate="no">
                  {u.email}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * Gives a meter to another customer (`to` 'customer'), or to nobody (`to` 'nobody': a house left
 * empty, a meter taken down; it keeps its credit and keeps reporting, only operators see it).
 */
function ChangeOwnerForm({
  ctx,
  meterNo,
  from,
  to,
  onDone,
  onCancel,
}: {
  ctx: AdminContext;
  meterNo: string;
  from: UserRow;
  to: 'customer' | 'nobody';
  onDone: () => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [target, setTarget] = useState<UserRow | null>(null);
  const [reason, setReason] = useState('');
  const { busy, notice, run } = useSubmit();
  const ready = (to === 'nobody' || target !== null) && reason.trim() !== '';
  const id = to === 'nobody' ? 'unassign' : 'move';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!ready) return;
    run(() => ctx.api.assign(meterNo, to === 'nobody' ? null : target!.id, reason.trim()), onDone);
  };
  return (
    <form className="reason-form inset" onSubmit={submit} data-testid={`${id}-form`}>
      {to === 'nobody' ? (
        <p className="small-text">{t('usrTakeFrom', { meterNo, name: from.name })}</p>
      ) : (
        <>
          <p className="small-text">{t('usrMoveFrom', { meterNo, name: from.name })}</p>
          <CustomerPicker ctx={ctx} exclude={from.id} value={target} onChange={setTarget} />
        </>
      )}
      <ReasonField
        label={t('usrReasonAudited')}
        value={reason}
        onChange={setReason}
        placeholder={to === 'nobody' ? t('usrUnassignHint') : t('usrMoveHint')}
        testId={`${id}-reason`}
      />
      <SubmitRow
        busy={busy}
        disabled={!ready}
        busyLabel={to === 'nobody' ? t('usrUnassigning') : t('usrMoving')}
        testId={`${id}-submit`}
        onCancel={onCancel}
      >
        {to === 'nobody' ? t('usrUnassignMeter') : t('usrMoveMeter')}
      </SubmitRow>
      <NoticeLine notice={notice} testId={`${id}-message`} />
    </form>
  );
}

/** Gives this customer a meter, taking it from whoever has it now. */
function AssignMeterForm({ ctx, user, onDone }: { ctx: AdminContext; user: UserRow; onDone: () => void }) {
  const { t } = useI18n();
  const [meterNo, setMeterNo] = useState('');
  const [reason, setReason] = useState('');
  const { busy, notice, setNotice, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!meterNo.trim() || !reason.trim()) return;
    run(
      () => ctx.api.assign(meterNo.trim(), user.id, reason.trim()),
      (r) => {
        setNotice({
          ok: true,
          text: t(r.previousUserId ? 'usrMovedFromOther' : 'usrAssigned', {
            meterNo: r.meterNo,
            name: user.name,
          }),
        });
        setMeterNo('');
        setReason('');
        onDone();
      },
    );
  };
  return (
    <form className="adjust-form" onSubmit={submit} data-testid="assign-form">
      <h3 className="sub-title">{t('usrAssignTitle')}</h3>
      <div className="inline-fields">
        <MeterNoField
          label={t('usrMeterNumber')}
          value={meterNo}
          onChange={setMeterNo}
          testId="assign-meter"
        />
        <ReasonField grow label={t('usrReason')} value={reason} onChange={setReason} testId="assign-reason" />
      </div>
      <SubmitButton
        busy={busy}
        disabled={!meterNo.trim() || !reason.trim()}
        busyLabel={t('usrAssigning')}
        testId="assign-submit"
      >
        {t('usrAssignTo', { name: user.name })}
      </SubmitButton>
      <NoticeLine notice={notice} testId="assign-message" />
    </form>
  );
}

function StatementDownload({ ctx, user }: { ctx: AdminContext; user: UserRow }) {
  const { t } = useI18n();
  const [month, setMonth] = useState(thisMonth);
  const { busy, notice, setNotice, run } = useSubmit();
  const fetchStatement = (format: 'csv' | 'html') => {
    setNotice(null);
    run(
      () => ctx.api.statement(user.id, month, format),
      (blob) => {
        if (format === 'csv') saveBlob(blob, `umeme-statement-${user.email}-${month}.csv`);
        else openBlob(blob);
        setNotice({ ok: true, text: t('usrStatementReady', { month }) });
      },
    );
  };
  return (
    <div className="adjust-form" data-testid="statement-form">
      <h3 className="sub-title">{t('usrStatementTitle')}</h3>
      <div className="inline-fields">
        <label className="admin-label">
          {t('usrMonth')}
          <input
            className="admin-input"
            type="month"
            max={thisMonth()}
            value={month}
            onChange={(e) => e.target.value && setMonth(e.target.value)}
            data-testid="statement-month"
          />
        </label>
        <div className="button-row align-end">
          <button
            type="button"
            className="button small"
            disabled={busy}
            onClick={() => fetchStatement('csv')}
            data-testid="statement-csv"
          >
            {t('usrDownloadCsv')}
          </button>
          <button
            type="button"
            className="button small ghost"
            disabled={busy}
            onClick={() => fetchStatement('html')}
            data-testid="statement-html"
          >
            {t('usrPrintable')}
          </button>
        </div>
      </div>
      <NoticeLine notice={notice} testId="statement-message" />
    </div>
  );
}
