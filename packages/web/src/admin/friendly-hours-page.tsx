/**
 * Friendly hours (issue 5 §4) in the console: the schedule, where it stands now, and a form to
 * change it. The server validates and audits every change with the operator's reason.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { MessageKey } from '../i18n/dictionary';
import type { MessageParams } from '../i18n/i18n';
import { useI18n } from '../ui/i18n-context';
import type { FriendlyHoursInput, FriendlyHoursSettings } from './admin-api';
import type { AdminContext } from './admin-context';
import { fmtTime } from './admin-format';
import { ReasonField, SubmitButton, useSubmit } from './admin-form';
import { AdminLink, ErrorAlert, NoticeLine } from './admin-kit';
import { adminAuditPath } from './admin-routes';

type Schedule = FriendlyHoursSettings['schedule'];
/** The server's limits (friendly-hours.schema.ts): ±14 h from UTC. */
const MAX_OFFSET_MINUTES = 14 * 60;
/** Mirrors HOLIDAY_PATTERN in @umeme/core (the server checks it again and names a bad date). */
const HOLIDAY = /^(\d{4}-)?(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

interface Form {
  enabled: boolean;
  nightStart: string;
  nightEnd: string;
  sundays: boolean;
  holidays: string;
  offset: string;
  reason: string;
}

const toForm = (s: Schedule): Form => ({
  enabled: s.enabled,
  nightStart: s.nightStart,
  nightEnd: s.nightEnd,
  sundays: s.sundays,
  holidays: s.holidays.join('\n'),
  offset: String(s.utcOffsetMinutes),
  reason: '',
});

/** The form as the API's body, or the first thing wrong with it (as a dictionary key). */
export function friendlyHoursFromForm(
  f: Form,
): FriendlyHoursInput | { key: MessageKey; params?: MessageParams } {
  const holidays = f.holidays
    .split(/[\s,]+/)
    .map((h) => h.trim())
    .filter(Boolean);
  const bad = holidays.find((h) => !HOLIDAY.test(h));
  if (bad !== undefined) return { key: 'opxFhBadHoliday', params: { value: bad } };
  const offset = Number(f.offset);
  if (f.offset.trim() === '' || !Number.isInteger(offset) || Math.abs(offset) > MAX_OFFSET_MINUTES) {
    return { key: 'opxFhBadOffset', params: { max: MAX_OFFSET_MINUTES } };
  }
  return {
    enabled: f.enabled,
    nightStart: f.nightStart,
    nightEnd: f.nightEnd,
    sundays: f.sundays,
    holidays,
    utcOffsetMinutes: offset,
    reason: f.reason.trim(),
  };
}

export function FriendlyHoursPage({ ctx }: { ctx: AdminContext }) {
  const { t } = useI18n();
  const [settings, setSettings] = useState<FriendlyHoursSettings | null>(null);
  const [form, setForm] = useState<Form | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { busy, notice, setNotice, run } = useSubmit();

  const load = useCallback(() => {
    ctx.api.friendlyHours().then(
      (s) => {
        setSettings(s);
        setForm(toForm(s.schedule));
        setError(null);
      },
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    );
  }, [ctx]);
  useEffect(load, [load]);

  if (!settings || !form) {
    return (
      <section className="admin-page" data-testid="friendly-hours-page">
        <ErrorAlert error={error} />
        {!error && <p className="center muted">{t('opxLoading')}</p>}
      </section>
    );
  }

  const set = <K extends keyof Form>(k: K, v: Form[K]) => setForm({ ...form, [k]: v });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body = friendlyHoursFromForm(form);
    if ('key' in body) {
      setNotice({ ok: false, text: t(body.key, body.params) });
      return;
    }
    run(
      () => ctx.api.saveFriendlyHours(body),
      (s) => {
        setSettings(s);
        setForm(toForm(s.schedule));
        setNotice({ ok: true, text: t('opxFhSaved') });
      },
    );
  };

  const now = settings.now;
  const state = !settings.schedule.enabled
    ? t('opxFhNowOff')
    : now.active
      ? t('opxFhNowActive', { time: now.untilLocalTime ?? '—' })
      : t('opxFhNowNext', { time: now.untilLocalTime ?? '—' });

  return (
    <section className="admin-page" data-testid="friendly-hours-page">
      <div className="admin-page-head">
        <div>
          <h1>{t('opxFhTitle')}</h1>
          <p className="muted">{t('opxFhIntro')}</p>
        </div>
      </div>
      <div className="card stat-card" data-testid="friendly-hours-now" data-active={String(now.active)}>
        <strong className={now.active ? 'good-text' : undefined}>{state}</strong>
        <p className="muted small-text">
          {settings.updatedAt
            ? t('opxFhUpdated', { when: fmtTime(settings.updatedAt) })
            : t('opxFhNeverChanged')}{' '}
          ·{' '}
          <AdminLink to={adminAuditPath({ action: 'friendly_hours.' })} testId="friendly-hours-audit">
            {t('opxFhAuditLink')}
          </AdminLink>
        </p>
      </div>
      <form className="card adjust-form friendly-form" onSubmit={submit} data-testid="friendly-hours-form">
        <label className="check-label">
          <input
            type="checkbox"
            checked={form.enabled}
            onChange={(e) => set('enabled', e.target.checked)}
            data-testid="fh-enabled"
          />{' '}
          {t('opxFhEnabled')}
        </label>
        <div className="config-grid">
          <label className="admin-label">
            {t('opxFhNightStart')}
            <input
              className="admin-input"
              type="time"
              required
              value={form.nightStart}
              onChange={(e) => set('nightStart', e.target.value)}
              data-testid="fh-night-start"
            />
          </label>
          <label className="admin-label">
            {t('opxFhNightEnd')}
            <input
              className="admin-input"
              type="time"
              required
              value={form.nightEnd}
              onChange={(e) => set('nightEnd', e.target.value)}
              data-testid="fh-night-end"
            />
          </label>
          <label className="admin-label">
            {t('opxFhOffset')}
            <input
              className="admin-input"
              type="number"
              step={1}
              value={form.offset}
              onChange={(e) => set('offset', e.target.value)}
              data-testid="fh-offset"
            />
            <span className="muted small-text">{t('opxFhOffsetHint')}</span>
          </label>
        </div>
        <label className="check-label">
          <input
            type="checkbox"
            checked={form.sundays}
            onChange={(e) => set('sundays', e.target.checked)}
            data-testid="fh-sundays"
          />{' '}
          {t('opxFhSundays')}
        </label>
        <label className="admin-label">
          {t('opxFhHolidays')}
          <textarea
            className="admin-input mono"
            rows={4}
            value={form.holidays}
            onChange={(e) => set('holidays', e.target.value)}
            data-testid="fh-holidays"
          />
          <span className="muted small-text">{t('opxFhHolidaysHint')}</span>
        </label>
        <ReasonField
          label={t('opxReason')}
          value={form.reason}
          onChange={(v) => set('reason', v)}
          placeholder={t('opxReasonHint')}
          testId="fh-reason"
        />
        <SubmitButton busy={busy} disabled={!form.reason.trim()} busyLabel={t('opxSaving')} testId="fh-save">
          {t('opxFhSave')}
        </SubmitButton>
        <NoticeLine notice={notice} testId="fh-message" />
      </form>
    </section>
  );
}
