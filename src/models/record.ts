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
