/**
 * Client-side `search_runs`: MLflow's `filter_string` and `order_by`, read the
 * way MLflow's SQL tracking store reads them.
 *
 * Sources (MLflow 3.x): the grammar, keys, comparators and messages follow
 * `SearchUtils` in mlflow/utils/search_utils.py (`_get_identifier`, `_get_value`,
 * `is_metric`/`is_param`/..., `_parse_order_by_string`, `_parse_run_ids`); the
 * meaning of a comparison follows mlflow/store/tracking/sqlalchemy_store.py
 * (`_get_sqlalchemy_filter_clauses`, `_get_orderby_clauses`,
 * `_get_metric_value_details`), i.e. SQL, not the in-memory `SearchUtils.filter`.
 *
 * What that means here, in short:
 * - Clauses are joined by AND (any case). OR, NOT, parentheses are not run-search
 *   syntax. Like MLflow, stray ANDs (`a = 1 AND`, `AND AND a = 1`) are tolerated.
 * - An identifier without an entity prefix is an attribute (`status = 'FINISHED'`).
 *   Prefixes are case-sensitive. The key is everything after the first dot, with
 *   one layer of "…", '…' or `…` removed: `metrics.val.loss`, tags.`my key`.
 * - Metrics, params and tags are inner-joined rows: a run without the key never
 *   matches a comparison, `!=` included. `IS NULL` / `IS NOT NULL` test presence
 *   (params and tags only, as MLflow since mlflow/mlflow#21283).
 * - String values keep their text exactly as written between the quotes; MLflow
 *   does not unescape `''` or `\'` either.
 * - LIKE is case-sensitive (MLflow sets `PRAGMA case_sensitive_like` on SQLite),
 *   ILIKE is not; `%` is any run of characters, `_` one character, no escape char.
 * - NaN and ±Infinity metrics: the SQL store saves NaN as value 0 with `is_nan`
 *   set, and ±Infinity as ±1.7976931348623157e308 (`_get_metric_value_details`);
 *   filters compare the stored value and ignore `is_nan`. So here, in filters, a
 *   NaN metric compares as 0 (`metrics.x = 0` matches it) and ±Infinity as
 *   ±Number.MAX_VALUE. In order_by, NaN sorts after every number and before runs
 *   missing the metric, whichever the direction (MLflow's `is_nan` CASE column).
 * - order_by: missing values sort last in both directions; ties fall back to
 *   start_time DESC (unless start_time was ordered on) then run_id ASC. Strings
 *   compare by code point (SQLite's BINARY collation), numbers numerically.
 */
import type { Run, RunInfo } from './entities.js';
import { invalidParameter } from './errors.js';

export type RunPredicate = (run: Run) => boolean;
export type RunComparator = (a: Run, b: Run) => number;

// ---------------------------------------------------------------------------
// Vocabulary (SearchUtils class constants and RunInfo's searchable attributes)

type Entity = 'metric' | 'parameter' | 'tag' | 'attribute' | 'dataset';

const ENTITY_ALIASES: ReadonlyMap<string, Entity> = new Map<string, Entity>([
  ['metric', 'metric'],
  ['metrics', 'metric'],
  ['parameter', 'parameter'],
  ['parameters', 'parameter'],
  ['param', 'parameter'],
  ['params', 'parameter'],
  ['tag', 'tag'],
  ['tags', 'tag'],
  ['attribute', 'attribute'],
  ['attributes', 'attribute'],
  ['attr', 'attribute'],
  ['run', 'attribute'],
  ['dataset', 'dataset'],
  ['datasets', 'dataset'],
]);
const ENTITY_NAMES = ['metric', 'parameter', 'tag', 'attribute', 'dataset'];

/** RunInfo's `@searchable_attribute`s (lifecycle_stage is not one: it is the run view type). */
const RUN_INFO_SEARCHABLE = ['artifact_uri', 'end_time', 'run_id', 'run_name', 'start_time', 'status', 'user_id'];
const NUMERIC_ATTRIBUTES: ReadonlySet<string> = new Set(['start_time', 'end_time', 'created', 'Created']);
const SEARCH_ATTRIBUTE_KEYS: ReadonlySet<string> = new Set([
  ...RUN_INFO_SEARCHABLE,
  'created',
  'Created',
  'run name',
  'Run name',
  'Run Name',
]);
const ORDER_BY_ATTRIBUTE_KEYS: ReadonlySet<string> = new Set([...RUN_INFO_SEARCHABLE, 'created', 'Created']);
const DATASET_KEYS: ReadonlySet<string> = new Set(['name', 'digest', 'context']);

