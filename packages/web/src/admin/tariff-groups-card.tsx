import { useCallback, useEffect, useState } from 'react';
import { useI18n } from '../ui/i18n-context';
import type { TariffGroups } from './admin-api';
import type { AdminContext } from './admin-context';
import { NoticeLine } from './admin-kit';
import { ReasonField, SubmitButton, useSubmit } from './admin-form';

/** What a group's name may be: the server's TARIFF_GROUP_PATTERN (core). */
const GROUP_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
export const STANDARD_GROUP = 'standard';

/** The customer group a new tariff version prices: one of the known groups or a new name. */
export function TariffGroupField({
  groups,
  value,
  onChange,
}: {
  groups: readonly string[];
  value: string;
  onChange: (group: string) => void;
}) {
  const { t } = useI18n();
  return (
    <label className="admin-label inline">
      {t('opGroupForVersion')}
      <input
        className="admin-input"
        list="tariff-group-names"
        value={value}
        maxLength={32}
        translate="no"
        onChange={(e) => onChange(e.target.value.trim().toLowerCase())}
        data-testid="tariff-group"
      />
      <datalist id="tariff-group-names">
        {groups.map((g) => (
          <option key={g} value={g} />
        ))}
      </datalist>
    </label>
  );
}

/** The groups, their meter counts and the version pricing each; and moving meters into one. */
export function TariffGroupsCard({
  ctx,
  groups,
  onChanged,
}: {
  ctx: AdminContext;
  groups: TariffGroups | null;
  onChanged: () => void;
}) {
  const { t } = useI18n();
  const [group, setGroup] = useState('');
  const [meterNos, setMeterNos] = useState('');
  const [reason, setReason] = useState('');
  const { busy, notice, setNotice, run } = useSubmit();
  return (
    <section className="card stack" data-testid="tariff-groups">
      <h2>{t('opGroupsTitle')}</h2>
      <p className="muted">{t('opGroupsHint')}</p>
      <ul className="plain-list" data-testid="tariff-group-list">
        {(groups ?? []).map((g) => (
          <li key={g.group} data-testid={`tariff-group-${g.group}`}>
            <strong translate="no">{g.group === STANDARD_GROUP ? t('opGroupStandard') : g.group}</strong>
            {' · '}
            {g.meters === 1 ? t('opGroupMetersOne') : t('opGroupMeters', { n: g.meters })}
            {' · '}
            <span translate="no">{t('opGroupPricedBy', { name: g.inForce.name })}</span>
          </li>
        ))}
      </ul>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          const nos = meterNos.split(/[\s,;]+/).filter((n) => n !== '');
          if (!GROUP_PATTERN.test(group)) return setNotice({ ok: false, text: t('opGroupInvalid') });
          if (nos.length === 0) return setNotice({ ok: false, text: t('opGroupNoMeters') });
          run(
            () => ctx.api.moveToTariffGroup(group, nos, reason.trim()),
            (r) => {
              const moved =
                r.moved === 1
                  ? t('opGroupMovedOne', { group: r.group })
                  : t('opGroupMoved', { n: r.moved, group: r.group });
              setNotice({
                ok: r.notFound.length === 0,
                text:
                  r.notFound.length === 0
                    ? moved
                    : `${moved} ${t('opGroupNotFound', { list: r.notFound.join(', ') })}`,
              });
              setMeterNos('');
              onChanged();
            },
          );
        }}
      >
        <h3>{t('opGroupMoveTitle')}</h3>
        <div className="inline-fields">
          <label className="admin-label inline">
            {t('opGroupName')}
            <input
              className="admin-input"
              value={group}
              maxLength={32}
              translate="no"
              onChange={(e) => setGroup(e.target.value.trim().toLowerCase())}
              data-testid="tariff-move-group"
            />
          </label>
          <label className="admin-label inline grow">
            {t('opGroupMeterNos')}
            <input
              className="admin-input"
              value={meterNos}
              translate="no"
              onChange={(e) => setMeterNos(e.target.value)}
              data-testid="tariff-move-meters"
            />
          </label>
        </div>
        <ReasonField
          label={t('opGroupReason')}
          value={reason}
          onChange={setReason}
          testId="tariff-move-reason"
        />
        <NoticeLine notice={notice} testId="tariff-move-notice" />
        <SubmitButton busy={busy} busyLabel={t('opGroupMoving')} testId="tariff-move">
          {t('opGroupMove')}
        </SubmitButton>
      </form>
    </section>
  );
}

/** The version table's group column heading. */
export function GroupHeader() {
  const { t } = useI18n();
  return <th>{t('opGroupColumn')}</th>;
}

/** The groups, loaded once and again after each change. */
export function useTariffGroups(ctx: AdminContext): [TariffGroups | null, () => void] {
  const [groups, setGroups] = useState<TariffGroups | null>(null);
  const load = useCallback(() => {
    ctx.api.tariffGroups().then(
      (r) => setGroups(r.groups),
      () => setGroups(null),
    );
  }, [ctx]);
  useEffect(load, [load]);
  return [groups, load];
}
