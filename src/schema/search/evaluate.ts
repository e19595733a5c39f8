/** Evaluation: a filter string compiled into a predicate over runs, compared as MLflow's SQL store compares. */
import type { Run } from '../entities.js';
import { invalidParameter } from '../errors.js';
import { type Comparison, type Resolved, checkComparator, resolveValue } from './comparison.js';
import { FilterParser } from './filter-parser.js';
import { parseIdentifier } from './identifier.js';
import { numericAttribute, own, storedMetric, stringAttribute } from './run-values.js';
import { tokenize } from './tokenizer.js';
import {
  DATASET_CONTEXT_TAG,
  FILTER_HELP,
  NUMERIC_ATTRIBUTES,
  SEARCH_ATTRIBUTE_KEYS,
  translateKeyAlias,
} from './vocabulary.js';

export type RunPredicate = (run: Run) => boolean;

/** `a <comparator> b` for MLflow's numeric comparators (=, !=, >, >=, <, <=). */
export function compareNumbers(comparator: string, a: number, b: number): boolean {
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
export function likeRegExp(pattern: string, caseInsensitive: boolean): RegExp {
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
  if (entity === 'dataset') {
    // Any of the run's dataset inputs (`_does_run_match_clause`); `context` is the input's mlflow.data.context tag.
    const test = stringTest(comparator, rhs);
    if (key === 'context')
      return (run) =>
        run.inputs.datasetInputs.some((i) => {
          const context = own(i.tags, DATASET_CONTEXT_TAG);
          return context !== undefined && test(context);
        });
    const field = key === 'digest' ? 'digest' : 'name';
    return (run) => run.inputs.datasetInputs.some((i) => test(i.dataset[field]));
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
    return { comparison, rhs: resolveValue(comparison, clauseDetails), clauseDetails };
  });
  const predicates = parsed.map(({ comparison, rhs, clauseDetails }) => {
    checkComparator(comparison, clauseDetails);
    return compileComparison(comparison, rhs, clauseDetails);
  });
  if (predicates.length === 0) return () => true;
  return (run) => predicates.every((matches) => matches(run));
}
