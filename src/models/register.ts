/**
 * Registering a model logged in this browser as a new version of a
 * registered model. Only models logged here can be registered here: a model
 * that exists only on the server is registered with MLflow there.
 */
import type { ModelVersion } from '../schema/registry.js';
import { doesNotExist } from '../schema/errors.js';
import { createModelVersion, findLoggedModel, loggedModelOfRun } from '../store/models.js';
import { localRunId } from '../store/runs.js';
import type { Db, LoggedModelRecord } from '../store/schema.js';
import { parseModelUri } from './model-uri.js';

export async function registerLoggedModel(db: Db, uri: string, name: string): Promise<ModelVersion> {
  const parsed = parseModelUri(uri);
  let model: LoggedModelRecord | undefined;
  if (parsed.kind === 'run')
    model = await loggedModelOfRun(db, (await localRunId(db, parsed.runId)) ?? parsed.runId, parsed.path);
  else if (parsed.kind === 'logged-model' && parsed.path === '') model = await findLoggedModel(db, parsed.modelId);
  if (model === undefined) {
    throw doesNotExist(
      `${uri} is not a model logged in this browser. Register models logged here by 'models:/<model_id>' or 'runs:/<run_id>/<name>' (what run.logModel returned); register models that exist only on the server with MLflow there.`,
      { field: 'uri' },
    );
  }
  return createModelVersion(db, name, model, Date.now());
}
