/**
 * Recording a model logged in this browser: its directory's files first,
 * MLmodel last, then the logged-model record (a model without its record is
 * listed nowhere), then the registry version when one was asked for.
 * Arguments are checked by the caller (worker/service.ts).
 */
import type { LoggedModelInfo, LogModelOptions, ModelSpec } from '../protocol.js';
import type { ArtifactStore } from '../store/artifacts.js';
import { refuse } from '../store/batch.js';
import { addLoggedModel, createModelVersion } from '../store/models.js';
import type { Db } from '../store/schema.js';
import { modelDirectory, newModelId } from './log.js';
import { inWriteOrder } from './write-order.js';
import { getRun } from '../store/runs.js';

/** The run's context tags a logged model carries too (MLflow's default and git contexts): user, source name, type and git. */
const CONTEXT_TAG = /^mlflow\.(user|source\.(name|type|git\.\w+))$/;

export async function recordLoggedModel(
  db: Db,
  artifacts: ArtifactStore,
  runId: string,
  name: string,
  spec: ModelSpec,
  options: LogModelOptions,
): Promise<LoggedModelInfo> {
  const run = await db.get('runs', runId);
  const refusal = refuse(runId, run);
  if (refusal !== undefined) throw refusal;
  // MLflow 3 tags a logged model with its context as it tags runs; its UI shows them as "Logged from".
  const runTags = (await getRun(db, runId)).data.tags;
  const tags = Object.fromEntries(Object.entries(runTags).filter(([key]) => CONTEXT_TAG.test(key)));
  const modelId = newModelId();
  const now = new Date();
  const { files, info } = await modelDirectory(runId, modelId, name, spec, options, now);
  for (const [file, blob] of inWriteOrder(Object.entries(files), ([path]) => path))
    await artifacts.write(modelId, file, blob, Date.now());
  const record = {
    modelId,
    experimentId: run!.experimentId,
    runId,
    name,
    creationTime: now.getTime(),
    flavors: info.flavors,
    ...(Object.keys(tags).length > 0 ? { tags } : {}),
    ...(options.params !== undefined && Object.keys(options.params).length > 0
      ? { params: options.params as Record<string, string> }
      : {}),
  };
  await addLoggedModel(db, record);
  if (options.registeredModelName !== undefined) {
    info.registeredModelVersion = (
      await createModelVersion(db, options.registeredModelName, record, Date.now())
    ).version;
  }
  return info;
}
