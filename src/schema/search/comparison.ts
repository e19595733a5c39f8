/** A parsed comparison checked against its identifier: the value's type (`SearchUtils._get_value`), then the comparator. */
import { invalidParameter } from '../errors.js';
import type { RawComparison, Value } from './filter-parser.js';
import type { Identifier } from './identifier.js';
import { isQuoted } from './tokenizer.js';
import {
  DATASET_COMPARATORS,
  NUMERIC_ATTRIBUTES,
  NUMERIC_COMPARATORS,
  PARAM_TAG_COMPARATORS,
  STRING_ATTRIBUTE_COMPARATORS,
  pySet,
} from './vocabulary.js';

export interface Comparison extends Omit<RawComparison, 'lhs'> {
  identifier: Identifier;
}

export type Resolved =
  | { type: 'none' }
  | { type: 'number'; value: number }
  | { type: 'string'; value: string }
  | { type: 'list'; value: string[] };

/**
 * `SearchUtils._parse_list_from_sql_token`: a non-empty tuple of strings; for
 * run ids (`_parse_run_ids`), minus those that are not lower case.
 */
function parseList(
  value: Extract<Value, { kind: 'list' }>,
  details: Record<string, unknown>,
  runIds: boolean,
): string[] {
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
  if (!runIds) return items;
  // Python's str.islower(): some cased character and no upper-case one. MLflow drops the rest
  // because MySQL's IN is case-insensitive and run ids are lower-case hex.
  return items.filter((id) => id.toLowerCase() === id && id.toUpperCase() !== id);
}

/** `SearchUtils._get_value`: the value's type must suit the identifier. */
export function resolveValue(comparison: Comparison, details: Record<string, unknown>): Resolved {
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
  if (entity === 'dataset') {
    if (value.kind === 'string' || value.kind === 'ident') return { type: 'string', value: quotedString() };
    if (value.kind === 'list') return { type: 'list', value: parseList(value, details, false) };
    throw invalidParameter(
      `Expected a quoted string value for dataset attributes. Got value ${value.text}. Quote it, e.g. datasets.${key} = '${value.text}'.`,
      details,
    );
  }
  // attribute
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
    return { type: 'list', value: parseList(value, details, true) };
  }
  throw invalidParameter(
    `Expected a quoted string value for attributes. Got value ${value.text}. Quote it, e.g. '${value.text}'.`,
    details,
  );
}

/** `SearchUtils.is_metric` / `is_param` / `is_tag` / `is_string_attribute` / `is_numeric_attribute`. */
export function checkComparator(comparison: Comparison, details: Record<string, unknown>): void {
  const { entity, key } = comparison.identifier;
  const comparator = comparison.comparator.toUpperCase();
  const [allowed, what] =
    entity === 'metric'
      ? [NUMERIC_COMPARATORS, 'metrics']
      : entity === 'parameter' || entity === 'tag'
        ? [PARAM_TAG_COMPARATORS, entity === 'tag' ? 'tags' : 'params']
        : entity === 'dataset'
          ? [DATASET_COMPARATORS, `datasets.${key}`]
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
