/** Filter parsing: a filter string's tokens into AND-ed comparisons, with MLflow's syntax errors. */
import { invalidParameter } from '../errors.js';
import { type Token, isWord } from './tokenizer.js';
import { FILTER_HELP } from './vocabulary.js';

export type Value =
  | { kind: 'number' | 'string' | 'ident'; text: string }
  | { kind: 'list'; text: string; tokens: Token[] };

/** One parsed condition; the identifier is still raw (checked after the whole filter parses, as MLflow). */
export interface RawComparison {
  lhs: string;
  comparator: string;
  /** Absent for IS NULL / IS NOT NULL. */
  value?: Value;
  text: string;
}

const COMPARATOR_WORDS: ReadonlySet<string> = new Set(['LIKE', 'ILIKE', 'RLIKE']);
const RESERVED_WORDS: ReadonlySet<string> = new Set(['AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'LIKE', 'ILIKE', 'RLIKE']);

export class FilterParser {
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
