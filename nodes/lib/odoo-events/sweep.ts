/**
 * The missed-event sweep: an incremental read of the model that only lets through the (id, write_date) pairs
 * the seen-set does not hold, so a change whose webhook Odoo dropped (receiver down, 1 s timeout) arrives
 * anyway, once. Changes younger than the settle time are left to their webhook; the first sweep starts
 * `lookback` before now rather than at the beginning of the table.
 */
import { ValidationError } from '../errors';
import type { Watermark } from '../read/incremental';
import type { OdooEventDedupe, SeenClaim } from './dedupe';

export const DEFAULT_SETTLE_SECONDS = 10;
export const DEFAULT_LOOKBACK_SECONDS = 3600;

export interface SweepWindow {
  /** ANDed to the read's domain: only changes older than the settle time. */
  domain: unknown[];
  /** Where the read starts: the stored watermark, else now minus the lookback. */
  watermark: Watermark;
}

export function odooDatetime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

export function sweepWindow(now: number, settleMs: number, lookbackMs: number, watermark: Watermark | undefined): SweepWindow {
  return {
    domain: [['write_date', '<', odooDatetime(now - settleMs)]],
    watermark: watermark ?? { writeDate: odooDatetime(now - lookbackMs), id: 0 },
  };
}

export interface Unseen {
  record: Record<string, unknown>;
  claim: SeenClaim;
}

/** The records no webhook and no earlier sweep saw, each claimed: mark it done once it is sent on. */
export async function unseenRecords(dedupe: OdooEventDedupe, model: string, records: ReadonlyArray<Record<string, unknown>>, now: number): Promise<Unseen[]> {
  const out: Unseen[] = [];
  for (const record of records) {
    if (typeof record.id !== 'number' || typeof record.write_date !== 'string') {
      throw new ValidationError(`the sweep of ${model} needs id and write_date on every record`, { property: 'fields' });
    }
    const seen = await dedupe.sweep({ model, id: record.id, writeDate: record.write_date }, now);
    if (seen.outcome === 'new') out.push({ record, claim: seen.claim });
  }
  return out;
}
