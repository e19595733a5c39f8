/**
 * Client-side `search_experiments`: MLflow's experiment filter and order_by
 * (`SearchExperimentsUtils` in mlflow/utils/search_utils.py) read as its SQL
 * store reads them (`_get_search_experiments_filter_clauses`,
 * `_get_search_experiments_order_by_clauses` in sqlalchemy_store.py).
 *
 * - Identifiers: `name`, `experiment_id`, `creation_time`, `last_update_time`
 *   (bare or with `attribute.`), and `tag.<key>` / `tags.<key>`.
 * - Comparators: name `= != LIKE ILIKE`; creation_time and last_update_time
 *   `= != < <= > >=` against an integer; experiment_id `= != IN NOT IN`;
 *   tags `= != LIKE ILIKE IS NULL IS NOT NULL`. Clauses are AND-ed; LIKE is
 *   case-sensitive and ILIKE is not, as in runs search.
 * - order_by: attributes only, ASC by default; default `creation_time DESC,
 *   experiment_id ASC`; without experiment_id the tie-break is experiment_id
 *   DESC (the SQL store's). Ids compare as integers.
 */
import type { Experiment } from '../entities.js';
import { invalidParameter } from '../errors.js';
import { compareNumbers, likeRegExp } from './evaluate.js';
import { FilterParser, type RawComparison } from './filter-parser.js';
import { compareStrings, shlexWord } from './order-by.js';
import { isQuoted, tokenize, type Token } from './tokenizer.js';

export type ExperimentPredicate = (e: Experiment) => boolean;
export type ExperimentComparator = (a: Experiment, b: Experiment) => number;

const ATTRIBUTES = ['name', 'experiment_id', 'creation_time', 'last_update_time'] as const;
type Attribute = (typeof ATTRIBUTES)[number];
const NUMERIC: ReadonlySet<string> = new Set(['creation_time', 'last_update_time']);
const ENTITY_TYPES = ['attribute', 'tag', 'tags'];
const HELP =
  "Write conditions like \"name LIKE 'sweep-%' AND tags.team = 'vision' AND creation_time > 1700000000000\".";
const pySet = (items: readonly string[]) => `{${items.map((s) => `'${s}'`).join(', ')}}`;

type Ident = { type: 'attribute'; key: Attribute } | { type: 'tag'; key: string };

/** `SearchExperimentsUtils._get_identifier`. */
function identifier(raw: string, details: Record<string, unknown>): Ident {
  const dot = raw.indexOf('.');
  const entity = dot < 0 ? 'attribute' : raw.slice(0, dot);
  let key = dot < 0 ? raw : raw.slice(dot + 1);
  if (!ENTITY_TYPES.includes(entity)) {
    throw invalidParameter(
      `Invalid entity type '${entity}'. Valid entity types are ('attribute', 'tag', 'tags'). ` +
        'Write tags.<key> for an experiment tag, or a bare attribute name (name, creation_time, …).',
      { ...details, entity },
    );
  }
  if (isQuoted(key, "'") || isQuoted(key, '"')) key = key.slice(1, -1);
  if (isQuoted(key, '`')) key = key.slice(1, -1);
  if (entity !== 'attribute') return { type: 'tag', key };
  if (!(ATTRIBUTES as readonly string[]).includes(key)) {
    throw invalidParameter(
      `Invalid attribute key '${key}' specified. Valid keys are '${pySet(ATTRIBUTES)}'. ` +
        `For an experiment tag write tags.${key}.`,
      { ...details, key },
    );
  }
  return { type: 'attribute', key: key as Attribute };
}

function quoted(value: NonNullable<RawComparison['value']>, details: Record<string, unknown>): string {
  if (value.kind === 'string' || (value.kind === 'ident' && isQuoted(value.text, '"'))) return value.text.slice(1, -1);
  throw invalidParameter(
    `Parameter value is either not quoted or unidentified quote types used for string value ${value.text}. ` +
      `Use either single or double quotes, e.g. '${value.text}'.`,
    details,
  );
}

