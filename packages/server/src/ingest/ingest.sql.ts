import type { Logger } from 'pino';
import { arrayLiteral, type Queryable } from '../db/db';
import { SUPPLY_COLUMNS } from '../meters/supply';
import { comesOnline, type ConsumptionItem, type MeterRow, type MeterUpdate } from './meter-update';

/** The batch's meters, with what the fold and the alert rules read, locked in meter order. */
export async function lockMeters(tx: Queryable, meterNos: string[]): Promise<MeterRow[]> {
  const { rows } = await tx.query<MeterRow>(
    `SELECT meter_no, user_id, e0_mwh, energy_mwh, credit_limit_mwh, legacy_raw_mwh, epoch_offset_mwh,
            last_report_ts, last_seq, relay, status, status_changed_ms, power_w, event_seq, meter_balance_mwh,
            low_balance_mwh, max_load_w, register_at_ms, held_from_mwh, ${SUPPLY_COLUMNS},
            (SELECT array_agg(a.kind) FROM alerts a WHERE a.meter_no = meters.meter_no AND a.closed_at IS NULL)
              AS open_alerts
       FROM meters WHERE meter_no = ANY($1::text[]) ORDER BY meter_no FOR UPDATE`,
    [arrayLiteral(meterNos)],
  );
  return rows;
}

/**
 * Everything a batch writes, in one statement (one round trip): the meters' new registers
 * and live readings, the raw readings, and the hourly rollups. Arrays go as literals built
 * in one pass (arrayLiteral) rather than through the driver's per-element encoding.
 */
export async function writeBatch(
  tx: Queryable,
  items: ConsumptionItem[],
  updates: Map<string, MeterUpdate>,
  list: MeterUpdate[],
): Promise<void> {
  const known = items.filter((i) => updates.has(i.meterNo));
  const hourly: {
    meterNo: string;
    hourMs: number;
    energyMwh: number;
    maxPowerW: number | null;
    reports: number;
  }[] = [];
  for (const u of list) {
    for (const [hourMs, h] of u.hourly) {
      hourly.push({
        meterNo: u.row.meter_no,
        hourMs,
        energyMwh: h.energyMwh,
        maxPowerW: h.maxPowerW,
        reports: h.reports,
      });
    }
  }
  await tx.query(
    `WITH m AS (
       UPDATE meters AS m SET
         energy_mwh = u.energy_mwh,
         legacy_raw_mwh = u.legacy_raw_mwh,
         epoch_offset_mwh = u.epoch_offset_mwh,
         last_report_ts = u.last_report_ts,
         register_at_ms = u.register_at_ms,
         last_seq = u.last_seq,
         power_w = u.power_w,
         relay = u.relay,
         meter_balance_mwh = u.meter_balance_mwh,
         last_seen = GREATEST(m.last_seen, to_timestamp(u.last_seen_ms / 1000.0)),
         status = CASE WHEN u.comes_online THEN 'online' ELSE m.status END,
         event_seq = m.event_seq + 1
       FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[],
                   $7::int[], $8::text[], $9::bigint[], $10::bigint[], $11::bool[], $23::bigint[])
         AS u(meter_no, energy_mwh, legacy_raw_mwh, epoch_offset_mwh, last_report_ts, last_seq,
              power_w, relay, meter_balance_mwh, last_seen_ms, comes_online, register_at_ms)
       WHERE m.meter_no = u.meter_no),
     r AS (
       INSERT INTO readings (meter_no, seq, energy_mwh, power_w, reported_at, received_at)
       SELECT meter_no, seq, energy_mwh, power_w, to_timestamp(reported_s), to_timestamp(received_ms / 1000.0)
         FROM unnest($12::text[], $13::bigint[], $14::bigint[], $15::int[], $16::bigint[], $17::bigint[])
           AS r(meter_no, seq, energy_mwh, power_w, reported_s, received_ms)
       ON CONFLICT DO NOTHING)
     INSERT INTO consumption_hourly (meter_no, hour, energy_mwh, max_power_w, reports)
     SELECT meter_no, to_timestamp(hour_ms / 1000.0), energy_mwh, max_power_w, reports
       FROM unnest($18::text[], $19::bigint[], $20::bigint[], $21::int[], $22::int[])
         AS h(meter_no, hour_ms, energy_mwh, max_power_w, reports)
     ON CONFLICT (meter_no, hour) DO UPDATE SET
       energy_mwh = consumption_hourly.energy_mwh + EXCLUDED.energy_mwh,
       max_power_w = GREATEST(consumption_hourly.max_power_w, EXCLUDED.max_power_w),
       reports = consumption_hourly.reports + EXCLUDED.reports`,
    [
      arrayLiteral(list.map((u) => u.row.meter_no)),
      arrayLiteral(list.map((u) => u.state.energyMwh)),
      arrayLiteral(list.map((u) => u.state.legacyRawMwh)),
      arrayLiteral(list.map((u) => u.state.epochOffsetMwh)),
      arrayLiteral(list.map((u) => u.state.lastReportTs)),
      arrayLiteral(list.map((u) => u.maxSeq)),
      arrayLiteral(list.map((u) => u.powerW)),
      arrayLiteral(list.map((u) => u.relay)),
      arrayLiteral(list.map((u) => u.meterBalanceMwh)),
      arrayLiteral(list.map((u) => u.lastSeenMs)),
      arrayLiteral(list.map(comesOnline)),
      arrayLiteral(known.map((i) => i.meterNo)),
      arrayLiteral(known.map((i) => i.seq)),
      arrayLiteral(known.map((i) => i.energyMwh)),
      arrayLiteral(known.map((i) => (i.powerW === null ? null : Math.round(i.powerW)))),
      arrayLiteral(known.map((i) => i.reportTs)),
      arrayLiteral(known.map((i) => i.receivedAtMs)),
      arrayLiteral(hourly.map((h) => h.meterNo)),
      arrayLiteral(hourly.map((h) => h.hourMs)),
      arrayLiteral(hourly.map((h) => h.energyMwh)),
      arrayLiteral(hourly.map((h) => h.maxPowerW)),
      arrayLiteral(hourly.map((h) => h.reports)),
      arrayLiteral(list.map((u) => u.registerAtMs)),
    ],
  );
}

