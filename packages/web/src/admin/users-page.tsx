import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { countCsvRows, type DeviceCredentials, type ImportResult, type UserRow } from './admin-api';
import type { AdminContext } from './admin-context';
import { MeterNoField, ReasonField, SubmitButton, SubmitRow, useSubmit } from './admin-form';
import { fmtTime } from './admin-format';
import {
  AdminLink,
  EmptyRow,
  ErrorAlert,
  errorText,
  NoticeLine,
  openBlob,
  RotateSecret,
  saveBlob,
  SearchInput,
  SecretReveal,
  useDebounced,
  usePagedList,
  LoadMore,
  ChipGroup,
} from './admin-kit';
import { adminAuditPath, adminMeterPath } from './admin-routes';

type RoleFilter = 'customer' | 'admin' | null;

const ROLE_CHIPS: { value: RoleFilter; label: string; id: string }[] = [
  { value: 'customer', label: 'Customers', id: 'customer' },
  { value: 'admin', label: 'Operators', id: 'admin' },
  { value: null, label: 'Everyone', id: 'all' },
];

/** What an operator can do with a customer's meter besides rotating its secret. */
const OWNER_CHANGES = [
  { to: 'customer', label: 'Move…', testId: 'meter-move' },
  { to: 'nobody', label: 'Unassign…', testId: 'meter-unassign' },
] as const;

/** Kenyan calendar month (UTC+3), as statements are filed. */
const thisMonth = (): string => new Date(Date.now() + 3 * 3_600_000).toISOString().slice(0, 7);

const IMPORT_MAX_BYTES = 256 * 1024;