function listOf(value: NonNullable<RawComparison['value']>, details: Record<string, unknown>): string[] {
  if (value.kind !== 'list') {
    throw invalidParameter(
      `Invalid value ${value.text} for IN / NOT IN: give a parenthesized list of quoted ids, e.g. experiment_id IN ('1', '2').`,
      details,
    );
  }
  const items: string[] = [];
  const toks: Token[] = value.tokens;
  for (let i = 0; i < toks.length; i += 2) {
    const item = toks[i]!;
    const separator = toks[i + 1];
    if ((separator !== undefined && separator.kind !== 'comma') || item.kind !== 'string') {
      throw invalidParameter(
        "While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list. Quote every id and separate them with commas, e.g. ('1', '2').",
        details,
      );
    }
    items.push(item.text.slice(1, -1));
  }
  if (items.length === 0) {
    throw invalidParameter(
      'While parsing a list in the query, expected a non-empty list of string values, but got empty list. Give at least one quoted experiment id.',
      details,
    );
  }
  return items;
}

function stringTest(comparator: string, value: string): (lhs: string) => boolean {
  if (comparator === '=') return (lhs) => lhs === value;
  if (comparator === '!=') return (lhs) => lhs !== value;
  const re = likeRegExp(value, comparator === 'ILIKE');
  return (lhs) => re.test(lhs);
}

/** MLflow's `_parse_experiment_id`: an id is an integer. */
function experimentIdNumber(id: string, details: Record<string, unknown>): number {
  if (!/^-?\d+$/.test(id.trim())) {
    throw invalidParameter(`Invalid experiment ID: '${id}'. Experiment ids are integers, e.g. '1'.`, details);
  }
  return Number(id);
}

function compileClause(raw: RawComparison, details: Record<string, unknown>): ExperimentPredicate {
  const id = identifier(raw.lhs, details);
  const comparator = raw.comparator.toUpperCase();
  const value = raw.value;
  if (id.type === 'tag') {
    if (comparator === 'IS NULL') return (e) => !Object.hasOwn(e.tags, id.key);
    if (comparator === 'IS NOT NULL') return (e) => Object.hasOwn(e.tags, id.key);
    const text = quoted(value!, details);
    if (!['=', '!=', 'LIKE', 'ILIKE'].includes(comparator))
      throw invalidParameter(
        `Invalid comparator for tag: ${comparator}. Use =, !=, LIKE, ILIKE, IS NULL or IS NOT NULL.`,
        details,
      );
    const test = stringTest(comparator, text);
    return (e) => Object.hasOwn(e.tags, id.key) && test(e.tags[id.key]!);
  }
  if (value === undefined) {
    throw invalidParameter(`IS NULL / IS NOT NULL is only supported for tags, not for attribute '${id.key}'`, details);
  }
  if (id.key === 'experiment_id') {
    if (!['=', '!=', 'IN', 'NOT IN'].includes(comparator))
      throw invalidParameter(`Invalid comparator for experiment_id: ${comparator}. Use =, !=, IN or NOT IN.`, details);
    if (comparator === 'IN' || comparator === 'NOT IN') {
      const ids = new Set(listOf(value, details).map((v) => experimentIdNumber(v, details)));
      return (e) => ids.has(Number(e.experimentId)) === (comparator === 'IN');
    }
    const n = experimentIdNumber(quoted(value, details), details);
    return (e) => (Number(e.experimentId) === n) === (comparator === '=');
  }
  if (NUMERIC.has(id.key)) {
    if (value.kind !== 'number') {
      throw invalidParameter(
        `Expected numeric value type for numeric attribute: ${id.key}. Found ${value.text}. ` +
          `Give milliseconds since the Unix epoch as an unquoted integer, e.g. ${id.key} > 1700000000000.`,
        details,
      );
    }
    if (!['=', '!=', '<', '<=', '>', '>='].includes(comparator))
      throw invalidParameter(
        `Invalid comparator for numeric attribute: ${comparator}. Use =, !=, <, <=, > or >=.`,
        details,
      );
    if (!/^-?\d+$/.test(value.text))
      throw invalidParameter(
        `Invalid value for numeric attribute '${id.key}': '${value.text}'. Use an integer.`,
        details,
      );
    const n = Number(value.text);
    const pick = id.key === 'creation_time' ? (e: Experiment) => e.creationTime : (e: Experiment) => e.lastUpdateTime;
    return (e) => compareNumbers(comparator, pick(e), n);
  }
  const text = quoted(value, details);
  if (!['=', '!=', 'LIKE', 'ILIKE'].includes(comparator))
    throw invalidParameter(
      `Invalid comparator for string attribute: ${comparator}. Use =, !=, LIKE or ILIKE.`,
      details,
    );
  const test = stringTest(comparator, text);
  return (e) => test(e.name);
}

