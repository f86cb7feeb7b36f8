import { useState, type FormEvent } from 'react';
import type { MessageKey } from '../i18n/dictionary';
import { useI18n } from '../ui/i18n-context';
import { operatorRoles, type OperatorRole, type Role, type UserRow } from './admin-api';
import type { AdminContext } from './admin-context';
import { ReasonField, SubmitButton, SubmitRow, useSubmit } from './admin-form';
import { NoticeLine } from './admin-kit';

const ROLES: readonly Role[] = ['customer', ...operatorRoles];
/** The dictionary key naming a role (unknown roles read as customers: they open nothing). */
export const roleKey = (role: string): MessageKey =>
  role === 'viewer' || role === 'support' || role === 'admin' ? `usrRole_${role}` : 'usrRole_customer';

/** The same rule as the server's: 07…, 01…, +254…, 254…, spaces and dashes allowed. */
export const isKenyanMobile = (v: string): boolean => /^(?:\+?254|0)[17]\d{8}$/.test(v.replace(/[\s-]/g, ''));

type Action = 'phone' | 'password' | 'access' | 'role';

/**
 * One account's care: phone, temporary password, disable/enable, role. What the signed-in operator
 * may not do is not shown: customers need `customers.care`, operators' accounts `operators.manage`.
 */
export function AccountCard({
  ctx,
  user,
  onChanged,
}: {
  ctx: AdminContext;
  user: UserRow;
  onChanged: () => void;
}) {
  const { t } = useI18n();
  const [open, setOpen] = useState<Action | null>(null);
  const self = user.id === ctx.meId;
  const manage = ctx.can(user.role === 'customer' ? 'customers.care' : 'operators.manage');
  const changeRole = ctx.can('operators.manage') && !self;
  if (!manage && !changeRole) return null;
  const toggle = (a: Action) => setOpen((o) => (o === a ? null : a));
  const done = () => {
    onChanged();
  };
  const button = (a: Action, label: MessageKey, testId: string) => (
    <button
      type="button"
      className="button small ghost"
      aria-expanded={open === a}
      onClick={() => toggle(a)}
      data-testid={testId}
    >
      {t(label)}
    </button>
  );
  return (
    <div className="adjust-form" data-testid="account-card">
      <h3 className="sub-title">{t('usrAccountTitle')}</h3>
      {self && <p className="muted small-text">{t('usrThisIsYou')}</p>}
      <div className="button-row">
        {manage && button('phone', 'usrEditPhone', 'account-phone')}
        {manage && !self && button('password', 'usrResetPassword', 'account-reset')}
        {manage && !self && button('access', user.disabled ? 'usrEnable' : 'usrDisable', 'account-access')}
        {changeRole && button('role', 'usrChangeRole', 'account-role')}
      </div>
      {open === 'phone' && <PhoneForm ctx={ctx} user={user} onDone={done} />}
      {open === 'password' && <ResetPasswordForm ctx={ctx} user={user} onDone={done} />}
      {open === 'access' && <AccessForm ctx={ctx} user={user} onDone={done} onCancel={() => setOpen(null)} />}
      {open === 'role' && <RoleForm ctx={ctx} user={user} onDone={done} />}
    </div>
  );
}

