/**
 * Experiment calls reach the server (tags, description, delete/restore):
 * each experiment changed since its server acknowledged it (its `seq`, see
 * store/experiments.ts) is brought to the local stage and tags, then read
 * back, and counts as synced only when the server's copy matches.
 *
 * Order within a pass (see engine.ts): `prepare` before runs, so an
 * experiment this store deleted and then restored is active again before its
 * runs upload, and tags set while active go out while the server's copy is
 * active; `finish` after runs and models, so a deleted experiment's runs
 * (and their own deletion) are uploaded before MLflow's delete_experiment
 * closes them to writes.
 *
 * Exactly once without idempotency keys: every write is set-to-a-value
 * (set-experiment-tag upserts; delete/restore of an experiment already in
 * that stage is MLflow's RESOURCE_DOES_NOT_EXIST, taken as done), and what
 * is sent is the difference from what the server holds, read first. An
 * experiment someone else deleted on the server is not restored: its changes
 * wait, as runs in it do.
 */
import { RestError, type MlflowRest, type Shape } from '../remote/rest.js';
import type { LifecycleStage } from '../schema/entities.js';
import { MlflowEdgeError } from '../schema/errors.js';
import type { Db, ExperimentRecord, ExperimentSyncRecord } from '../store/schema.js';
import {
  ackExperiment,
  forgetRemoteExperiment,
  pendingExperiments,
  recordExperimentLifecycle,
  recordRemoteExperiment,
} from '../store/sync-state.js';

export type ExperimentJson = {
  experiment_id: string;
  name?: string;
  lifecycle_stage?: string;
  tags?: { key: string; value: string }[];
};

const EXPERIMENT_SHAPE: Shape = (json) =>
  typeof (json.experiment as { experiment_id?: unknown } | undefined)?.experiment_id === 'string'
    ? undefined
    : 'a JSON object with experiment.experiment_id';

/** experiments/create's body: the name, and the tags and artifact location given to createExperiment. */
export function createExperimentBody(e: ExperimentRecord): Record<string, unknown> {
  const body: Record<string, unknown> = { name: e.name };
  const tags = Object.entries(e.tags).map(([key, value]) => ({ key, value }));
  if (tags.length > 0) body.tags = tags;
  if (e.artifactLocation !== undefined) body.artifact_location = e.artifactLocation;
  return body;
}

export interface ExperimentSyncDeps {
  request<T>(fn: () => Promise<T>): Promise<T>;
  /** The experiment's changes wait (deleted on the server by someone else, or refused): told, never dropped. */
  problem(error: MlflowEdgeError): void;
  notice(message: string): void;
  done(part: { experiments: number }): void;
}

interface Item {
  experiment: ExperimentRecord;
  sync: ExperimentSyncRecord | undefined;
  remote?: ExperimentJson;
}

const refused = (error: unknown, code?: string): error is RestError =>
  error instanceof RestError && error.kind === 'refused' && (code === undefined || error.errorCode === code);

/** Local tags the server's copy lacks or holds with another value. */
function differing(e: ExperimentRecord, remote: ExperimentJson): [string, string][] {
  const held = new Map((remote.tags ?? []).map((t) => [t.key, t.value]));
  return Object.entries(e.tags).filter(([key, value]) => held.get(key) !== value);
}

export class ExperimentSync {
  private items: Item[] = [];

  constructor(
    private readonly db: Db,
    private readonly state: string,
    private readonly rest: MlflowRest,
    private readonly deps: ExperimentSyncDeps,
  ) {}

  /** How many experiments this pass brings to the server. */
  get count(): number {
    return this.items.length;
  }

  async prepare(): Promise<void> {
    this.items = await pendingExperiments(this.db, this.state);
    const kept: Item[] = [];
    for (const item of this.items) {
      try {
        await this.prepareOne(item);
        kept.push(item);
      } catch (error) {
        if (!refused(error)) throw error;
        this.wait(item, error);
      }
    }
    this.items = kept;
  }

  /** `waiting`: local experiments with runs whose upload is not done: they are not deleted on the server yet. */
  async finish(waiting: ReadonlySet<string>): Promise<void> {
    for (const item of this.items) {
      try {
        if (item.experiment.lifecycleStage === 'deleted' && waiting.has(item.experiment.experimentId)) {
          this.deps.notice(
            `Experiment '${item.experiment.name}' is deleted on the server once its runs are uploaded (some still wait).`,
          );
          continue;
        }
        await this.finishOne(item);
      } catch (error) {
        if (!refused(error)) throw error;
        this.wait(item, error);
      }
    }
  }

  private wait(item: Item, error: RestError): void {
    this.deps.problem(
      new MlflowEdgeError(
        (error.errorCode as MlflowEdgeError['code'] | undefined) ?? 'BAD_REQUEST',
        `Experiment '${item.experiment.name}': ${error.message} Its changes wait and are kept here.`,
        { experimentId: item.experiment.experimentId, status: error.status },
      ),
    );
  }