const NUMERIC_COMPARATORS = ['=', '!=', '>', '>=', '<', '<='];
const PARAM_TAG_COMPARATORS = ['=', '!=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'];
const STRING_ATTRIBUTE_COMPARATORS = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];

/** `SearchUtils.translate_key_alias`. */
function translateKeyAlias(key: string): string {
  if (key === 'created' || key === 'Created') return 'start_time';
  if (key === 'run name' || key === 'Run name' || key === 'Run Name') return 'run_name';
  return key;
}

/** Run attributes as this library stores them; artifact_uri is not kept locally yet (always absent). */
function stringAttribute(info: RunInfo, key: string): string | undefined {
  switch (key) {
    case 'run_id':
      return info.runId;
    case 'run_name':
      return info.runName;
    case 'status':
      return info.status;
    case 'user_id':
      return info.userId;
    default:
      return undefined; // artifact_uri
  }
}

function numericAttribute(info: RunInfo, key: string): number | undefined {
  return key === 'start_time' ? info.startTime : info.endTime;
}

/** Python's `repr` of a set of strings, which is how MLflow prints the allowed values. */
const pySet = (items: Iterable<string>): string => `{${[...items].map((s) => `'${s}'`).join(', ')}}`;

const FILTER_HELP =
  "Write conditions like \"metrics.acc > 0.9 AND params.model = 'cnn' AND tags.`my key` LIKE 'a%'\".";
const ORDER_BY_HELP =
  "Write '<entity>.<key> [ASC|DESC]', e.g. 'metrics.acc DESC', 'params.lr' or 'attributes.start_time ASC'; put keys with spaces or dashes in backticks (tags.`my key`).";

// ---------------------------------------------------------------------------
// Tokenizer

type TokenKind = 'ident' | 'string' | 'number' | 'op' | 'lparen' | 'rparen' | 'comma' | 'semi';

interface Token {
  kind: TokenKind;
  /** The source text, quotes included. */
  text: string;
  start: number;
  end: number;
  /** Upper-cased text when the token is one bare word (a keyword candidate), else null. */
  word: string | null;
}

const WHITESPACE = /\s+/uy;
const SINGLE_QUOTED = /'(?:''|\\'|[^'])*'/uy;
/** One identifier segment: a bare word, a "double-quoted" or a `backticked` name. */
const SEGMENT = /[\p{L}_][\p{L}\p{N}_]*|"(?:""|\\"|[^"])*"|`(?:``|[^`])*`/uy;
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:e-?\d+)?(?![\p{L}\p{N}_])/iuy;
const OPERATOR = /[<>=~!]+/uy;
const PUNCTUATION: Readonly<Record<string, TokenKind>> = { '(': 'lparen', ')': 'rparen', ',': 'comma', ';': 'semi' };

function matchAt(re: RegExp, s: string, at: number): string | null {
  re.lastIndex = at;
  const m = re.exec(s);
  return m === null ? null : m[0];
}

/** Splits `s` into tokens, or returns the offset of the first character it cannot read. */
function tokenize(s: string): Token[] | number {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number, word: string | null = null) => {
    tokens.push({ kind, text: s.slice(i, end), start: i, end, word });
    i = end;
  };
  while (i < s.length) {
    const ws = matchAt(WHITESPACE, s, i);
    if (ws !== null) {
      i += ws.length;
      continue;
    }
    const ch = s[i]!;
    const punctuation = PUNCTUATION[ch];
    if (punctuation !== undefined) {
      push(punctuation, i + 1);
      continue;
    }
    const str = matchAt(SINGLE_QUOTED, s, i);
    if (str !== null) {
      push('string', i + str.length);
      continue;
    }
    const num = matchAt(NUMBER, s, i);
    if (num !== null) {
      push('number', i + num.length);
      continue;
    }
    const op = matchAt(OPERATOR, s, i);
    if (op !== null) {
      push('op', i + op.length);
      continue;
    }
    const first = matchAt(SEGMENT, s, i);
    if (first === null) return i;
    // An identifier is segments joined by dots, with nothing between them.
    let end = i + first.length;
    let segments = 1;
    while (s[end] === '.') {
      const next = matchAt(SEGMENT, s, end + 1);
      if (next === null) return end;
      end += 1 + next.length;
      segments += 1;
    }
    const bare = segments === 1 && /^[\p{L}_]/u.test(first);
    push('ident', end, bare ? first.toUpperCase() : null);
  }
  return tokens;
}

const isWord = (token: Token | undefined, word: string): boolean => token?.word === word;

const isQuoted = (value: string, quote: string): boolean =>
  value.length >= 2 && value.startsWith(quote) && value.endsWith(quote);

/** `SearchUtils._trim_backticks`. */
const trimBackticks = (value: string): string => (isQuoted(value, '`') ? value.slice(1, -1) : value);