function PhoneForm({ ctx, user, onDone }: { ctx: AdminContext; user: UserRow; onDone: () => void }) {
  const { t } = useI18n();
  const [phone, setPhone] = useState(user.phone ?? '');
  const [reason, setReason] = useState('');
  const { busy, notice, setNotice, run } = useSubmit();
  const valid = isKenyanMobile(phone);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!valid || !reason.trim()) return;
    run(
      () => ctx.api.changePhone(user.id, phone, reason.trim()),
      (u) => {
        setNotice({ ok: true, text: t('usrPhoneSaved', { phone: u.phone ?? '' }) });
        onDone();
      },
    );
  };
  return (
    <form className="reason-form inset" onSubmit={submit} data-testid="phone-form">
      <label className="admin-label">
        {t('usrPhoneLabel')}
        <input
          className="admin-input"
          type="tel"
          inputMode="tel"
          value={phone}
          placeholder={t('usrPhoneHint')}
          onChange={(e) => setPhone(e.target.value)}
          aria-invalid={phone !== '' && !valid}
          data-testid="phone-input"
        />
      </label>
      {phone !== '' && !valid && <p className="form-error small-text">{t('usrPhoneInvalid')}</p>}
      <ReasonField label={t('usrReasonAudited')} value={reason} onChange={setReason} testId="phone-reason" />
      <SubmitButton
        busy={busy}
        disabled={!valid || !reason.trim()}
        busyLabel={t('usrWorking')}
        testId="phone-submit"
      >
        {t('usrSavePhone')}
      </SubmitButton>
      <NoticeLine notice={notice} testId="phone-message" />
    </form>
  );
}

function ResetPasswordForm({ ctx, user, onDone }: { ctx: AdminContext; user: UserRow; onDone: () => void }) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const [temporary, setTemporary] = useState<string | null>(null);
  const { busy, notice, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) return;
    run(
      () => ctx.api.resetPassword(user.id, reason.trim()),
      (r) => {
        setTemporary(r.temporaryPassword);
        setReason('');
        onDone();
      },
    );
  };
  if (temporary)
    return <TemporaryPassword name={user.name} value={temporary} onDismiss={() => setTemporary(null)} />;
  return (
    <form className="reason-form inset" onSubmit={submit} data-testid="reset-form">
      <p className="small-text">{t('usrResetHint')}</p>
      <ReasonField label={t('usrReasonAudited')} value={reason} onChange={setReason} testId="reset-reason" />
      <SubmitButton busy={busy} disabled={!reason.trim()} busyLabel={t('usrResetting')} testId="reset-submit">
        {t('usrResetConfirm', { name: user.name })}
      </SubmitButton>
      <NoticeLine notice={notice} testId="reset-message" />
    </form>
  );
}

/** A temporary password the server will never show again: visible until dismissed. */
function TemporaryPassword({
  name,
  value,
  onDismiss,
}: {
  name: string;
  value: string;
  onDismiss: () => void;
}) {
  const { t } = useI18n();
  return (
    <div className="secret-reveal" role="alert" data-testid="temporary-password">
      <p className="secret-warning">{t('usrTempShown', { name })}</p>
      <p className="mono secret-value" data-testid="temporary-password-value">
        {value}
      </p>
      <button type="button" className="button small ghost" onClick={onDismiss}>
        {t('usrTempDone')}
      </button>
    </div>
  );
}

function AccessForm({
  ctx,
  user,
  onDone,
  onCancel,
}: {
  ctx: AdminContext;
  user: UserRow;
  onDone: () => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const { busy, notice, setNotice, run } = useSubmit();
  const disable = !user.disabled;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) return;
    run(
      () => ctx.api.setDisabled(user.id, disable, reason.trim()),
      () => {
        setNotice({ ok: true, text: t(disable ? 'usrDisabled' : 'usrEnabled') });
        setReason('');
        onDone();
      },
    );
  };
  return (
    <form className="reason-form inset" onSubmit={submit} data-testid="access-form">
      {disable && <p className="small-text">{t('usrDisableHint')}</p>}
      <ReasonField label={t('usrReasonAudited')} value={reason} onChange={setReason} testId="access-reason" />
      <SubmitRow
        busy={busy}
        disabled={!reason.trim()}
        busyLabel={t('usrWorking')}
        testId="access-submit"
        onCancel={onCancel}
      >
        {t(disable ? 'usrDisableConfirm' : 'usrEnableConfirm')}
      </SubmitRow>
      <NoticeLine notice={notice} testId="access-message" />
    </form>
  );
}