  private async prepareOne(item: Item): Promise<void> {
    const e = item.experiment;
    const remote = await this.locate(item);
    if (remote.lifecycle_stage === 'deleted') {
      const tags = differing(e, remote);
      if (e.lifecycleStage === 'active' || tags.length > 0) {
        if (item.sync?.lifecycleSynced !== 'deleted') {
          throw new RestError(
            `It is deleted on the server (id ${remote.experiment_id}). Restore it there (mlflow experiments restore) to upload its tags and runs.`,
            'refused',
            400,
            'INVALID_STATE',
          );
        }
        // This store deleted it there: restore it (for good, or to set tags before deleting it again in finish()).
        await this.setStage(item, remote.experiment_id, 'active');
        remote.lifecycle_stage = 'active';
      }
    }
    if (remote.lifecycle_stage !== 'deleted') {
      for (const [key, value] of differing(e, remote)) {
        await this.deps.request(() =>
          this.rest.call('POST', 'experiments/set-experiment-tag', {
            experiment_id: remote.experiment_id,
            key,
            value,
          }),
        );
      }
    }
    item.remote = remote;
  }

  private async finishOne(item: Item): Promise<void> {
    const e = item.experiment;
    const remoteId = item.remote!.experiment_id;
    if (e.lifecycleStage === 'deleted' && item.remote!.lifecycle_stage !== 'deleted')
      await this.setStage(item, remoteId, 'deleted');
    // Verified like runs: read back, and acknowledged only when the server's copy holds what was sent.
    const now = await this.get(remoteId);
    if (now === undefined) {
      await forgetRemoteExperiment(this.db, this.state, e.experimentId);
      this.deps.notice(`Experiment '${e.name}' is missing on the server: it is found or created again next pass.`);
      return;
    }
    const stage = (now.lifecycle_stage ?? 'active') as LifecycleStage;
    const lacking = differing(e, now);
    if (stage !== e.lifecycleStage || lacking.length > 0) {
      this.deps.notice(
        `The server's copy of experiment '${e.name}' lacks ${[
          stage !== e.lifecycleStage && `its lifecycle stage (${e.lifecycleStage})`,
          lacking.length > 0 && `tags ${lacking.map(([k]) => k).join(', ')}`,
        ]
          .filter(Boolean)
          .join(' and ')}: it is sent again next pass.`,
      );
      return;
    }
    await ackExperiment(this.db, this.state, e.experimentId, remoteId, e.seq ?? 0, stage);
    this.deps.done({ experiments: 1 });
  }

  /** experiments/delete or /restore; one the server already did (a retried request whose answer was lost) is done. */
  private async setStage(item: Item, remoteId: string, stage: LifecycleStage): Promise<void> {
    try {
      await this.deps.request(() =>
        this.rest.call('POST', stage === 'deleted' ? 'experiments/delete' : 'experiments/restore', {
          experiment_id: remoteId,
        }),
      );
    } catch (error) {
      if (!refused(error, 'RESOURCE_DOES_NOT_EXIST') || (await this.get(remoteId)) === undefined) throw error;
    }
    await recordExperimentLifecycle(this.db, this.state, item.experiment.experimentId, stage);
  }

  private async get(remoteId: string): Promise<ExperimentJson | undefined> {
    try {
      return (
        await this.deps.request(() =>
          this.rest.call<{ experiment: ExperimentJson }>(
            'GET',
            'experiments/get',
            { experiment_id: remoteId },
            EXPERIMENT_SHAPE,
          ),
        )
      ).experiment;
    } catch (error) {
      if (refused(error, 'RESOURCE_DOES_NOT_EXIST')) return undefined;
      throw error;
    }
  }

  /** The server's copy: by the id it acknowledged, else by name (any stage), else created with its tags. */
  private async locate(item: Item): Promise<ExperimentJson> {
    const e = item.experiment;
    if (item.sync?.remoteId) {
      const found = await this.get(item.sync.remoteId);
      if (found !== undefined && found.name === e.name) return found;
      // Gone (a server restored from an older backup) or another experiment: start over by name.
      await forgetRemoteExperiment(this.db, this.state, e.experimentId);
      item.sync = undefined;
    }
    const byName = async (): Promise<ExperimentJson | undefined> => {
      try {
        return (
          await this.deps.request(() =>
            this.rest.call<{ experiment: ExperimentJson }>(
              'GET',
              'experiments/get-by-name',
              { experiment_name: e.name },
              EXPERIMENT_SHAPE,
            ),
          )
        ).experiment;
      } catch (error) {
        if (refused(error, 'RESOURCE_DOES_NOT_EXIST')) return undefined;
        throw error;
      }
    };
    let found = await byName();
    if (found === undefined) {
      try {
        const body = createExperimentBody(e);
        const created = await this.deps.request(() =>
          this.rest.call<{ experiment_id: string }>('POST', 'experiments/create', body, (json) =>
            typeof json.experiment_id === 'string' ? undefined : 'a JSON object with experiment_id',
          ),
        );
        found = {
          experiment_id: created.experiment_id,
          name: e.name,
          lifecycle_stage: 'active',
          tags: (body.tags as ExperimentJson['tags']) ?? [],
        };
      } catch (error) {
        if (!refused(error, 'RESOURCE_ALREADY_EXISTS')) throw error;
        found = await byName(); // created by the try whose answer was lost, or by another client meanwhile
      }
    }
    if (found === undefined)
      throw new RestError(`Experiment '${e.name}' could not be created on the server.`, 'retry', 0);
    await recordRemoteExperiment(this.db, this.state, e.experimentId, found.experiment_id);
    return found;
  }
}
