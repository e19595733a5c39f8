/**
 * The check before a logged model or a registry entry counts as synced, as
 * engine.ts's before a run does: the server's copy is read with MLflow's
 * own getters and compared with what was acknowledged. Nothing here writes
 * to the server or the store; models.ts acts on the answers.
 *
 * "Gone" is only MLflow's own RESOURCE_DOES_NOT_EXIST: a portal's page or a
 * proxy's 404 is a transport fault (remote/rest.ts), retried, never taken
 * as a loss. A deleted logged model is gone too (MLflow's get answers 404
 * for it, and no REST call restores one).
 */
import { RestError, type MlflowRest, type Shape } from '../remote/rest.js';

export type FileInfoJson = { path: string; is_dir?: boolean; file_size?: number | string };
type Request = <T>(fn: () => Promise<T>) => Promise<T>;

/** What the server's copy of a model lacks: `gone`, or the files missing or of another size and whether it is not READY. */
export type ModelCheck =
  | { gone: true }
  | { gone: false; notReady: boolean; files: string[]; data?: LoggedModelDataJson };

/** MLflow 3's LoggedModelData as GET logged-models/{id} answers it: every param, and every metric point linked to the model. */
export interface LoggedModelDataJson {
  params?: { key?: string; value?: string }[];
  metrics?: {
    key?: string;
    value?: number | string;
    timestamp?: number | string;
    step?: number | string;
    run_id?: string;
  }[];
}

const shape =
  (top: string, field: string): Shape =>
  (json) => {
    const v = json[top] as Record<string, unknown> | undefined;
    return typeof v === 'object' && v !== null && field in v ? undefined : `a JSON object with ${top}.${field}`;
  };

export const isGone = (error: unknown): boolean =>
  error instanceof RestError && error.kind === 'refused' && error.errorCode === 'RESOURCE_DOES_NOT_EXIST';

/** Every file under a root, by path relative to it, with its size; `list(dir)` lists one directory (undefined: the root). */
async function sizes(
  list: (dir: string | undefined) => Promise<{ files?: FileInfoJson[] }>,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const walk = async (dir: string | undefined): Promise<void> => {
    for (const f of (await list(dir)).files ?? []) {
      if (f.is_dir) await walk(f.path);
      else out.set(f.path, Number(f.file_size ?? -1));
    }
  };
  await walk(undefined);
  return out;
}

const differing = (expected: ReadonlyMap<string, number>, found: ReadonlyMap<string, number>) =>
  [...expected].filter(([path, size]) => found.get(path) !== size).map(([path]) => path);

/** An MLflow 3 logged model: GET logged-models/{id}, then its files as MLflow lists them (logged-models/{id}/artifacts/directories). */
export async function checkLoggedModel(
  rest: MlflowRest,
  request: Request,
  modelId: string,
  expected: ReadonlyMap<string, number>,
): Promise<ModelCheck> {
  let status: string | undefined;
  let data: LoggedModelDataJson | undefined;
  try {
    const { model } = await request(() =>
      rest.call<{ model: { info: { status?: string }; data?: LoggedModelDataJson } }>(
        'GET',
        `logged-models/${encodeURIComponent(modelId)}`,
        undefined,
        shape('model', 'info'),
      ),
    );
    status = model.info.status;
    data = model.data;
  } catch (error) {
    if (isGone(error)) return { gone: true };
    throw error;
  }
  const found = await sizes((dir) =>
    request(() =>
      rest.call<{ files?: FileInfoJson[] }>(
        'GET',
        `logged-models/${encodeURIComponent(modelId)}/artifacts/directories`,
        dir === undefined ? undefined : { artifact_directory_path: dir },
      ),
    ),
  );
  return {
    gone: false,
    notReady: status !== 'LOGGED_MODEL_READY',
    files: differing(expected, found),
    ...(data !== undefined ? { data } : {}),
  };
}

/** A model an MLflow 2 server keeps under its run's artifacts at `<name>/`: its files there (artifacts/list). A run the server lacks leaves it gone. */
export async function checkRunModel(
  rest: MlflowRest,
  request: Request,
  remoteRunId: string,
  name: string,
  expected: ReadonlyMap<string, number>,
): Promise<ModelCheck> {
  let found: Map<string, number>;
  try {
    found = await sizes((dir) =>
      request(() =>
        rest.call<{ files?: FileInfoJson[] }>('GET', 'artifacts/list', { run_id: remoteRunId, path: dir ?? name }),
      ),
    );
  } catch (error) {
    if (isGone(error)) return { gone: true };
    throw error;
  }
  const under = new Map(
    [...found].map(([path, size]) => [path.startsWith(`${name}/`) ? path.slice(name.length + 1) : path, size]),
  );
  const files = differing(expected, under);
  // Nothing of the model there at all: it went with its run's files (or the run); upload it whole.
  return files.length === expected.size && expected.size > 0 ? { gone: true } : { gone: false, notReady: false, files };
}

/** A registered model's aliases on the server (alias → version), or undefined when the server has no such registered model. */
export async function registeredAliases(
  rest: MlflowRest,
  request: Request,
  name: string,
): Promise<Map<string, string> | undefined> {
  try {
    const { registered_model } = await request(() =>
      rest.call<{ registered_model: { aliases?: { alias: string; version: string | number }[] } }>(
        'GET',
        'registered-models/get',
        { name },
        shape('registered_model', 'name'),
      ),
    );
    return new Map((registered_model.aliases ?? []).map((a) => [a.alias, String(a.version)]));
  } catch (error) {
    if (isGone(error)) return undefined;
    throw error;
  }
}

/**
 * Whether the server has this version and it is the one this client made:
 * it carries the client id tag (a server restored from a backup numbers
 * the next version it makes as one it lost, for whoever makes it).
 */
export async function versionHolds(
  rest: MlflowRest,
  request: Request,
  name: string,
  version: string,
  tag: { key: string; value: string },
): Promise<boolean> {
  try {
    const { model_version } = await request(() =>
      rest.call<{ model_version: { tags?: { key: string; value: string }[] } }>(
        'GET',
        'model-versions/get',
        { name, version },
        shape('model_version', 'version'),
      ),
    );
    return (model_version.tags ?? []).some((t) => t.key === tag.key && t.value === tag.value);
  } catch (error) {
    if (isGone(error)) return false;
    throw error;
  }
}