export function UsersPage({ ctx }: { ctx: AdminContext }) {
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
        <h1>Users</h1>
        <span className="muted">{rows ? `${rows.length}${next ? '+' : ''} shown` : ''}</span>
      </div>
      <div className="fleet-controls">
        <ChipGroup label="Role" options={ROLE_CHIPS} value={role} onChange={setRole} testIdPrefix="role-" />
        <SearchInput
          value={search}
          onChange={setSearch}
          placeholder="Search name, email or phone"
          label="Search users"
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
                  <th>Customer</th>
                  <th className="hide-sm">Phone</th>
                  <th>Meters</th>
                  <th className="hide-sm">Joined</th>
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
                        <button type="button" className="link-button" onClick={() => setSelected(u)}>
                          {u.name}
                        </button>
                        <span className="muted small-text">
                          {u.email}
                          {u.role === 'admin' ? ' · operator' : ''}
                        </span>
                      </div>
                    </td>
                    <td className="hide-sm mono">{u.phone ?? '—'}</td>
                    <td className="mono small-text">
                      {u.meters.length === 0 ? <span className="muted">none</span> : u.meters.join(', ')}
                    </td>
                    <td className="hide-sm nowrap">{fmtTime(u.createdAt).split(',')[0]}</td>
                  </tr>
                ))}
                {rows && rows.length === 0 && <EmptyRow colSpan={4}>Nobody matches.</EmptyRow>}
                {!rows && !error && <EmptyRow colSpan={4}>Loading…</EmptyRow>}
              </tbody>
            </table>
          </div>
          {next && <LoadMore onClick={more} testId="users-load-more" />}
        </div>
        {selected ? (
          <CustomerPanel key={selected.id} ctx={ctx} user={selected} onChanged={refresh} />
        ) : (
          <div className="card empty-state muted" data-testid="customer-none">
            Pick someone to see their meters, move a meter or download a statement.
          </div>
        )}
      </div>
      <div className="detail-grid two">
        <RegisterMeterForm ctx={ctx} onDone={refresh} />
        <ImportMetersForm ctx={ctx} onDone={refresh} />
      </div>
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
  const [moving, setMoving] = useState<{ meterNo: string; to: 'customer' | 'nobody' } | null>(null);
  const toggle = (meterNo: string, to: 'customer' | 'nobody') =>
    setMoving((m) => (m?.meterNo === meterNo && m.to === to ? null : { meterNo, to }));
  return (
    <div className="card stat-card customer-panel" data-testid="customer-panel" data-user-id={user.id}>
      <div>
        <h2 className="card-title">{user.name}</h2>
        <p className="muted small-text">
          {user.email} · {user.phone ?? 'no phone'} · {user.role}
        </p>
      </div>
      <div>
        <h3 className="sub-title">Meters</h3>
        {user.meters.length === 0 && <p className="muted small-text">No meters yet.</p>}
        <ul className="meter-list">
          {user.meters.map((meterNo) => (
            <li key={meterNo} data-testid="customer-meter" data-meter={meterNo}>
              <div className="meter-list-head">
                <AdminLink className="mono" to={adminMeterPath(meterNo)}>
                  {meterNo}
                </AdminLink>
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
                      {c.label}
                    </button>
                  ))}
                  <RotateSecret meterNo={meterNo} rotate={ctx.api.rotateSecret} />
                </div>
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
      <AssignMeterForm ctx={ctx} user={user} onDone={onChanged} />
      <StatementDownload ctx={ctx} user={user} />
      {user.role === 'admin' && (
        <AdminLink
          className="small-text"
          to={adminAuditPath({ actor: user.email })}
          testId="operator-audit-link"
        >
          What this operator did (audit log) →
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
          {value.name} <span className="muted small-text">{value.email}</span>
        </span>
        <button type="button" className="button small ghost" onClick={() => onChange(null)}>
          Change
        </button>
      </div>
    );
  }
  return (
    <div className="picker">
      <input
        className="admin-input"
        type="text"
        placeholder="Search the new customer"
        aria-label="New customer"
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
                {u.name} <span className="muted small-text">{u.email}</span>
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
        <p className="small-text">
          Take <span className="mono">{meterNo}</span> from {from.name}, leaving it with no customer. Its
          credit stays on the meter.
        </p>
      ) : (
        <>
          <p className="small-text">
            Move <span className="mono">{meterNo}</span> from {from.name} to:
          </p>
          <CustomerPicker ctx={ctx} exclude={from.id} value={target} onChange={setTarget} />
        </>
      )}
      <ReasonField
        label="Reason (required, kept in the audit log)"
        value={reason}
        onChange={setReason}
        placeholder={
          to === 'nobody'
            ? 'e.g. house empty, meter taken down'
            : "e.g. tenant moved out, new tenant's account"
        }
        testId={`${id}-reason`}
      />
      <SubmitRow
        busy={busy}
        disabled={!ready}
        busyLabel={to === 'nobody' ? 'Unassigning…' : 'Moving…'}
        testId={`${id}-submit`}
        onCancel={onCancel}
      >
        {to === 'nobody' ? 'Unassign meter' : 'Move meter'}
      </SubmitRow>
      <NoticeLine notice={notice} testId={`${id}-message`} />
    </form>
  );
}

/** Gives this customer a meter, taking it from whoever has it now. */
function AssignMeterForm({ ctx, user, onDone }: { ctx: AdminContext; user: UserRow; onDone: () => void }) {
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
          text: r.previousUserId
            ? `${r.meterNo} moved to ${user.name} from another customer.`
            : `${r.meterNo} assigned to ${user.name}.`,
        });
        setMeterNo('');
        setReason('');
        onDone();
      },
    );
  };
  return (
    <form className="adjust-form" onSubmit={submit} data-testid="assign-form">
      <h3 className="sub-title">Assign a meter</h3>
      <div className="inline-fields">
        <MeterNoField label="Meter number" value={meterNo} onChange={setMeterNo} testId="assign-meter" />
        <ReasonField grow value={reason} onChange={setReason} testId="assign-reason" />
      </div>
      <SubmitButton
        busy={busy}
        disabled={!meterNo.trim() || !reason.trim()}
        busyLabel="Assigning…"
        testId="assign-submit"
      >
        {`Assign to ${user.name}`}
      </SubmitButton>
      <NoticeLine notice={notice} testId="assign-message" />
    </form>
  );
}