/**
 * The held jumps of a batch and the meters' lowest held registers, in one statement; it runs
 * only for batches with a held report or a meter under a hold, never in the common case.
 */
export async function writeHolds(tx: Queryable, list: MeterUpdate[], logger: Logger): Promise<void> {
  const held = list.filter((u) => u.held !== null);
  const backOn = list.filter((u) => u.held === null && u.backOnRegister === true);
  if (held.length === 0 && backOn.length === 0) return;
  const h = held.map((u) => ({ meterNo: u.row.meter_no, back: u.backOnRegister === true, ...u.held! }));
  for (const x of h) {
    logger.warn(
      {
        meterNo: x.meterNo,
        baseEnergyMwh: x.baseEnergyMwh,
        heldFromMwh: x.heldFromMwh,
        allowedMwh: x.allowedMwh,
      },
      'implausible register jump held for an operator',
    );
  }
  await tx.query(
    `WITH h AS (
       INSERT INTO register_holds AS rh (meter_no, report_kind, base_energy_mwh, held_from_mwh, latest_energy_mwh,
              latest_epoch_offset_mwh, latest_raw_mwh, latest_seq, reports, allowed_mwh, elapsed_ms, rated_power_w,
              first_received_ms, last_received_ms, back_on_register)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[],
                            $7::bigint[], $8::bigint[], $9::int[], $10::bigint[], $11::bigint[], $12::int[],
                            $13::bigint[], $14::bigint[], $15::bool[])
       ON CONFLICT (meter_no) WHERE status = 'held' DO UPDATE SET
         report_kind = EXCLUDED.report_kind,
         held_from_mwh = LEAST(rh.held_from_mwh, EXCLUDED.held_from_mwh),
         latest_energy_mwh = EXCLUDED.latest_energy_mwh,
         latest_epoch_offset_mwh = EXCLUDED.latest_epoch_offset_mwh,
         latest_raw_mwh = EXCLUDED.latest_raw_mwh,
         latest_seq = EXCLUDED.latest_seq,
         reports = rh.reports + EXCLUDED.reports,
         last_received_ms = GREATEST(rh.last_received_ms, EXCLUDED.last_received_ms),
         back_on_register = EXCLUDED.back_on_register
       RETURNING meter_no, held_from_mwh),
     b AS (
       UPDATE register_holds SET back_on_register = true
        WHERE status = 'held' AND meter_no = ANY($16::text[]))
     UPDATE meters m SET held_from_mwh = h.held_from_mwh FROM h WHERE m.meter_no = h.meter_no`,
    [
      arrayLiteral(h.map((x) => x.meterNo)),
      arrayLiteral(h.map((x) => x.kind)),
      arrayLiteral(h.map((x) => x.baseEnergyMwh)),
      arrayLiteral(h.map((x) => x.heldFromMwh)),
      arrayLiteral(h.map((x) => x.latestEnergyMwh)),
      arrayLiteral(h.map((x) => x.latestEpochOffsetMwh)),
      arrayLiteral(h.map((x) => x.latestRawMwh)),
      arrayLiteral(h.map((x) => x.latestSeq)),
      arrayLiteral(h.map((x) => x.reports)),
      arrayLiteral(h.map((x) => x.allowedMwh)),
      arrayLiteral(h.map((x) => x.elapsedMs)),
      arrayLiteral(h.map((x) => x.ratedPowerW)),
      arrayLiteral(h.map((x) => x.firstReceivedMs)),
      arrayLiteral(h.map((x) => x.lastReceivedMs)),
      arrayLiteral(h.map((x) => x.back)),
      arrayLiteral(backOn.map((u) => u.row.meter_no)),
    ],
  );
}
