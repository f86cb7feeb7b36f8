import { useCallback, useEffect, useState } from 'react';
import type { NewTariff, TariffList, TariffVersion } from './admin-api';
import type { AdminContext } from './admin-context';
import { fmtTime } from './admin-format';
import { useAdminI18n, type AdminKey, type AdminT } from './admin-i18n';
import { EmptyRow, ErrorAlert, errorText, NoticeLine } from './admin-kit';
import { ReasonField, SubmitButton, useSubmit } from './admin-form';
import {
  GroupHeader,
  STANDARD_GROUP,
  TariffGroupField,
  TariffGroupsCard,
  useTariffGroups,
} from './tariff-groups-card';

const STATUS_TEXT: Record<TariffVersion['status'], AdminKey> = {
  in_force: 'tariffStatus_in_force',
  scheduled: 'tariffStatus_scheduled',
  past: 'tariffStatus_past',
  cancelled: 'tariffStatus_cancelled',
};

/** One line of a tariff, in words: blocks, levies, VAT and standing charge. */
function describe(tr: AdminT, t: TariffVersion['tariff']): string {
  const kes = (cents: number) => `${(cents / 100).toFixed(2)} KES`;
  const parts = t.blocks.map((b, i) =>
    tr('tariffBlockAt', {
      range:
        b.upToKwh === null
          ? i === 0
            ? tr('tariffAllKwh')
            : tr('tariffAbove')
          : tr('tariffUpTo', { kwh: b.upToKwh }),
      rate: kes(b.energyRateCentsPerKwh),
    }),
  );
  for (const l of t.levies ?? []) {
    parts.push(
      'centsPerKwh' in l ? `${l.label} ${kes(l.centsPerKwh)}/kWh` : `${l.label} ${l.basisPoints / 100}%`,
    );
  }
  if (t.vat) parts.push(tr('tariffVat', { percent: t.vat.basisPoints / 100 }));
  if (t.standingChargeCents) parts.push(tr('tariffStanding', { amount: kes(t.standingChargeCents) }));
  return parts.join(' · ');
}

interface BlockInput {
  upToKwh: string;
  rateKes: string;
}
interface LevyInput {
  label: string;
  rateKes: string;
}

/** Shillings with up to four decimals of a cent as cents (the tariff engine's precision), or null. */
function kesToRateCents(text: string): number | null {
  if (!/^\d{1,6}(\.\d{1,6})?$/.test(text.trim())) return null;
  return Math.round(Number(text) * 1_000_000) / 10_000;
}

/** The form's fields as the API's body, or the first thing wrong with them. */
export function tariffFromForm(
  t: AdminT,
  f: {
    name: string;
    blocks: BlockInput[];
    levies: LevyInput[];
    vatPercent: string;
    standingKes: string;
    effectiveFrom: string;
    reason: string;
    group?: string;
  },
): NewTariff | string {
  if (!f.name.trim()) return t('tariffErrName');
  const blocks: NewTariff['tariff']['blocks'] = [];
  for (const [i, b] of f.blocks.entries()) {
    const rate = kesToRateCents(b.rateKes);
    if (rate === null) return t('tariffErrRate', { n: i + 1 });
    const last = i === f.blocks.length - 1;
    if (last) {
      blocks.push({ upToKwh: null, energyRateCentsPerKwh: rate });
    } else {
      if (!/^\d{1,6}$/.test(b.upToKwh.trim()) || Number(b.upToKwh) < 1) {
        return t('tariffErrUpTo', { n: i + 1 });
      }
      blocks.push({ upToKwh: Number(b.upToKwh), energyRateCentsPerKwh: rate });
    }
  }
  const levies: NonNullable<NewTariff['tariff']['levies']> = [];
  for (const [i, l] of f.levies.entries()) {
    const rate = kesToRateCents(l.rateKes);
    if (!l.label.trim() || rate === null) return t('tariffErrLevy', { n: i + 1 });
    levies.push({ code: `levy_${i + 1}`, label: l.label.trim(), centsPerKwh: rate });
  }
  const tariff: NewTariff['tariff'] = { blocks, ...(levies.length ? { levies } : {}) };
  if (f.vatPercent.trim()) {
    if (!/^\d{1,3}(\.\d{1,2})?$/.test(f.vatPercent.trim())) return t('tariffErrVat');
    tariff.vat = {
      basisPoints: Math.round(Number(f.vatPercent) * 100),
      appliesTo: ['energy', ...levies.map((l) => l.code)],
    };
  }
  if (f.standingKes.trim()) {
    if (!/^\d{1,6}(\.\d{1,2})?$/.test(f.standingKes.trim())) return t('tariffErrStanding');
    tariff.standingChargeCents = Math.round(Number(f.standingKes) * 100);
  }
  let effectiveFrom: string | undefined;
  if (f.effectiveFrom) {
    const ms = new Date(f.effectiveFrom).getTime();
    if (Number.isNaN(ms)) return t('tariffErrDate');
    if (ms < Date.now()) return t('tariffErrPast');
    effectiveFrom = new Date(ms).toISOString();
  }
  return {
    name: f.name.trim(),
    tariff,
    ...(f.group && f.group !== STANDARD_GROUP ? { group: f.group } : {}),
    ...(effectiveFrom ? { effectiveFrom } : {}),
    ...(f.reason.trim() ? { reason: f.reason.trim() } : {}),
  };
}

