/**
 * MLflow's rules for experiment calls (mlflow/utils/validation.py,
 * tracking/_tracking_service/client.py): tag values up to
 * MAX_EXPERIMENT_TAG_VAL_LENGTH code points, artifact locations that are not
 * `runs:` URIs, and the view types of a search.
 */
import { VIEW_TYPES, type ViewType } from './entities.js';
import { invalidParameter } from './errors.js';
import { MAX_ARTIFACT_LOCATION_LENGTH, MAX_EXPERIMENT_TAG_VAL_LENGTH } from './limits.js';
import { codePointLength, exceedsCodePoints } from './text.js';
import { describe, validateKey, validateWellFormed } from './validation.js';

/** MLflow's tag for a description, on runs and experiments alike (MLFLOW_RUN_NOTE / the UI's experiment description). */
export const NOTE_TAG = 'mlflow.note.content';

/** How an experiment is named in the experiment calls: a name (as startRun's experimentName), or its local id. */
export type ExperimentRef = string | { experimentId: string } | { experimentName: string };

/** `_validate_experiment_tag`. */
export function validateExperimentTag(key: unknown, value: unknown): asserts value is string {
  validateKey(key, 'tag');
  if (typeof value !== 'string') {
    throw invalidParameter(
      `Experiment tag value for key '${key}' must be a string, got ${describe(value)}. Convert it with String() first.`,
      { kind: 'experiment tag', key },
    );
  }
  validateWellFormed(value, `Experiment tag value for key '${key}'`, { kind: 'experiment tag', key });
  if (exceedsCodePoints(value, MAX_EXPERIMENT_TAG_VAL_LENGTH)) {
    const length = codePointLength(value);
    throw invalidParameter(
      `'value' exceeds the maximum length of ${MAX_EXPERIMENT_TAG_VAL_LENGTH} characters (got ${length}) for experiment tag '${key}'. Keep long text in an artifact of a run instead.`,
      { kind: 'experiment tag', key, length, limit: MAX_EXPERIMENT_TAG_VAL_LENGTH },
    );
  }
}

/** `_validate_experiment_artifact_location` and the server's checks of `artifact_location`. */
export function validateArtifactLocation(location: unknown): asserts location is string {
  if (typeof location !== 'string' || location === '') {
    throw invalidParameter(
      `Invalid artifact location ${describe(location)}: pass a URI string such as 's3://bucket/path', or omit it for the server's default.`,
      { field: 'artifactLocation' },
    );
  }
  validateWellFormed(location, 'Artifact location', { field: 'artifactLocation' });
  if (location.startsWith('runs:')) {
    throw invalidParameter(`Artifact location cannot be a runs:/ URI. Given: '${location}'`, {
      field: 'artifactLocation',
    });
  }
  if (location.length > MAX_ARTIFACT_LOCATION_LENGTH || /#/.test(location)) {
    throw invalidParameter(
      `Invalid artifact location '${location}': at most ${MAX_ARTIFACT_LOCATION_LENGTH} characters and no URL fragment ('#').`,
      { field: 'artifactLocation' },
    );
  }
}

export function validateViewType(viewType: unknown, field: 'runViewType' | 'viewType'): asserts viewType is ViewType {
  if (!(VIEW_TYPES as readonly unknown[]).includes(viewType)) {
    throw invalidParameter(
      `Invalid ${field} ${describe(viewType)}: use one of MLflow's view types ${VIEW_TYPES.map((v) => `'${v}'`).join(', ')}.`,
      { field },
    );
  }
}

export function validateExperimentRef(ref: unknown): asserts ref is ExperimentRef {
  if (typeof ref === 'string' && ref !== '') return;
  if (typeof ref === 'object' && ref !== null) {
    const r = ref as Record<string, unknown>;
    const keys = Object.keys(r);
    if (keys.length === 1 && typeof r.experimentId === 'string' && r.experimentId !== '') return;
    if (keys.length === 1 && typeof r.experimentName === 'string' && r.experimentName !== '') return;
  }
  throw invalidParameter(
    `Invalid experiment ${describe(ref)}: name it by its name ('my-experiment', or { experimentName }) or by its local id ({ experimentId: '1' }).`,
    { field: 'experiment' },
  );
}

/** Whether a record of this stage is in a search of this view type (`LifecycleStage.view_type_to_stages`). */
export function inView(stage: string, viewType: ViewType): boolean {
  return viewType === 'ALL' || (viewType === 'ACTIVE_ONLY') === (stage === 'active');
}