/** `SearchUtils._strip_quotes` without `expect_quoted_value`. */
const stripQuotes = (value: string): string =>
  isQuoted(value, "'") || isQuoted(value, '"') ? value.slice(1, -1) : value;

// ---------------------------------------------------------------------------
// Identifiers (`SearchUtils._get_identifier`)

interface Identifier {
  entity: Entity;
  key: string;
}

function parseIdentifier(
  raw: string,
  validAttributes: ReadonlySet<string>,
  details: Record<string, unknown>,
): Identifier {
  const dot = raw.indexOf('.');
  const entityRaw = dot < 0 ? 'attribute' : raw.slice(0, dot);
  const keyRaw = dot < 0 ? raw : raw.slice(dot + 1);
  const entityName = trimBackticks(entityRaw);
  const entity = ENTITY_ALIASES.get(entityName);
  if (entity === undefined) {
    throw invalidParameter(
      `Invalid entity type '${entityName}'. Valid values are ['${ENTITY_NAMES.join("', '")}']. ` +
        `Prefix the key with metrics., params., tags. or attributes. (lower case), e.g. 'metrics.acc'; ` +
        'a key that contains dots is fine after the prefix (metrics.val.loss).',
      { ...details, entity: entityName },
    );
  }
  const key = trimBackticks(stripQuotes(keyRaw));
  if (entity === 'attribute' && !validAttributes.has(key)) {
    throw invalidParameter(
      `Invalid attribute key '${key}' specified. Valid keys are '${pySet(validAttributes)}'. ` +
        (dot < 0
          ? `A name without a prefix is read as a run attribute: for a metric, param or tag write metrics.${key}, params.${key} or tags.${key}.`
          : key === 'lifecycle_stage'
            ? 'MLflow does not search on lifecycle_stage: choose active or deleted runs with the run view type instead.'
            : 'Use one of the valid keys, or the metrics., params. or tags. prefix for logged values.'),
      { ...details, key },
    );
  }
  if (entity === 'dataset' && !DATASET_KEYS.has(key)) {
    throw invalidParameter(
      `Invalid dataset key '${key}' specified. Valid keys are '${pySet(DATASET_KEYS)}'.`,
      { ...details, key },
    );
  }
  return { entity, key };
}

// ---------------------------------------------------------------------------
// Filter parsing

type Value =
  | { kind: 'number' | 'string' | 'ident'; text: string }
  | { kind: 'list'; text: string; tokens: Token[] };

/** One parsed condition; the identifier is still raw (checked after the whole filter parses, as MLflow). */
interface RawComparison {
  lhs: string;
  comparator: string;
  /** Absent for IS NULL / IS NOT NULL. */
  value?: Value;
  text: string;
}

interface Comparison extends Omit<RawComparison, 'lhs'> {
  identifier: Identifier;
}

type Resolved =
  | { type: 'none' }
  | { type: 'number'; value: number }
  | { type: 'string'; value: string }
  | { type: 'list'; value: string[] };

