/** Identifiers (`SearchUtils._get_identifier`): `<entity>.<key>`, checked against the vocabulary. */
import { invalidParameter } from '../errors.js';
import { isQuoted } from './tokenizer.js';
import { DATASET_KEYS, ENTITY_ALIASES, ENTITY_NAMES, type Entity, pySet } from './vocabulary.js';

/** `SearchUtils._trim_backticks`. */
const trimBackticks = (value: string): string => (isQuoted(value, '`') ? value.slice(1, -1) : value);

/** `SearchUtils._strip_quotes` without `expect_quoted_value`. */
const stripQuotes = (value: string): string =>
  isQuoted(value, "'") || isQuoted(value, '"') ? value.slice(1, -1) : value;

export interface Identifier {
  entity: Entity;
  key: string;
}

export function parseIdentifier(
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
    throw invalidParameter(`Invalid dataset key '${key}' specified. Valid keys are '${pySet(DATASET_KEYS)}'.`, {
      ...details,
      key,
    });
  }
  return { entity, key };
}
