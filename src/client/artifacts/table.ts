/**
 * mlflow.log_table's file: pandas' `DataFrame.to_json(orient="split",
 * index=False)`, i.e. `{"columns":[…],"data":[[…],…]}` with pandas' dtypes
 * (a column of whole numbers is int64, numbers with a gap are float64 and
 * print as `1.0`, a gap is null) and its JSON writer's number and string
 * formats. Logging to the same file again appends rows as MLflow does: the
 * file is read back as pandas' read_json reads it (a column whose values all
 * read as numbers — numeric strings, booleans beside gaps — becomes numbers)
 * and the frames are concatenated, new columns at the end. Not followed:
 * read_json's date parsing of columns named like dates (`date`, `*_at`, …).
 */
import { invalidParameter } from '../../schema/errors.js';
import { isPlainObject, isTypedArray } from '../../schema/predicates.js';
import { describe } from '../../schema/validation.js';

export type Cell = unknown;
export interface Table {
  columns: string[];
  /** Column-major: one array of cells per column, all of one length. */
  values: Cell[][];
}

/** Rows as objects (pandas.DataFrame(records)) or columns as arrays (pandas.DataFrame(dict)). */
export type TableData = Record<string, unknown>[] | Record<string, readonly unknown[] | ArrayLike<number> | unknown>;

const isColumn = (v: unknown): v is ArrayLike<unknown> => Array.isArray(v) || isTypedArray(v);

/** Builds the frame pandas would; refuses what pandas refuses (columns of different lengths). */
export function toTable(data: unknown): Table {
  if (Array.isArray(data)) {
    const columns: string[] = [];
    const seen = new Set<string>();
    data.forEach((row, i) => {
      if (!isPlainObject(row)) {
        throw invalidParameter(
          `Invalid table: row ${i} is ${describe(row)}, not an object. Pass rows as objects ({ column: value }) or columns as { column: [values] }.`,
        );
      }
      for (const key of Object.keys(row)) if (!seen.has(key)) seen.add(key), columns.push(key);
    });
    const rows = data as Record<string, unknown>[];
    return { columns, values: columns.map((c) => rows.map((row) => row[c] ?? null)) };
  }
  if (!isPlainObject(data)) {
    throw invalidParameter(
      `Invalid table ${describe(data)}: data must be rows (an array of objects) or columns (an object of arrays), as MLflow takes a pandas.DataFrame or a dict.`,
    );
  }
  const entries = Object.entries(data).filter(([, v]) => v !== undefined);
  const lengths = new Map<string, number>();
  for (const [key, v] of entries) if (isColumn(v)) lengths.set(key, v.length);
  const distinct = new Set(lengths.values());
  if (distinct.size > 1) {
    const shown = [...lengths].map(([k, n]) => `${k}: ${n}`).join(', ');
    throw invalidParameter(
      `Invalid table: all columns must have the same length (pandas: "All arrays must be of the same length"), got ${shown}. Pad the short columns with null.`,
      { lengths: Object.fromEntries(lengths) },
    );
  }
  // Scalars are broadcast to the columns' length; all scalars make one row (as MLflow's fallback does).
  const length = distinct.size === 1 ? [...distinct][0]! : 1;
  return {
    columns: entries.map(([k]) => k),
    values: entries.map(([, v]) => (isColumn(v) ? Array.from(v) : new Array(length).fill(v))),
  };
}

const NUMERIC_TEXT = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** Reads a table file back as pandas.read_json(orient="split") does for the dtypes MLflow writes. */
export function parseTable(text: string, artifactFile: string): Table {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const ok =
    isPlainObject(parsed) &&
    Array.isArray(parsed.columns) &&
    Array.isArray(parsed.data) &&
    parsed.data.every((row) => Array.isArray(row) && row.length === (parsed as { columns: unknown[] }).columns.length);
  if (!ok) {
    throw invalidParameter(
      `Cannot append to ${describe(artifactFile)}: the run already holds a file there that is not an MLflow table ({"columns": […], "data": […]}). Log the table to another file.`,
    );
  }
  const { columns, data } = parsed as { columns: unknown[]; data: unknown[][] };
  const values = columns.map((_, c) => data.map((row) => row[c]));
  for (const column of values) {
    // read_json casts a column of mixed values to float64 when every value reads as a number
    // (booleans as 1/0, numeric strings), which the next write prints as numbers.
    if (column.every((v) => typeof v === 'boolean') || column.every((v) => v === null || typeof v === 'number'))
      continue;
    const numeric = column.every(
      (v) =>
        v === null ||
        typeof v === 'number' ||
        typeof v === 'boolean' ||
        (typeof v === 'string' && NUMERIC_TEXT.test(v)),
    );
    if (numeric) for (let i = 0; i < column.length; i++) if (column[i] !== null) column[i] = Number(column[i]);
  }
  return { columns: columns.map(String), values };
}