function StatementDownload({ ctx, user }: { ctx: AdminContext; user: UserRow }) {
  const [month, setMonth] = useState(thisMonth);
  const { busy, notice, setNotice, run } = useSubmit();
  const fetchStatement = (format: 'csv' | 'html') => {
    setNotice(null);
    run(
      () => ctx.api.statement(user.id, month, format),
      (blob) => {
        if (format === 'csv') saveBlob(blob, `umeme-statement-${user.email}-${month}.csv`);
        else openBlob(blob);
        setNotice({ ok: true, text: `Statement for ${month} ready; the customer is notified.` });
      },
    );
  };
  return (
    <div className="adjust-form" data-testid="statement-form">
      <h3 className="sub-title">Monthly statement</h3>
      <div className="inline-fields">
        <label className="admin-label">
          Month
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
            Download CSV
          </button>
          <button
            type="button"
            className="button small ghost"
            disabled={busy}
            onClick={() => fetchStatement('html')}
            data-testid="statement-html"
          >
            Printable
          </button>
        </div>
      </div>
      <NoticeLine notice={notice} testId="statement-message" />
    </div>
  );
}

function RegisterMeterForm({ ctx, onDone }: { ctx: AdminContext; onDone: () => void }) {
  const [meterNo, setMeterNo] = useState('');
  const [owner, setOwner] = useState('');
  const [opening, setOpening] = useState('');
  const { busy, notice, setNotice, run } = useSubmit();
  const [credentials, setCredentials] = useState<DeviceCredentials | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!meterNo.trim()) return;
    setNotice(null);
    run(
      () =>
        ctx.api.registerMeter({
          meterNo: meterNo.trim(),
          ...(owner.trim() ? { ownerEmail: owner.trim() } : {}),
          ...(opening.trim() ? { openingCreditKwh: Number(opening) } : {}),
        }),
      (r) => {
        setCredentials(r);
        setNotice({ ok: true, text: `${r.meterNo} registered.` });
        setMeterNo('');
        setOwner('');
        setOpening('');
        onDone();
      },
    );
  };
  return (
    <form className="card stat-card" onSubmit={submit} data-testid="register-form">
      <h2 className="card-title">Register a meter</h2>
      <div className="config-grid">
        <MeterNoField
          label="Meter number"
          pattern="[A-Za-z0-9_\-]{1,32}"
          title="1–32 letters, digits, - or _"
          value={meterNo}
          onChange={setMeterNo}
          testId="register-meter-no"
        />
        <label className="admin-label">
          Opening credit kWh
          <input
            className="admin-input"
            type="number"
            min={0}
            step="0.001"
            inputMode="decimal"
            value={opening}
            onChange={(e) => setOpening(e.target.value)}
            data-testid="register-opening"
          />
        </label>
      </div>
      <label className="admin-label">
        Customer email (optional)
        <input
          className="admin-input"
          type="email"
          value={owner}
          onChange={(e) => setOwner(e.target.value)}
          data-testid="register-owner"
        />
      </label>
      <SubmitButton busy={busy} disabled={!meterNo.trim()} busyLabel="Registering…" testId="register-submit">
        Register meter
      </SubmitButton>
      <NoticeLine notice={notice} testId="register-message" />
      {credentials && <SecretReveal credentials={credentials} onDismiss={() => setCredentials(null)} />}
    </form>
  );
}

/** CSV of the secrets an import issued, for the installers; built in the browser, never stored. */
function credentialsCsv(result: ImportResult): string {
  const lines = ['meterNo,mqttUsername,mqttPassword'];
  for (const r of result.rows)
    if (r.ok) lines.push(`${r.meterNo},${r.mqttUsername ?? ''},${r.mqttPassword ?? ''}`);
  return `${lines.join('\r\n')}\r\n`;
}