function CreateTariff({
  ctx,
  groups,
  onCreated,
}: {
  ctx: AdminContext;
  groups: readonly string[];
  onCreated: () => void;
}) {
  const { t } = useAdminI18n();
  const [name, setName] = useState('');
  const [group, setGroup] = useState(STANDARD_GROUP);
  const [blocks, setBlocks] = useState<BlockInput[]>([{ upToKwh: '', rateKes: '' }]);
  const [levies, setLevies] = useState<LevyInput[]>([]);
  const [vatPercent, setVatPercent] = useState('');
  const [standingKes, setStandingKes] = useState('');
  const [effectiveFrom, setEffectiveFrom] = useState('');
  const [reason, setReason] = useState('');
  const { busy, notice, setNotice, run } = useSubmit();
  const setBlock = (i: number, patch: Partial<BlockInput>) =>
    setBlocks((bs) => bs.map((b, j) => (j === i ? { ...b, ...patch } : b)));
  const setLevy = (i: number, patch: Partial<LevyInput>) =>
    setLevies((ls) => ls.map((l, j) => (j === i ? { ...l, ...patch } : l)));

  return (
    <form
      className="card stack"
      data-testid="tariff-form"
      onSubmit={(e) => {
        e.preventDefault();
        const body = tariffFromForm(t, {
          name,
          blocks,
          levies,
          vatPercent,
          standingKes,
          effectiveFrom,
          reason,
          group,
        });
        if (typeof body === 'string') {
          setNotice({ ok: false, text: body });
          return;
        }
        run(
          () => ctx.api.createTariff(body),
          (r) => {
            setNotice({
              ok: true,
              text: t('tariffCreated', {
                name: r.version.name,
                status: t(STATUS_TEXT[r.version.status]).toLowerCase(),
              }),
            });
            onCreated();
          },
        );
      }}
    >
      <h2>{t('tariffNew')}</h2>
      <label className="admin-label">
        {t('tariffName')}
        <input
          className="admin-input"
          value={name}
          maxLength={80}
          onChange={(e) => setName(e.target.value)}
          data-testid="tariff-name"
        />
      </label>
      <TariffGroupField groups={groups} value={group} onChange={setGroup} />
      <fieldset className="admin-fieldset stack">
        <legend>{t('tariffBlocksLegend')}</legend>
        {blocks.map((b, i) => (
          <div className="inline-fields" key={i}>
            {i < blocks.length - 1 ? (
              <label className="admin-label inline">
                {t('tariffUpToKwh')}
                <input
                  className="admin-input"
                  inputMode="numeric"
                  value={b.upToKwh}
                  onChange={(e) => setBlock(i, { upToKwh: e.target.value })}
                  data-testid={`tariff-block-${i}-upto`}
                />
              </label>
            ) : (
              <span className="muted">{i === 0 ? t('tariffEveryKwh') : t('tariffAboveCap')}</span>
            )}
            <label className="admin-label inline">
              KES/kWh
              <input
                className="admin-input"
                inputMode="decimal"
                value={b.rateKes}
                onChange={(e) => setBlock(i, { rateKes: e.target.value })}
                data-testid={`tariff-block-${i}-rate`}
              />
            </label>
            {blocks.length > 1 && (
              <button
                type="button"
                className="link-button small"
                onClick={() => setBlocks((bs) => bs.filter((_, j) => j !== i))}
              >
                {t('tariffRemove')}
              </button>
            )}
          </div>
        ))}
        <button
          type="button"
          className="button small"
          onClick={() => setBlocks((bs) => [{ upToKwh: '', rateKes: '' }, ...bs])}
          data-testid="tariff-add-block"
        >
          {t('tariffAddBlock')}
        </button>
      </fieldset>
      <fieldset className="admin-fieldset stack">
        <legend>{t('tariffLeviesLegend')}</legend>
        {levies.map((l, i) => (
          <div className="inline-fields" key={i}>
            <label className="admin-label inline">
              {t('tariffName')}
              <input
                className="admin-input"
                value={l.label}
                maxLength={60}
                onChange={(e) => setLevy(i, { label: e.target.value })}
                data-testid={`tariff-levy-${i}-label`}
              />
            </label>
            <label className="admin-label inline">
              KES/kWh
              <input
                className="admin-input"
                inputMode="decimal"
                value={l.rateKes}
                onChange={(e) => setLevy(i, { rateKes: e.target.value })}
                data-testid={`tariff-levy-${i}-rate`}
              />
            </label>
            <button
              type="button"
              className="link-button small"
              onClick={() => setLevies((ls) => ls.filter((_, j) => j !== i))}
            >
              {t('tariffRemove')}
            </button>
          </div>
        ))}
        <button
          type="button"
          className="button small"
          onClick={() => setLevies((ls) => [...ls, { label: '', rateKes: '' }])}
          data-testid="tariff-add-levy"
        >
          {t('tariffAddLevy')}
        </button>
      </fieldset>
      <div className="inline-fields">
        <label className="admin-label inline">
          {t('tariffVatLabel')}
          <input
            className="admin-input"
            inputMode="decimal"
            value={vatPercent}
            onChange={(e) => setVatPercent(e.target.value)}
            data-testid="tariff-vat"
          />
        </label>
        <label className="admin-label inline">
          {t('tariffStandingLabel')}
          <input
            className="admin-input"
            inputMode="decimal"
            value={standingKes}
            onChange={(e) => setStandingKes(e.target.value)}
            data-testid="tariff-standing"
          />
        </label>
        <label className="admin-label inline">
          {t('tariffEffectiveLabel')}
          <input
            className="admin-input"
            type="datetime-local"
            value={effectiveFrom}
            onChange={(e) => setEffectiveFrom(e.target.value)}
            data-testid="tariff-effective"
          />
        </label>
      </div>
      <ReasonField
        label={t('tariffReasonAudited')}
        value={reason}
        onChange={setReason}
        testId="tariff-reason"
      />
      <NoticeLine notice={notice} testId="tariff-notice" />
      <SubmitButton busy={busy} busyLabel={t('saving')} testId="tariff-create">
        {t('tariffCreate')}
      </SubmitButton>
    </form>
  );
}