/** Parses an MLflow experiment filter; '' / undefined matches every experiment. Throws INVALID_PARAMETER_VALUE on bad syntax. */
export function compileExperimentFilter(filter?: string): ExperimentPredicate {
  if (filter === undefined || filter === null) return () => true;
  if (typeof filter !== 'string')
    throw invalidParameter(`Invalid filter ${String(filter)}: a filter must be a string. ${HELP}`, {
      filter: String(filter),
    });
  const tokens = tokenize(filter);
  if (typeof tokens === 'number') {
    throw invalidParameter(
      `Invalid filter '${filter}'. Could not be parsed (at character ${tokens + 1}). ` +
        `Quote tag keys that contain spaces, dashes or other symbols with backticks (tags.\`my-key\`). ${HELP}`,
      { filter, position: tokens },
    );
  }
  const predicates = new FilterParser(filter, tokens)
    .parse()
    .map((raw) => compileClause(raw, { filter, clause: raw.text }));
  return (e) => predicates.every((p) => p(e));
}

type Key = (e: Experiment) => number | string;
const KEYS: Record<Attribute, Key> = {
  name: (e) => e.name,
  experiment_id: (e) => Number(e.experimentId),
  creation_time: (e) => e.creationTime,
  last_update_time: (e) => e.lastUpdateTime,
};

/** `_parse_order_by_string` then `parse_order_by_for_search_experiments`. */
function parseOrder(clause: string): { key: Attribute; ascending: boolean } {
  const details = { orderBy: clause };
  const tokens = tokenize(clause);
  if (typeof tokens === 'number' || tokens.length === 0 || tokens.length > 2 || tokens[0]!.kind !== 'ident')
    throw invalidParameter(
      `Invalid order_by clause '${clause}'. Could not be parsed. Write '<attribute> [ASC|DESC]', e.g. 'creation_time DESC' or 'name'.`,
      details,
    );
  const [first, second] = tokens as [Token, Token | undefined];
  let ascending = true;
  if (second !== undefined) {
    if (second.word !== 'ASC' && second.word !== 'DESC')
      throw invalidParameter(
        `Invalid ordering key in order_by clause '${clause}'. End the clause with ASC or DESC, or with nothing (ASC).`,
        details,
      );
    ascending = second.word === 'ASC';
  }
  const id = identifier(shlexWord(first.text.replaceAll('`', '"')).trim(), details);
  if (id.type !== 'attribute')
    throw invalidParameter(
      `Invalid order_by entity: tag. Experiments are ordered by ${ATTRIBUTES.join(', ')} only.`,
      details,
    );
  return { key: id.key, ascending };
}

/** MLflow's experiment order_by clauses, e.g. ['name', 'creation_time DESC']. */
export function compileExperimentOrderBy(orderBy?: readonly string[]): ExperimentComparator {
  if (orderBy !== undefined && !Array.isArray(orderBy))
    throw invalidParameter(`Invalid order_by ${String(orderBy)}: pass a list of clauses, e.g. ['name ASC'].`);
  const given = orderBy === undefined || orderBy.length === 0 ? ['creation_time DESC', 'experiment_id ASC'] : orderBy;
  const clauses = given.map((c) => {
    if (typeof c !== 'string') throw invalidParameter(`Invalid order_by clause ${String(c)}: each clause is a string.`);
    return parseOrder(c);
  });
  if (!clauses.some((c) => c.key === 'experiment_id')) clauses.push({ key: 'experiment_id', ascending: false });
  return (a, b) => {
    for (const { key, ascending } of clauses) {
      const x = KEYS[key](a);
      const y = KEYS[key](b);
      const c =
        typeof x === 'number' && typeof y === 'number'
          ? x < y
            ? -1
            : x > y
              ? 1
              : 0
          : compareStrings(String(x), String(y));
      if (c !== 0) return ascending ? c : -c;
    }
    return 0;
  };
}
