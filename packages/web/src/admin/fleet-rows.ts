import type { FleetLiveRow } from '@umeme/protocol';
import type { FleetRow } from './admin-api';

/**
 * Applies a `fleet_update` batch to the rows on screen. Only rows already shown change (a
 * new meter appears on the next load); a live row older than one applied before is ignored.
 * Returns the same array when nothing changed, so React skips the render.
 */
export function applyFleetUpdate(
  rows: readonly FleetRow[],
  seqs: Map<string, number>,
  live: readonly FleetLiveRow[],
): readonly FleetRow[] {
  const byMeter = new Map<string, FleetLiveRow>();
  for (const r of live) {
    const held = seqs.get(r.meterNo);
    if (held !== undefined && r.seq < held) continue;
    const prev = byMeter.get(r.meterNo);
    if (!prev || prev.seq <= r.seq) byMeter.set(r.meterNo, r);
  }
  if (byMeter.size === 0) return rows;
  let changed = false;
  const next = rows.map((row) => {
    const u = byMeter.get(row.meterNo);
    if (!u) return row;
    changed = true;
    seqs.set(row.meterNo, u.seq);
    return {
      ...row,
      ...(u.balanceKwh !== undefined
        ? { balanceKwh: u.balanceKwh, balanceMwh: Math.round(u.balanceKwh * 1e6) }
        : {}),
      ...(u.powerW !== undefined ? { powerW: u.powerW } : {}),
      relay: u.relay,
      status: u.status,
      online: u.online,
      lastSeen: u.lastSeen === null ? row.lastSeen : new Date(u.lastSeen).toISOString(),
    };
  });
  return changed ? next : rows;
}