function CancelTariff({
  ctx,
  version,
  onDone,
}: {
  ctx: AdminContext;
  version: TariffVersion;
  onDone: () => void;
}) {
  const { t } = useAdminI18n();
  const [reason, setReason] = useState('');
  const { busy, notice, run } = useSubmit();
  return (
    <form
      className="inline-fields"
      onSubmit={(e) => {
        e.preventDefault();
        run(() => ctx.api.cancelTariff(version.id!, reason), onDone);
      }}
    >
      <ReasonField
        label={t('tariffReason')}
        value={reason}
        onChange={setReason}
        testId={`tariff-cancel-reason-${version.id}`}
      />
      <SubmitButton
        busy={busy}
        busyLabel={t('tariffCancelling')}
        disabled={!reason.trim()}
        testId={`tariff-cancel-${version.id}`}
      >
        {t('cancel')}
      </SubmitButton>
      <NoticeLine notice={notice} />
    </form>
  );
}

/** Tariff versions (issue 17 item 2): the one in force, scheduled ones (cancellable), past ones; and a new one. */
export function TariffsPage({ ctx }: { ctx: AdminContext }) {
  const { t } = useAdminI18n();
  const [data, setData] = useState<TariffList | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    setError(null);
    ctx.api.tariffs().then(setData, (err: unknown) => setError(errorText(err)));
  }, [ctx]);
  useEffect(load, [load]);
  const [groups, loadGroups] = useTariffGroups(ctx);
  const rows = data ? [...data.versions, data.fallback] : [];

  return (
    <section className="admin-page" data-testid="tariffs-page">
      <div className="admin-page-head">
        <h1>{t('tariffsTitle')}</h1>
        <p className="muted">{t('tariffsHint')}</p>
      </div>
      <ErrorAlert error={error} />
      <div className="card flush table-wrap">
        <table className="admin-table" data-testid="tariff-table">
          <thead>
            <tr>
              <th>{t('tariffColStatus')}</th>
              <th>{t('tariffColName')}</th>
              <GroupHeader />
              <th>{t('tariffColEffective')}</th>
              <th>{t('tariffColTariff')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data === null && <EmptyRow colSpan={6}>{t('loading')}</EmptyRow>}
            {rows.map((v) => (
              <tr key={v.id ?? 'flat'} data-testid={`tariff-row-${v.id ?? 'flat'}`} data-status={v.status}>
                <td>{t(STATUS_TEXT[v.status])}</td>
                <td translate={v.id === null ? undefined : 'no'}>
                  {v.id === null ? t('tariffFlatName') : v.name}
                </td>
                <td translate="no">{v.group}</td>
                <td>{v.id === null ? t('tariffConfigured') : fmtTime(v.effectiveFrom)}</td>
                <td>{describe(t, v.tariff)}</td>
                <td>
                  {v.status === 'scheduled' && ctx.can('tariffs.manage') && (
                    <CancelTariff ctx={ctx} version={v} onDone={load} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {ctx.can('tariffs.manage') && <TariffGroupsCard ctx={ctx} groups={groups} onChanged={loadGroups} />}
      {ctx.can('tariffs.manage') && (
        <CreateTariff
          ctx={ctx}
          groups={(groups ?? []).map((g) => g.group)}
          onCreated={() => {
            load();
            loadGroups();
          }}
        />
      )}
    </section>
  );
}