const COMPARATOR_WORDS: ReadonlySet<string> = new Set(['LIKE', 'ILIKE', 'RLIKE']);
const RESERVED_WORDS: ReadonlySet<string> = new Set(['AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'LIKE', 'ILIKE', 'RLIKE']);

class FilterParser {
  private pos = 0;
  private readonly source: string;
  private readonly tokens: Token[];
  private readonly details: Record<string, unknown>;

  constructor(source: string, tokens: Token[]) {
    this.source = source;
    this.tokens = tokens;
    this.details = { filter: source };
  }

  parse(): RawComparison[] {
    const comparisons: RawComparison[] = [];
    while (this.pos < this.tokens.length) {
      const token = this.tokens[this.pos]!;
      if (isWord(token, 'AND')) {
        // MLflow only rejects tokens that are neither comparisons nor AND, so stray ANDs pass.
        this.pos += 1;
        continue;
      }
      if (token.kind === 'semi') throw this.multipleStatements();
      if (isWord(token, 'OR')) throw this.orError();
      if (token.kind !== 'ident' || (token.word !== null && RESERVED_WORDS.has(token.word))) {
        throw this.invalidClause(this.pos);
      }
      comparisons.push(this.comparison());
      const next = this.tokens[this.pos];
      if (next === undefined || isWord(next, 'AND')) continue;
      if (next.kind === 'semi') throw this.multipleStatements();
      if (isWord(next, 'OR')) throw this.orError();
      throw this.invalidClause(this.pos);
    }
    return comparisons;
  }

  /** identifier, comparator and (unless IS [NOT] NULL) one value. */
  private comparison(): RawComparison {
    const startIndex = this.pos;
    const lhs = this.tokens[this.pos++]!;
    const t = this.tokens[this.pos];
    let comparator: string;
    if (t?.kind === 'op') {
      comparator = t.text;
      this.pos += 1;
    } else if (t?.word != null && COMPARATOR_WORDS.has(t.word)) {
      comparator = t.word;
      this.pos += 1;
    } else if (isWord(t, 'NOT') && this.tokens[this.pos + 1]?.word != null) {
      const second = this.tokens[this.pos + 1]!.word!;
      if (second !== 'IN' && !COMPARATOR_WORDS.has(second)) throw this.invalidClause(startIndex);
      comparator = `NOT ${second}`;
      this.pos += 2;
    } else if (isWord(t, 'IN')) {
      comparator = 'IN';
      this.pos += 1;
    } else if (isWord(t, 'IS')) {
      const negated = isWord(this.tokens[this.pos + 1], 'NOT');
      const nullToken = this.tokens[this.pos + (negated ? 2 : 1)];
      if (!isWord(nullToken, 'NULL')) throw this.invalidClause(startIndex);
      this.pos += negated ? 3 : 2;
      return {
        lhs: lhs.text,
        comparator: negated ? 'IS NOT NULL' : 'IS NULL',
        text: this.source.slice(lhs.start, nullToken!.end),
      };
    } else {
      throw this.invalidClause(startIndex);
    }
    const isList = comparator === 'IN' || comparator === 'NOT IN';
    const v = this.tokens[this.pos];
    let value: Value;
    if (v?.kind === 'lparen') {
      value = this.list();
    } else if (!isList && v !== undefined && (v.kind === 'number' || v.kind === 'string' || v.kind === 'ident')) {
      if (v.word !== null && RESERVED_WORDS.has(v.word)) throw this.invalidClause(startIndex);
      value = { kind: v.kind, text: v.text };
      this.pos += 1;
    } else {
      // e.g. `metrics.acc >` or `attributes.run_id IN 'a'`
      const hint = isList
        ? "IN and NOT IN take a parenthesized list of quoted strings, e.g. attributes.run_id IN ('a1b2', 'c3d4')."
        : undefined;
      throw this.invalidClause(startIndex, hint);
    }
    const last = this.tokens[this.pos - 1]!;
    return {
      lhs: lhs.text,
      comparator,
      value,
      text: this.source.slice(lhs.start, last.end),
    };
  }

  private list(): Value {
    const open = this.tokens[this.pos]!;
    const inner: Token[] = [];
    let i = this.pos + 1;
    for (; i < this.tokens.length; i++) {
      const t = this.tokens[i]!;
      if (t.kind === 'rparen') break;
      if (t.kind === 'lparen') throw this.couldNotParse();
      inner.push(t);
    }
    const close = this.tokens[i];
    if (close === undefined) throw this.couldNotParse();
    this.pos = i + 1;
    return { kind: 'list', text: this.source.slice(open.start, close.end), tokens: inner };
  }

  /** Everything from token `index` up to the next AND (or the end). */
  private clauseText(index: number): string {
    const start = this.tokens[index]!;
    let end = start;
    for (let i = index; i < this.tokens.length && !isWord(this.tokens[i], 'AND'); i++) end = this.tokens[i]!;
    return this.source.slice(start.start, end.end);
  }

  private invalidClause(index: number, hint?: string): Error {
    const clause = this.clauseText(index);
    return invalidParameter(
      `Invalid clause(s) in filter string: '${clause}'. ` +
        (hint ??
          'Each condition must be <entity>.<key> <comparator> <value> (or <key> IS [NOT] NULL for params and tags), ' +
            `joined by AND; NOT and parentheses are not supported. ${FILTER_HELP}`),
      { ...this.details, clause },
    );
  }

  private orError(): Error {
    return invalidParameter(
      "Invalid clause(s) in filter string: 'OR'. MLflow's run search does not support OR: join conditions " +
        'with AND, or run one search per alternative and merge the results ' +
        "(for alternatives of run_id, use attributes.run_id IN ('…', '…')).",
      { ...this.details, clause: 'OR' },
    );
  }

  private multipleStatements(): Error {
    return invalidParameter(
      `Search filter contained multiple expression '${this.source}'. Provide AND-ed expression list: ` +
        "replace ';' with AND.",
      this.details,
    );
  }

  private couldNotParse(): Error {
    return invalidParameter(`Invalid filter '${this.source}'. Could not be parsed. ${FILTER_HELP}`, this.details);
  }
}

/** `SearchUtils._parse_run_ids`: a non-empty tuple of strings, minus ids that are not lower case. */
function parseRunIds(value: Extract<Value, { kind: 'list' }>, details: Record<string, unknown>): string[] {
  const items: string[] = [];
  let sawOther = false;
  const toks = value.tokens;
  for (let i = 0; i < toks.length; i += 2) {
    const item = toks[i]!;
    const separator = toks[i + 1];
    if (separator !== undefined && separator.kind !== 'comma') {
      throw invalidParameter(
        'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list. ' +
          "Separate the quoted values with commas, e.g. ('a1b2', 'c3d4').",
        details,
      );
    }
    if (item.kind === 'string' || (item.kind === 'ident' && isQuoted(item.text, '"'))) {
      items.push(item.text.slice(1, -1));
    } else if (item.kind === 'number') {
      sawOther = true;
    } else {
      throw invalidParameter(
        'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list. ' +
          "Quote every value, e.g. ('a1b2', 'c3d4').",
        details,
      );
    }
  }
  if (toks.length === 0) {
    throw invalidParameter(
      'While parsing a list in the query, expected a non-empty list of string values, but got empty list. ' +
        'Give at least one quoted run id.',
      details,
    );
  }
  if (sawOther) {
    throw invalidParameter(
      'While parsing a list in the query, expected string value, punctuation, or whitespace, ' +
        `but got different type in list: ${value.text}. Quote every run id, e.g. ('a1b2', 'c3d4').`,
      details,
    );
  }
  // Python's str.islower(): some cased character and no upper-case one. MLflow drops the rest
  // because MySQL's IN is case-insensitive and run ids are lower-case hex.
  return items.filter((id) => id.toLowerCase() === id && id.toUpperCase() !== id);
}

/** `SearchUtils._get_value`: the value's type must suit the identifier. */
function resolveValue(comparison: Comparison, details: Record<string, unknown>): Resolved {
  const { value } = comparison;
  if (value === undefined) return { type: 'none' };
  const { entity, key } = comparison.identifier;
  const quotedString = (): string => {
    if (value.kind === 'string' || isQuoted(value.text, '"')) return value.text.slice(1, -1);
    throw invalidParameter(
      `Parameter value is either not quoted or unidentified quote types used for string value ${value.text}. ` +
        `Use either single or double quotes, e.g. '${value.text}'.`,
      details,
    );
  };
  if (entity === 'metric') {
    if (value.kind !== 'number') {
      throw invalidParameter(
        `Expected numeric value type for metric. Found ${value.text}. ` +
          `Compare metrics with an unquoted number, e.g. metrics.${key} > 0.5.`,
        details,
      );
    }
    return { type: 'number', value: Number(value.text) };
  }
  if (entity === 'parameter' || entity === 'tag') {
    if (value.kind === 'string' || value.kind === 'ident') return { type: 'string', value: quotedString() };
    throw invalidParameter(
      `Expected a quoted string value for ${entity} (e.g. 'my-value'). Got value ${value.text}. ` +
        `${entity === 'tag' ? 'Tags' : 'Params'} are strings: quote the value, e.g. = '${value.text}'.`,
      details,
    );
  }
  // attribute (dataset filters are refused before this point)
  if (NUMERIC_ATTRIBUTES.has(key)) {
    if (value.kind !== 'number') {
      throw invalidParameter(
        `Expected numeric value type for numeric attribute: ${key}. Found ${value.text}. ` +
          `Give milliseconds since the Unix epoch as an unquoted number, e.g. attributes.${key} > 1700000000000.`,
        details,
      );
    }
    return { type: 'number', value: Number(value.text) };
  }
  if (value.kind === 'string' || value.kind === 'ident') return { type: 'string', value: quotedString() };
  if (value.kind === 'list') {
    if (key !== 'run_id') {
      throw invalidParameter(
        "Only the 'run_id' attribute supports comparison with a list of quoted string values. " +
          `Compare ${key} with one value (=, !=, LIKE, ILIKE) instead.`,
        details,
      );
    }
    return { type: 'list', value: parseRunIds(value, details) };
  }
  throw invalidParameter(
    `Expected a quoted string value for attributes. Got value ${value.text}. Quote it, e.g. '${value.text}'.`,
    details,
  );
}

/** `SearchUtils.is_metric` / `is_param` / `is_tag` / `is_string_attribute` / `is_numeric_attribute`. */
function checkComparator(comparison: Comparison, details: Record<string, unknown>): void {
  const { entity, key } = comparison.identifier;
  const comparator = comparison.comparator.toUpperCase();
  const [allowed, what] =
    entity === 'metric'
      ? [NUMERIC_COMPARATORS, 'metrics']
      : entity === 'parameter' || entity === 'tag'
        ? [PARAM_TAG_COMPARATORS, entity === 'tag' ? 'tags' : 'params']
        : NUMERIC_ATTRIBUTES.has(key)
          ? [NUMERIC_COMPARATORS, `the numeric attribute ${key}`]
          : [STRING_ATTRIBUTE_COMPARATORS, `the string attribute ${key}`];
  if (!allowed.includes(comparator)) {
    const isNull = comparator === 'IS NULL' || comparator === 'IS NOT NULL';
    const nullHint = isNull ? ' IS NULL and IS NOT NULL work on params and tags only.' : '';
    throw invalidParameter(
      `Invalid comparator '${comparator}' not one of '${pySet(allowed)}'. Use one of those with ${what}.${nullHint}`,
      { ...details, comparator },
    );
  }
}

// ---------------------------------------------------------------------------
// Evaluation

/** How the SQL store stores a metric value (`_get_metric_value_details`). */
function storedMetric(value: number): number {
  if (Number.isNaN(value)) return 0;
  if (value === Infinity) return Number.MAX_VALUE;
  if (value === -Infinity) return -Number.MAX_VALUE;
  return value;
}

function own<V>(record: Record<string, V>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function compareNumbers(comparator: string, a: number, b: number): boolean {
  switch (comparator) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    default:
      return a <= b;
  }
}

/** SQL LIKE: `%` any run of characters, `_` exactly one, everything else literal; whole-string match. */
function likeRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let source = '';
  for (const ch of pattern) {
    if (ch === '%') source += '.*';
    else if (ch === '_') source += '.';
    else source += ch.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, caseInsensitive ? 'isu' : 'su');
}

function stringTest(comparator: string, rhs: Resolved): (lhs: string) => boolean {
  if (rhs.type === 'list') {
    const ids = new Set(rhs.value);
    return comparator === 'IN' ? (lhs) => ids.has(lhs) : (lhs) => !ids.has(lhs);
  }
  const value = rhs.type === 'string' ? rhs.value : '';
  switch (comparator) {
    case '=':
      return (lhs) => lhs === value;
    case '!=':
      return (lhs) => lhs !== value;
    default: {
      const re = likeRegExp(value, comparator === 'ILIKE');
      return (lhs) => re.test(lhs);
    }
  }
}

/** Builds the predicate for one checked comparison with its resolved value. */
function compileComparison(comparison: Comparison, rhs: Resolved, details: Record<string, unknown>): RunPredicate {
  const { entity } = comparison.identifier;
  const comparator = comparison.comparator.toUpperCase();
  const key = translateKeyAlias(comparison.identifier.key);
  if ((comparator === 'IN' || comparator === 'NOT IN') !== (rhs.type === 'list')) {
    throw invalidParameter(
      `Invalid comparator '${comparator}' for the value ${comparison.value?.text ?? ''}. ` +
        "Compare a list only with IN or NOT IN, e.g. attributes.run_id IN ('a1b2', 'c3d4').",
      details,
    );
  }

  if (entity === 'metric') {
    const value = rhs.type === 'number' ? rhs.value : NaN;
    return (run) => {
      const lhs = own(run.data.metrics, key);
      return lhs !== undefined && compareNumbers(comparator, storedMetric(lhs), value);
    };
  }
  if (entity === 'parameter' || entity === 'tag') {
    const pick = entity === 'tag' ? (run: Run) => run.data.tags : (run: Run) => run.data.params;
    if (comparator === 'IS NULL') return (run) => !Object.hasOwn(pick(run), key);
    if (comparator === 'IS NOT NULL') return (run) => Object.hasOwn(pick(run), key);
    const test = stringTest(comparator, rhs);
    return (run) => {
      const lhs = own(pick(run), key);
      return lhs !== undefined && test(lhs);
    };
  }
  if (NUMERIC_ATTRIBUTES.has(key)) {
    const value = rhs.type === 'number' ? rhs.value : NaN;
    return (run) => {
      const lhs = numericAttribute(run.info, key);
      return lhs !== undefined && compareNumbers(comparator, lhs, value);
    };
  }
  const test = stringTest(comparator, rhs);
  return (run) => {
    const lhs = stringAttribute(run.info, key);
    return lhs !== undefined && test(lhs);
  };
}

/** Parses an MLflow filter string; '' / undefined / whitespace → matches everything. Throws invalidParameter on bad syntax. */
export function compileFilter(filter?: string): RunPredicate {
  if (filter === undefined || filter === null) return () => true;
  if (typeof filter !== 'string') {
    throw invalidParameter(`Invalid filter ${String(filter)}: a filter must be a string. ${FILTER_HELP}`, {
      filter: String(filter),
    });
  }
  const details = { filter };
  const tokens = tokenize(filter);
  if (typeof tokens === 'number') {
    throw invalidParameter(
      `Invalid filter '${filter}'. Could not be parsed (at character ${tokens + 1}: '${filter.slice(tokens, tokens + 10)}'). ` +
        `Quote keys that contain spaces, dashes or other symbols with backticks (params.\`my-key\`). ${FILTER_HELP}`,
      { ...details, position: tokens },
    );
  }
  // The same order of checks as MLflow: the whole statement's shape, then each clause's
  // identifier and value (parse_search_filter), then each clause's comparator (filtering).
  const parsed = new FilterParser(filter, tokens).parse().map((raw) => {
    const clauseDetails = { ...details, clause: raw.text };
    const { lhs, ...rest } = raw;
    const comparison: Comparison = { ...rest, identifier: parseIdentifier(lhs, SEARCH_ATTRIBUTE_KEYS, clauseDetails) };
    if (comparison.identifier.entity === 'dataset') {
      throw invalidParameter(
        `Filtering on dataset.${comparison.identifier.key} is not supported by mlflow-edge: runs here carry no ` +
          'dataset inputs. Filter on params or tags that name the dataset instead.',
        clauseDetails,
      );
    }
    return { comparison, rhs: resolveValue(comparison, clauseDetails), clauseDetails };
  });
  const predicates = parsed.map(({ comparison, rhs, clauseDetails }) => {
    checkComparator(comparison, clauseDetails);
    return compileComparison(comparison, rhs, clauseDetails);
  });
  if (predicates.length === 0) return () => true;
  return (run) => predicates.every((matches) => matches(run));
}

// ---------------------------------------------------------------------------
// order_by

/** `shlex.split` of one word, as `_parse_order_by_string` applies it: quotes removed. */
function shlexWord(raw: string): string {
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
function compareStrings(a: string, b: string): number {
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