/** pandas.concat([existing, added], ignore_index=True): columns in order of first appearance, gaps null. */
export function appendTable(existing: Table, added: Table): Table {
  const n = existing.values[0]?.length ?? 0;
  const m = added.values[0]?.length ?? 0;
  const columns = [...existing.columns];
  for (const c of added.columns) if (!columns.includes(c)) columns.push(c);
  const values = columns.map((c) => {
    const a = existing.columns.indexOf(c);
    const b = added.columns.indexOf(c);
    return [
      ...(a >= 0 ? existing.values[a]! : new Array(n).fill(null)),
      ...(b >= 0 ? added.values[b]! : new Array(m).fill(null)),
    ];
  });
  return { columns, values };
}

type Kind = 'int' | 'float' | 'bool' | 'object';

const isGap = (v: unknown) => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));

/** The dtype pandas infers for a column of these values. */
function columnKind(column: readonly Cell[]): Kind {
  if (column.every(isGap)) return 'object';
  if (column.every((v) => isGap(v) || typeof v === 'number')) {
    return column.every((v) => typeof v === 'number' && Number.isInteger(v)) ? 'int' : 'float';
  }
  if (column.every((v) => typeof v === 'boolean')) return 'bool';
  return 'object';
}

/** pandas' JSON writer for a double (ujson with double_precision=10). */
export function pandasDouble(x: number): string {
  if (!Number.isFinite(x)) return 'null';
  const neg = x < 0;
  const v = Math.abs(x);
  if (v > 1e16 - 1 || (v !== 0 && v < 1e-15)) {
    // printf("%.10g"): exponent form here, trailing zeros dropped, at least two exponent digits.
    const [mantissa, exponent] = x.toExponential(9).split('e') as [string, string];
    const m = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
    const sign = exponent.startsWith('-') ? '-' : '+';
    return `${m}e${sign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`;
  }
  let whole = Math.trunc(v);
  const tmp = (v - whole) * 1e10;
  let frac = Math.trunc(tmp);
  const diff = tmp - frac;
  if (diff > 0.5) frac++;
  else if (diff === 0.5 && (frac === 0 || frac % 2 === 1)) frac++;
  if (frac >= 1e10) {
    frac = 0;
    whole++;
  }
  let fraction = '0';
  if (frac !== 0) {
    let count = 10;
    while (frac % 10 === 0) {
      count--;
      frac /= 10;
    }
    fraction = String(frac).padStart(count, '0');
  }
  return `${neg ? '-' : ''}${BigInt(whole).toString()}.${fraction}`;
}

const integer = (n: number) => (Number.isSafeInteger(n) ? String(n) : BigInt(n).toString());

/** pandas' JSON string escapes (ujson, ensure_ascii): `/` is escaped, DEL is not, hex is lowercase. */
export function pandasString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '/') out += '\\/';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7f) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function objectCell(v: Cell): string {
  if (isGap(v)) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? integer(v) : pandasDouble(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return pandasString(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return pandasString(v.toISOString().replace('Z', ''));
  if (isColumn(v)) return `[${Array.from(v).map(objectCell).join(',')}]`;
  if (isPlainObject(v)) {
    return `{${Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${pandasString(k)}:${objectCell(x)}`)
      .join(',')}}`;
  }
  return pandasString(String(v));
}

function cell(kind: Kind, v: Cell): string {
  if (kind === 'int') return integer(v as number);
  if (kind === 'float') return isGap(v) ? 'null' : pandasDouble(v as number);
  return objectCell(v);
}

/** The file's text, as pandas writes it. */
export function tableJson(table: Table): string {
  const kinds = table.values.map(columnKind);
  const rows = table.values[0]?.length ?? 0;
  const data: string[] = [];
  for (let r = 0; r < rows; r++) data.push(`[${table.values.map((col, c) => cell(kinds[c]!, col[r])).join(',')}]`);
  return `{"columns":[${table.columns.map(pandasString).join(',')}],"data":[${data.join(',')}]}`;
}

/** MLflow's rules for a table's artifact file, checked before anything is stored. */
export function validateTableFile(artifactFile: string): void {
  for (const ch of ['"', "'", ',', ':', '[', ']', '{', '}']) {
    if (artifactFile.includes(ch)) {
      throw invalidParameter(
        `Invalid table file ${describe(artifactFile)}: it contains forbidden character ${ch} (MLflow finds tables by a tag that holds the path). Remove it.`,
      );
    }
  }
  if (!artifactFile.endsWith('.json')) {
    throw invalidParameter(
      `Invalid table file ${describe(artifactFile)}: tables are written as MLflow's '.json' table files (MLflow also writes '.parquet', which this library does not). Name it like 'eval/results.json'.`,
    );
  }
}

/** The `mlflow.loggedArtifacts` tag's entries once `artifactFile` is listed (json.dumps of a list). */
export function loggedArtifactsWith(
  current: string | undefined,
  artifactFile: string,
): { path: string; type: string }[] | undefined {
  let list: unknown;
  try {
    list = JSON.parse(current ?? '[]');
  } catch {
    list = [];
  }
  const entries = Array.isArray(list) ? (list as { path: string; type: string }[]) : [];
  if (
    entries.some(
      (e) => isPlainObject(e) && e.path === artifactFile && e.type === 'table' && Object.keys(e).length === 2,
    )
  )
    return undefined;
  return [...entries, { path: artifactFile, type: 'table' }];
}
