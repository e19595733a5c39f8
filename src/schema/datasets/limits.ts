/** MLflow's limits on a logged dataset input (mlflow/utils/validation.py), checked before anything is stored. */
import { invalidParameter } from '../errors.js';
import { codePointLength } from '../text.js';

export const MAX_DATASET_NAME_SIZE = 500;
export const MAX_DATASET_DIGEST_SIZE = 36;
export const MAX_DATASET_SOURCE_SIZE = 65_535;
export const MAX_DATASET_SCHEMA_SIZE = 1_048_575;
export const MAX_DATASET_PROFILE_SIZE = 16_777_215;
export const MAX_INPUT_TAG_KEY_SIZE = 255;
export const MAX_INPUT_TAG_VALUE_SIZE = 500;
/** `MAX_DATASETS_PER_BATCH`: datasets per runs/log-inputs request. */
export const MAX_DATASETS_PER_BATCH = 1000;

/** Characters as Python counts them (code points). */
const length = codePointLength;

/** MLflow's "'{field}' exceeds the maximum length of N characters", with what to do. */
export function checkLength(field: string, value: string, max: number, hint: string): void {
  if (value.length > max && length(value) > max) {
    throw invalidParameter(`'${field}' exceeds the maximum length of ${max} characters. ${hint}`, {
      field,
      length: length(value),
      max,
    });
  }
}
