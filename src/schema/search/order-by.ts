/** order_by: clauses parsed as `_parse_order_by_string` does, compiled into a comparator sorting as the SQL store does. */
import type { Run } from '../entities.js';
import { invalidParameter } from '../errors.js';
import { parseIdentifier } from './identifier.js';
import { numericAttribute, own, storedMetric, stringAttribute } from './run-values.js';
import { type Token, tokenize } from './tokenizer.js';
import {
  type Entity,
  NUMERIC_ATTRIBUTES,
  ORDER_BY_ATTRIBUTE_KEYS,
  ORDER_BY_HELP,
  translateKeyAlias,
} from './vocabulary.js';

export type RunComparator = (a: Run, b: Run) => number;

/** `shlex.split` of one word, as `_parse_order_by_string` applies it: quotes removed. */
export function shlexWord(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === "'") {
      const close = raw.indexOf("'", i + 1);
      const end = close < 0 ? raw.length : close;
      out += raw.slice(i + 1, end);
      i = end;
    } else if (ch === '"') {
      i += 1;
      for (; i < raw.length && raw[i] !== '"'; i++) {
        if (raw[i] === '\\' && (raw[i + 1] === '"' || raw[i + 1] === '\\')) i += 1;
        out += raw[i];
      }
    } else if (ch === '\\' && i + 1 < raw.length) {
      out += raw[++i];
    } else {
      out += ch;
    }
  }
  return out;
}

type SortKey = { rank: number; value: number | string };

interface OrderClause {
  entity: Entity;
  key: string;
  ascending: boolean;
  sortKey: (run: Run) => SortKey;
}

function parseOrderBy(clause: string): OrderClause {
  const details = { orderBy: clause };
  const couldNotParse = () =>
    invalidParameter(`Invalid order_by clause '${clause}'. Could not be parsed. ${ORDER_BY_HELP}`, details);
  const tokens = tokenize(clause);
  if (typeof tokens === 'number' || tokens.length === 0 || tokens.length > 2) throw couldNotParse();
  const [first, second] = tokens as [Token, Token | undefined];
  if (first.kind !== 'ident') throw couldNotParse();
  let ascending = true;
  let raw = first.text;
  if (second !== undefined) {
    if (second.kind !== 'ident' || second.word === null) throw couldNotParse();
    if (second.word !== 'ASC' && second.word !== 'DESC') {
      throw invalidParameter(
        `Invalid ordering key in order_by clause '${clause}'. End the clause with ASC or DESC, or with nothing (ASC).`,
        details,
      );
    }
    ascending = second.word === 'ASC';
    raw = shlexWord(raw.replaceAll('`', '"'));
  }
  const { entity, key: rawKey } = parseIdentifier(raw.trim(), ORDER_BY_ATTRIBUTE_KEYS, details);
  if (entity === 'dataset') {
    throw invalidParameter(
      `Invalid identifier type 'dataset' in order_by clause '${clause}'. Order runs by metrics, params, tags or attributes.`,
      details,
    );
  }
  const key = translateKeyAlias(rawKey);
  let sortKey: (run: Run) => SortKey;
  if (entity === 'metric') {
    // MLflow's CASE column: 0 a number, 1 NaN, 2 missing, always ascending.
    sortKey = (run) => {
      const v = own(run.data.metrics, key);
      if (v === undefined) return { rank: 2, value: 0 };
      if (Number.isNaN(v)) return { rank: 1, value: 0 };
      return { rank: 0, value: storedMetric(v) };
    };
  } else if (entity === 'parameter' || entity === 'tag') {
    const pick = entity === 'tag' ? (run: Run) => run.data.tags : (run: Run) => run.data.params;
    sortKey = (run) => {
      const v = own(pick(run), key);
      return v === undefined ? { rank: 1, value: '' } : { rank: 0, value: v };
    };
  } else if (NUMERIC_ATTRIBUTES.has(key)) {
    sortKey = (run) => {
      const v = numericAttribute(run.info, key);
      return v === undefined ? { rank: 1, value: 0 } : { rank: 0, value: v };
    };
  } else {
    sortKey = (run) => {
      const v = stringAttribute(run.info, key);
      return v === undefined ? { rank: 1, value: '' } : { rank: 0, value: v };
    };
  }
  return { entity, key, ascending, sortKey };
}

/** Code-point order (what SQLite's BINARY collation gives for UTF-8), not UTF-16 code-unit order. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (astral code points) sort above U+E000..U+FFFF.
      const fix = (u: number) => (u >= 0xd800 ? (u <= 0xdfff ? u + 0x2000 : u - 0x800) : u);
      return fix(x) - fix(y);
    }
  }
  return a.length - b.length;
}

function compareValues(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  return compareStrings(String(a), String(b));
}

/** MLflow order_by clauses, e.g. ['metrics.acc DESC', 'params.lr', 'attributes.start_time ASC', '`tags`.`my key` DESC']. Default and tie-break: start_time DESC then run_id ASC, as MLflow. Throws invalidParameter on bad clauses. */
export function compileOrderBy(orderBy?: readonly string[]): RunComparator {
  if (orderBy !== undefined && orderBy !== null && !Array.isArray(orderBy)) {
    throw invalidParameter(
      `Invalid order_by ${JSON.stringify(orderBy)}: order_by must be a list of clauses, e.g. ['metrics.acc DESC'].`,
      { orderBy: String(orderBy) },
    );
  }
  const clauses: OrderClause[] = [];
  const seen = new Set<string>();
  for (const raw of orderBy ?? []) {
    if (typeof raw !== 'string') {
      throw invalidParameter(`Invalid order_by clause ${String(raw)}: each clause must be a string. ${ORDER_BY_HELP}`, {
        orderBy: String(raw),
      });
    }
    const clause = parseOrderBy(raw);
    const id = `${clause.entity}\u0000${clause.key}`;
    if (seen.has(id)) {
      throw invalidParameter(
        `\`order_by\` contains duplicate fields: ${JSON.stringify(orderBy)}. Order by each field once.`,
        { orderBy: raw },
      );
    }
    seen.add(id);
    clauses.push(clause);
  }
  const startTimeOrdered = seen.has('attribute\u0000start_time');
  return (a, b) => {
    for (const clause of clauses) {
      const x = clause.sortKey(a);
      const y = clause.sortKey(b);
      if (x.rank !== y.rank) return x.rank - y.rank;
      if (x.rank === 0) {
        const c = compareValues(x.value, y.value);
        if (c !== 0) return clause.ascending ? c : -c;
      }
    }
    if (!startTimeOrdered && a.info.startTime !== b.info.startTime) return b.info.startTime - a.info.startTime;
    return compareStrings(a.info.runId, b.info.runId);
  };
}
