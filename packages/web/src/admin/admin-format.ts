/** Formatting for the operator console: precise numbers, compact times. */
export const fmtKwh = (kwh: number | null | undefined): string =>
  kwh === null || kwh === undefined
    ? '—'
    : kwh.toLocaleString('en-KE', { minimumFractionDigits: 3, maximumFractionDigits: 3 });

export const fmtMwhAsKwh = (mwh: number): string => fmtKwh(mwh / 1_000_000);

export const fmtPower = (w: number | null | undefined): string =>
  w === null || w === undefined ? '—' : w >= 1000 ? `${(w / 1000).toFixed(2)} kW` : `${Math.round(w)} W`;

export const fmtKes = (cents: number): string =>
  `KES ${(cents / 100).toLocaleString('en-KE', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleString('en-KE', {
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  });
}

export function fmtAgo(iso: string | null | undefined, nowMs: number): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((nowMs - new Date(iso).getTime()) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}