function ImportMetersForm({ ctx, onDone }: { ctx: AdminContext; onDone: () => void }) {
  const [csv, setCsv] = useState('');
  const { busy, notice, setNotice, run } = useSubmit();
  const [result, setResult] = useState<ImportResult | null>(null);
  const rows = countCsvRows(csv);

  const readFile = (file: File | undefined) => {
    if (!file) return;
    if (file.size > IMPORT_MAX_BYTES) {
      setNotice({
        ok: false,
        text: 'That file is too large: import at most a few thousand meters at a time.',
      });
      return;
    }
    file.text().then(setCsv, (err: unknown) => setNotice({ ok: false, text: errorText(err) }));
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (rows === 0) return;
    setNotice(null);
    run(
      () => ctx.api.importMeters(csv),
      (r) => {
        setResult(r);
        setCsv('');
        onDone();
      },
    );
  };

  return (
    <form className="card stat-card" onSubmit={submit} data-testid="import-form">
      <h2 className="card-title">Register meters from CSV</h2>
      <p className="muted small-text">
        One meter a line: <span className="mono">meterNo,ownerEmail,openingCreditKwh</span> (the last two
        optional; a header line is skipped). Each line succeeds or fails on its own.
      </p>
      <label className="admin-label">
        CSV file
        <input
          className="admin-input"
          type="file"
          accept=".csv,text/csv,text/plain"
          onChange={(e) => readFile(e.target.files?.[0])}
          data-testid="import-file"
        />
      </label>
      <label className="admin-label">
        or paste it
        <textarea
          className="admin-input mono"
          rows={4}
          value={csv}
          onChange={(e) => setCsv(e.target.value)}
          placeholder={'meterNo,ownerEmail,openingCreditKwh\nKE-0001,wanjiku@example.com,5'}
          data-testid="import-csv"
        />
      </label>
      <SubmitButton busy={busy} disabled={rows === 0} busyLabel="Importing…" testId="import-submit">
        {rows === 0 ? 'Import' : `Import ${rows} meter${rows === 1 ? '' : 's'}`}
      </SubmitButton>
      <NoticeLine notice={notice} testId="import-message" />
      {result && (
        <div className="import-result" data-testid="import-result">
          <p data-testid="import-summary" data-created={result.created} data-failed={result.failed}>
            <strong className="ok-text">{result.created} created</strong>
            {result.failed > 0 && <strong className="neg"> · {result.failed} failed</strong>}
          </p>
          <p className="secret-warning small-text">
            <strong>Shown once.</strong> The secrets below cannot be read again: download them for the
            installers now.
          </p>
          <div className="table-wrap">
            <table className="admin-table">
              <thead>
                <tr>
                  <th className="num">Line</th>
                  <th>Meter</th>
                  <th>Secret (shown once) or error</th>
                </tr>
              </thead>
              <tbody>
                {result.rows.map((r) => (
                  <tr key={r.line} data-testid="import-row" data-ok={String(r.ok)} data-line={r.line}>
                    <td className="num mono">{r.line}</td>
                    <td className="mono">{r.meterNo || '—'}</td>
                    <td className={r.ok ? 'mono secret-value' : 'neg memo'}>
                      {r.ok ? r.mqttPassword : r.error}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="button-row">
            {result.created > 0 && (
              <button
                type="button"
                className="button small primary"
                onClick={() =>
                  saveBlob(
                    new Blob([credentialsCsv(result)], { type: 'text/csv' }),
                    'umeme-meter-credentials.csv',
                  )
                }
                data-testid="import-credentials"
              >
                Download credentials CSV
              </button>
            )}
            <button type="button" className="button small ghost" onClick={() => setResult(null)}>
              Done, hide secrets
            </button>
          </div>
        </div>
      )}
    </form>
  );
}
