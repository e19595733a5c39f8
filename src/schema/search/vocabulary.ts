/** Vocabulary: SearchUtils class constants and RunInfo's searchable attributes, with the help texts of errors. */

export type Entity = 'metric' | 'parameter' | 'tag' | 'attribute' | 'dataset';

export const ENTITY_ALIASES: ReadonlyMap<string, Entity> = new Map<string, Entity>([
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
export const ENTITY_NAMES = ['metric', 'parameter', 'tag', 'attribute', 'dataset'];

/** RunInfo's `@searchable_attribute`s (lifecycle_stage is not one: it is the run view type). */
const RUN_INFO_SEARCHABLE = ['artifact_uri', 'end_time', 'run_id', 'run_name', 'start_time', 'status', 'user_id'];
export const NUMERIC_ATTRIBUTES: ReadonlySet<string> = new Set(['start_time', 'end_time', 'created', 'Created']);
export const SEARCH_ATTRIBUTE_KEYS: ReadonlySet<string> = new Set([
  ...RUN_INFO_SEARCHABLE,
  'created',
  'Created',
  'run name',
  'Run name',
  'Run Name',
]);
export const ORDER_BY_ATTRIBUTE_KEYS: ReadonlySet<string> = new Set([...RUN_INFO_SEARCHABLE, 'created', 'Created']);
export const DATASET_KEYS: ReadonlySet<string> = new Set(['name', 'digest', 'context']);

export const NUMERIC_COMPARATORS = ['=', '!=', '>', '>=', '<', '<='];
export const PARAM_TAG_COMPARATORS = ['=', '!=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'];
export const DATASET_COMPARATORS = ['!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];
/** The input tag MLflow's `datasets.context` compares (`MLFLOW_DATASET_CONTEXT`). */
export const DATASET_CONTEXT_TAG = 'mlflow.data.context';
export const STRING_ATTRIBUTE_COMPARATORS = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];

/** `SearchUtils.translate_key_alias`. */
export function translateKeyAlias(key: string): string {
  if (key === 'created' || key === 'Created') return 'start_time';
  if (key === 'run name' || key === 'Run name' || key === 'Run Name') return 'run_name';
  return key;
}

/** Python's `repr` of a set of strings, which is how MLflow prints the allowed values. */
export const pySet = (items: Iterable<string>): string => `{${[...items].map((s) => `'${s}'`).join(', ')}}`;

export const FILTER_HELP =
  "Write conditions like \"metrics.acc > 0.9 AND params.model = 'cnn' AND tags.`my key` LIKE 'a%'\".";
export const ORDER_BY_HELP =
  "Write '<entity>.<key> [ASC|DESC]', e.g. 'metrics.acc DESC', 'params.lr' or 'attributes.start_time ASC'; put keys with spaces or dashes in backticks (tags.`my key`).";
