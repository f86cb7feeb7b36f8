import { useCallback, useEffect, useState } from 'react';
import type { NewTariff, TariffList, TariffVersion } from './admin-api';
import type { AdminContext } from './admin-context';
import { fmtTime } from './admin-format';
import { EmptyRow, ErrorAlert, NoticeLine } from './admin-kit';
import { ReasonField, SubmitButton, useSubmit } from './admin-form';
import {
  GroupHeader,
  STANDARD_GROUP,
  TariffGroupField,
  TariffGroupsCard,
  useTariffGroups,
} from './tariff-groups-card';

const STATUS_TEXT: Record<TariffVersion['status'], string> = {
  in_force: 'In force',
  scheduled: 'Scheduled',
  past: 'Past',
  cancelled: 'Cancelled',
};

/** One line of a tariff, in words: blocks, levies, VAT and standing charge. */
function describe(t: TariffVersion['tariff']): string {
  const kes = (cents: number) => `${(cents / 100).toFixed(2)} KES`;
  const parts = t.blocks.map(
    (b, i) =>
      `${b.upToKwh === null ? (i === 0 ? 'all kWh' : 'above') : `to ${b.upToKwh} kWh`} at ${kes(b.energyRateCentsPerKwh)}/kWh`,
  );
  for (const l of t.levies ?? []) {
    parts.push(
      'centsPerKwh' in l ? `${l.label} ${kes(l.centsPerKwh)}/kWh` : `${l.label} ${l.basisPoints / 100}%`,
    );
  }
  if (t.vat) parts.push(`VAT ${t.vat.basisPoints / 100}%`);
  if (t.standingChargeCents) parts.push(`standing ${kes(t.standingChargeCents)}/month`);
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
export function tariffFromForm(f: {
  name: string;
  blocks: BlockInput[];
  levies: LevyInput[];
  vatPercent: string;
  standingKes: string;
  effectiveFrom: string;
  reason: string;
  group?: string;
}): NewTariff | string {
  if (!f.name.trim()) return 'Give the tariff a name.';
  const blocks: NewTariff['tariff']['blocks'] = [];
  for (const [i, b] of f.blocks.entries()) {
    const rate = kesToRateCents(b.rateKes);
    if (rate === null) return `Block ${i + 1}: the rate is KES per kWh, e.g. 21.50.`;
    const last = i === f.blocks.length - 1;
    if (last) {
      blocks.push({ upToKwh: null, energyRateCentsPerKwh: rate });
    } else {
      if (!/^\d{1,6}$/.test(b.upToKwh.trim()) || Number(b.upToKwh) < 1) {
        return `Block ${i + 1}: "up to" is a whole number of kWh.`;
      }
      blocks.push({ upToKwh: Number(b.upToKwh), energyRateCentsPerKwh: rate });
    }
  }
  const levies: NonNullable<NewTariff['tariff']['levies']> = [];
  for (const [i, l] of f.levies.entries()) {
    const rate = kesToRateCents(l.rateKes);
    if (!l.label.trim() || rate === null) return `Levy ${i + 1}: a name and a rate in KES per kWh.`;
    levies.push({ code: `levy_${i + 1}`, label: l.label.trim(), centsPerKwh: rate });
  }
  const tariff: NewTariff['tariff'] = { blocks, ...(levies.length ? { levies } : {}) };
  if (f.vatPercent.trim()) {
    if (!/^\d{1,3}(\.\d{1,2})?$/.test(f.vatPercent.trim())) return 'VAT is a percentage, e.g. 16.';
    tariff.vat = {
      basisPoints: Math.round(Number(f.vatPercent) * 100),
      appliesTo: ['energy', ...levies.map((l) => l.code)],
    };
  }
  if (f.standingKes.trim()) {
    if (!/^\d{1,6}(\.\d{1,2})?$/.test(f.standingKes.trim())) return 'The standing charge is KES per month.';
    tariff.standingChargeCents = Math.round(Number(f.standingKes) * 100);
  }
  let effectiveFrom: string | undefined;
  if (f.effectiveFrom) {
    const ms = new Date(f.effectiveFrom).getTime();
    if (Number.isNaN(ms)) return 'The date it takes effect is not a date.';
    if (ms < Date.now()) return 'A tariff takes effect now or later, never in the past.';
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
        const body = tariffFromForm({
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
              text: `${r.version.name}: ${STATUS_TEXT[r.version.status].toLowerCase()}.`,
            });
            onCreated();
          },
        );
      }}
    >
      <h2>New tariff version</h2>
      <label className="admin-label">
        Name
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
        <legend>Energy blocks (KES per kWh bought this month; the last block has no upper edge)</legend>
        {blocks.map((b, i) => (
          <div className="inline-fields" key={i}>
            {i < blocks.length - 1 ? (
              <label className="admin-label inline">
                Up to kWh
                <input
                  className="admin-input"
                  inputMode="numeric"
                  value={b.upToKwh}
                  onChange={(e) => setBlock(i, { upToKwh: e.target.value })}
                  data-testid={`tariff-block-${i}-upto`}
                />
              </label>
            ) : (
              <span className="muted">{i === 0 ? 'Every kWh' : 'Above'}</span>
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
                Remove
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
          Add a lower block
        </button>
      </fieldset>
      <fieldset className="admin-fieldset stack">
        <legend>Levies per kWh</legend>
        {levies.map((l, i) => (
          <div className="inline-fields" key={i}>
            <label className="admin-label inline">
              Name
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
              Remove
            </button>
          </div>
        ))}
        <button
          type="button"
          className="button small"
          onClick={() => setLevies((ls) => [...ls, { label: '', rateKes: '' }])}
          data-testid="tariff-add-levy"
        >
          Add a levy
        </button>
      </fieldset>
      <div className="inline-fields">
        <label className="admin-label inline">
          VAT % (on energy and levies)
          <input
            className="admin-input"
            inputMode="decimal"
            value={vatPercent}
            onChange={(e) => setVatPercent(e.target.value)}
            data-testid="tariff-vat"
          />
        </label>
        <label className="admin-label inline">
          Standing charge, KES/month
          <input
            className="admin-input"
            inputMode="decimal"
            value={standingKes}
            onChange={(e) => setStandingKes(e.target.value)}
            data-testid="tariff-standing"
          />
        </label>
        <label className="admin-label inline">
          Takes effect (empty: now)
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
        label="Reason (required, kept in the audit log)"
        value={reason}
        onChange={setReason}
        testId="tariff-reason"
      />
      <NoticeLine notice={notice} testId="tariff-notice" />
      <SubmitButton busy={busy} busyLabel="Saving…" testId="tariff-create">
        Create version
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
        label="Reason"
        value={reason}
        onChange={setReason}
        testId={`tariff-cancel-reason-${version.id}`}
      />
      <SubmitButton
        busy={busy}
        busyLabel="Cancelling…"
        disabled={!reason.trim()}
        testId={`tariff-cancel-${version.id}`}
      >
        Cancel
      </SubmitButton>
      <NoticeLine notice={notice} />
    </form>
  );
}

/** Tariff versions (issue 17 item 2): the one in force, scheduled ones (cancellable), past ones; and a new one. */
export function TariffsPage({ ctx }: { ctx: AdminContext }) {
  const [data, setData] = useState<TariffList | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    setError(null);
    ctx.api
      .tariffs()
      .then(setData, (err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  }, [ctx]);
  useEffect(load, [load]);
  const [groups, loadGroups] = useTariffGroups(ctx);
  const rows = data ? [...data.versions, data.fallback] : [];

  return (
    <section className="admin-page" data-testid="tariffs-page">
      <div className="admin-page-head">
        <h1>Tariffs</h1>
        <p className="muted">
          A version prices every purchase from the moment it takes effect until the next one; it can never
          take effect in the past. With none in force the configured flat rate applies.
        </p>
      </div>
      <ErrorAlert error={error} />
      <div className="card flush table-wrap">
        <table className="admin-table" data-testid="tariff-table">
          <thead>
            <tr>
              <th>Status</th>
              <th>Name</th>
              <GroupHeader />
              <th>Takes effect</th>
              <th>Tariff</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data === null && <EmptyRow colSpan={6}>Loading…</EmptyRow>}
            {rows.map((v) => (
              <tr key={v.id ?? 'flat'} data-testid={`tariff-row-${v.id ?? 'flat'}`} data-status={v.status}>
                <td>{STATUS_TEXT[v.status]}</td>
                <td>{v.name}</td>
                <td translate="no">{v.group}</td>
                <td>{v.id === null ? 'configured (TARIFF_KES_PER_KWH)' : fmtTime(v.effectiveFrom)}</td>
                <td>{describe(v.tariff)}</td>
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
