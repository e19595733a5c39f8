/**
 * MLflow's limits (mlflow/utils/validation.py, 3.x); see shared/reference/mlflow.md §2.1.
 * Lengths are in characters as Python's len() counts them: code points, not UTF-16 units.
 */
export const MAX_ENTITY_KEY_LENGTH = 250;
export const MAX_PARAM_VAL_LENGTH = 6000;
export const MAX_TAG_VAL_LENGTH = 8000;
export const MAX_EXPERIMENT_NAME_LENGTH = 500;
export const MAX_RUN_NAME_LENGTH = 250;
/** MLflow 3's MAX_EXPERIMENT_TAG_VAL_LENGTH (mlflow/utils/validation.py). */
export const MAX_EXPERIMENT_TAG_VAL_LENGTH = 20000;
/** MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH's default. */
export const MAX_ARTIFACT_LOCATION_LENGTH = 2048;
/** Registered model names: the `registered_models.name` column, VARCHAR(256). */
export const MAX_REGISTERED_MODEL_NAME_LENGTH = 256;
/** Not MLflow's rule but the file systems' behind its artifact stores: a file or directory name, in UTF-8 bytes. */
export const MAX_ARTIFACT_SEGMENT_BYTES = 255;
export const MAX_METRICS_PER_BATCH = 1000;
export const MAX_PARAMS_TAGS_PER_BATCH = 100;
export const MAX_ENTITIES_PER_BATCH = 1000;
export const MAX_SEARCH_RESULTS = 50000;
export const DEFAULT_SEARCH_RESULTS = 1000;
export const DEFAULT_EXPERIMENT_NAME = 'Default';
export const DEFAULT_EXPERIMENT_ID = '0';