function RoleForm({ ctx, user, onDone }: { ctx: AdminContext; user: UserRow; onDone: () => void }) {
  const { t } = useI18n();
  const [role, setRole] = useState<Role>(ROLES.find((r) => r === user.role) ?? 'customer');
  const [reason, setReason] = useState('');
  const { busy, notice, setNotice, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim() || role === user.role) return;
    run(
      () => ctx.api.changeRole(user.id, role, reason.trim()),
      (u) => {
        setNotice({ ok: true, text: t('usrRoleChanged', { role: t(roleKey(u.role)) }) });
        setReason('');
        onDone();
      },
    );
  };
  return (
    <form className="reason-form inset" onSubmit={submit} data-testid="role-form">
      <RoleSelect value={role} onChange={setRole} roles={ROLES} testId="role-select" />
      <ReasonField label={t('usrReasonAudited')} value={reason} onChange={setReason} testId="role-reason" />
      <SubmitButton
        busy={busy}
        disabled={!reason.trim() || role === user.role}
        busyLabel={t('usrWorking')}
        testId="role-submit"
      >
        {t('usrChangeRole')}
      </SubmitButton>
      <NoticeLine notice={notice} testId="role-message" />
    </form>
  );
}

function RoleSelect<R extends Role>({
  value,
  onChange,
  roles,
  testId,
}: {
  value: R;
  onChange: (r: R) => void;
  roles: readonly R[];
  testId: string;
}) {
  const { t } = useI18n();
  return (
    <label className="admin-label">
      {t('usrRoleLabel')}
      <select
        className="admin-input"
        value={value}
        onChange={(e) => onChange(roles.find((r) => r === e.target.value) ?? value)}
        data-testid={testId}
      >
        {roles.map((r) => (
          <option key={r} value={r}>
            {t(roleKey(r))}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Admins add operators with a role; the temporary password is shown here once. */
export function CreateOperatorForm({ ctx, onDone }: { ctx: AdminContext; onDone: () => void }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<OperatorRole>('viewer');
  const [reason, setReason] = useState('');
  const [temporary, setTemporary] = useState<{ name: string; value: string } | null>(null);
  const { busy, notice, setNotice, run } = useSubmit();
  const ready = name.trim() !== '' && email.trim() !== '' && reason.trim() !== '';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!ready) return;
    setNotice(null);
    run(
      () => ctx.api.createOperator({ name: name.trim(), email: email.trim(), role, reason: reason.trim() }),
      (r) => {
        setTemporary({ name: r.user.name, value: r.temporaryPassword });
        setNotice({
          ok: true,
          text: t('usrCreated', { email: r.user.email, role: t(roleKey(r.user.role)) }),
        });
        setName('');
        setEmail('');
        setReason('');
        onDone();
      },
    );
  };
  return (
    <form className="card stat-card" onSubmit={submit} data-testid="create-operator-form">
      <h2 className="card-title">{t('usrCreateTitle')}</h2>
      <p className="muted small-text">{t('usrCreateHint')}</p>
      <div className="config-grid">
        <label className="admin-label">
          {t('usrName')}
          <input
            className="admin-input"
            value={name}
            onChange={(e) => setName(e.target.value)}
            data-testid="operator-name"
          />
        </label>
        <label className="admin-label">
          {t('usrEmail')}
          <input
            className="admin-input"
            type="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            data-testid="operator-email"
          />
        </label>
        <RoleSelect value={role} onChange={setRole} roles={operatorRoles} testId="operator-role" />
      </div>
      <ReasonField
        label={t('usrReasonAudited')}
        value={reason}
        onChange={setReason}
        testId="operator-reason"
      />
      <SubmitButton busy={busy} disabled={!ready} busyLabel={t('usrCreating')} testId="operator-submit">
        {t('usrCreate')}
      </SubmitButton>
      <NoticeLine notice={notice} testId="operator-message" />
      {temporary && (
        <TemporaryPassword
          name={temporary.name}
          value={temporary.value}
          onDismiss={() => setTemporary(null)}
        />
      )}
    </form>
  );
}
