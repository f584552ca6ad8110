/** Incremental reads: only records changed after a watermark, in a stable (write_date, id) order. */

export interface Watermark {
  /** Odoo write_date of the last record delivered, "YYYY-MM-DD HH:MM:SS" UTC. */
  writeDate: string;
  /** Its id: the tie-break between records written in the same second. */
  id: number;
}

export const INCREMENTAL_ORDER = 'write_date asc, id asc';

/**
 * `domain AND (write_date > wm OR (write_date = wm AND id > lastId))`. Odoo ANDs consecutive complete
 * expressions, so the condition is appended as one prefix-notation expression.
 */
export function incrementalDomain(domain: unknown[], watermark: Watermark | undefined): unknown[] {
  if (watermark === undefined) return domain;
  return [
    ...domain,
    '|',
    ['write_date', '>', watermark.writeDate],
    '&',
    ['write_date', '=', watermark.writeDate],
    ['id', '>', watermark.id],
  ];
}

/** The watermark after delivering `records` (sorted by write_date, id); unchanged when there are none. */
export function advanceWatermark(current: Watermark | undefined, records: ReadonlyArray<Record<string, unknown>>): Watermark | undefined {
  const last = records[records.length - 1];
  if (last === undefined) return current;
  if (typeof last.write_date !== 'string' || typeof last.id !== 'number') return current;
  return { writeDate: last.write_date, id: last.id };
}

export function isWatermark(value: unknown): value is Watermark {
  const v = value as Partial<Watermark> | null | undefined;
  return typeof v === 'object' && v !== null && typeof v.writeDate === 'string' && typeof v.id === 'number';
}
