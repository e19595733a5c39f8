/**
 * How pandas and MLflow's scoring server read plain values: what counts as
 * missing, ISO-8601 datetimes as numpy parses them, base64 as the server
 * decodes binary.
 */

/** None / NaN / NaT as pandas sees a missing value. */
export function isMissing(value: unknown): boolean {
  return (
    value === null ||
    value === undefined ||
    (typeof value === 'number' && Number.isNaN(value)) ||
    (value instanceof Date && Number.isNaN(value.getTime()))
  );
}

const ISO_RE =
  /^([+-]?\d{4,6})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parses the ISO-8601 forms numpy's `datetime64` and pandas accept (`2024`, `2024-05`,
 * `2024-05-06`, `2024-05-06T07:08[:09[.123456]]`, space or `T`, optional `Z`/`±hh:mm`).
 * Naive times are read as UTC (numpy datetimes have no zone). Returns null if unparsable.
 */
export function parseIsoDatetime(text: string): { date: Date; hasZone: boolean } | null {
  const m = ISO_RE.exec(text.trim());
  if (!m) return null;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const nums = [Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s)] as const;
  const [Y, M, D, H, MI, S] = nums;
  if (M < 1 || M > 12 || D < 1 || D > 31 || H > 23 || MI > 59 || S > 59) return null;
  const ms = frac === '' ? 0 : Math.floor(Number(`0.${frac}`) * 1000 + 1e-9);
  const date = new Date(0);
  date.setUTCFullYear(Y, M - 1, D);
  date.setUTCHours(H, MI, S, ms);
  if (date.getUTCDate() !== D) return null; // e.g. Feb 30
  let offsetMinutes = 0;
  if (zone && zone !== 'Z') {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
    if (!zm) return null;
    offsetMinutes = (zm[1] === '-' ? -1 : 1) * (Number(zm[2]) * 60 + Number(zm[3] ?? '0'));
  }
  return { date: new Date(date.getTime() - offsetMinutes * 60_000), hasZone: zone !== undefined };
}

/** Base64 text as bytes, or null when it is not base64. */
export function b64decode(text: string): Uint8Array | null {
  try {
    const bin = atob(text.replace(/\s+/g, ''));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}
