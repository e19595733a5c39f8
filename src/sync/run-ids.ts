/**
 * Local run ids as the server knows them. The server gives each run its own
 * id on create, so a tag whose whole value is the id of a run of this store
 * (the parent of a nested run, a `best_run_id`, any reference) is sent with
 * that run's server id, and a tag naming a run the server does not have yet
 * makes its run's data wait (never uploaded with a local id the server cannot
 * resolve). Locally the tag keeps the local id, which is what the local store
 * answers to. Params are never rewritten: they are write-once, compared as
 * logged by the server and by search, and would differ from the local copy.
 */
import { RestError } from '../remote/rest.js';
import { getRemote } from '../store/remote-state.js';
import type { Db } from '../store/schema.js';

const RUN_ID = /^[0-9a-f]{32}$/;
export const PARENT_RUN_TAG = 'mlflow.parentRunId';

/**
 * Server ids of local runs for one sync state: the ones a pass already
 * knows, else read from the state (a run that has nothing left to upload is
 * not in the pass's work, yet tags naming it must carry its server id).
 */
export class RemoteRunIds {
  private readonly known = new Map<string, string>();
  private readonly local = new Map<string, boolean>();

  constructor(
    private readonly db: Db,
    private readonly state: string,
  ) {}

  set(localId: string, remoteId: string): void {
    this.known.set(localId, remoteId);
  }

  async get(localId: string): Promise<string | undefined> {
    const known = this.known.get(localId);
    if (known !== undefined) return known;
    const remote = (await getRemote(this.db, this.state, 'run', localId))?.remoteRunId;
    if (remote !== undefined) this.known.set(localId, remote);
    return remote;
  }

  /** Whether `value` is, as a whole, the id of a run of this store. */
  async isLocalRun(value: string): Promise<boolean> {
    if (!RUN_ID.test(value)) return false;
    let found = this.local.get(value);
    if (found === undefined) {
      found = (await this.db.getKey('runs', value)) !== undefined;
      this.local.set(value, found);
    }
    return found;
  }

  /**
   * What a tag's value is on the server: the server id of the local run it
   * names, else the value unchanged; undefined while the run it names is not
   * on the server.
   */
  async tagValue(value: string): Promise<string | undefined> {
    return (await this.isLocalRun(value)) ? this.get(value) : value;
  }

  /** tagValue, or the refusal that makes the tagged run's data wait for the run the tag names. */
  async tagValueOrWait(key: string, value: string): Promise<string> {
    const mapped = await this.tagValue(value);
    if (mapped !== undefined) return mapped;
    const what = key === PARENT_RUN_TAG ? `Its parent run ${value}` : `Run ${value}, which its tag '${key}' names,`;
    throw new RestError(
      `${what} is not on the server yet; the run's data waits for it.`,
      'refused',
      0,
      'INVALID_STATE',
    );
  }
}
