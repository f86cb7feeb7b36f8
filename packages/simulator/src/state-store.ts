import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { METER_NO_PATTERN } from '@umeme/protocol';
import { WATT_MS_PER_MWH } from './load-model';
import { MAX_STATE_FILE_BYTES } from './limits';
import type { MeterState } from './virtual-meter';

/**
 * One JSON file per meter (`<stateDir>/<meterNo>.json`), written to a temporary file and renamed,
 * so a killed process leaves either the old state or the new one and a register never goes backwards.
 */

const mwh = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const meterStateSchema = z
  .object({
    meterNo: z.string().regex(METER_NO_PATTERN),
    energyMwh: mwh,
    creditLimitMwh: mwh,
    seq: mwh,
    registerBaseMwh: mwh,
    remainderWattMs: z
      .number()
      .int()
      .min(0)
      .max(WATT_MS_PER_MWH - 1),
  })
  .refine((s) => s.registerBaseMwh <= s.energyMwh, { message: 'registerBaseMwh exceeds energyMwh' });

export function stateFilePath(stateDir: string, meterNo: string): string {
  // the pattern admits no separators or dots, so a meter number cannot escape the directory
  if (!METER_NO_PATTERN.test(meterNo)) throw new RangeError(`invalid meter number: ${meterNo}`);
  return join(stateDir, `${meterNo}.json`);
}

/** Returns null when the meter has no saved state; throws on a corrupt file rather than restarting its register at 0. */
export async function loadMeterState(stateDir: string, meterNo: string): Promise<MeterState | null> {
  const path = stateFilePath(stateDir, meterNo);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  if (Buffer.byteLength(text) > MAX_STATE_FILE_BYTES)
    throw new Error(`${path}: state file larger than ${MAX_STATE_FILE_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(
      `${path}: not valid JSON; fix or delete it (deleting restarts this meter's register at 0)`,
    );
  }
  const parsed = meterStateSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(`${path}: invalid meter state: ${parsed.error.issues[0]?.message ?? 'schema'}`);
  if (parsed.data.meterNo !== meterNo) throw new Error(`${path}: holds state for ${parsed.data.meterNo}`);
  return parsed.data;
}

export async function saveMeterState(stateDir: string, state: MeterState): Promise<void> {
  const path = stateFilePath(stateDir, state.meterNo);
  await mkdir(stateDir, { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state)}\n`, 'utf8');
  await rename(temporary, path);
}

/** Runs `work` over `items` with at most `concurrency` in flight; returns the failures. */
export async function forEachBounded<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<{ item: T; error: unknown }[]> {
  const failures: { item: T; error: unknown }[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failures.push({ item, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return failures;
}
