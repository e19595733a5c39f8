/**
 * Runs sync in the worker: one uploader per origin and database (the holder
 * of a Web Lock), passes triggered by local writes, other tabs' writes, the
 * `online` event, a retry timer and `sync()`. Other tabs' workers only write;
 * they reach the uploader over a BroadcastChannel.
 */
import type { RemoteOptions, SyncStatus } from '../protocol.js';
import { toMlflowError } from '../remote/errors.js';
import { normalizeRemote } from '../remote/redact.js';
import { MlflowRest, RestError } from '../remote/rest.js';
import { MlflowEdgeError, reviveError, serializeError, type SerializedError } from '../schema/errors.js';
import type { ArtifactStore } from '../store/artifacts.js';
import { StoreLease } from '../store/lease.js';
import { currentState, useRemote } from '../store/remote-state.js';
import type { Db } from '../store/schema.js';
import { pendingModels } from '../store/model-sync-state.js';
import { pendingOfRuns } from '../store/pending.js';
import { changeSeq, clearDeadLetters, listDeadLetters, pendingExperiments } from '../store/sync-state.js';
import { DEFAULT_RETRY, SyncEngine, type RetryPolicy } from './engine.js';

type Message =
  | { type: 'changed' }
  | { type: 'sync-request'; id: string }
  | { type: 'sync-result'; id: string; error?: SerializedError }
  | {
      type: 'status';
      inFlight: number;
      state: SyncStatus['state'];
      lastSuccessTime?: number;
      lastError?: SyncStatus['lastError'];
      lastNotice?: SyncStatus['lastNotice'];
    };

const DEBOUNCE_MS = 200;
const NOTICE_MS = 50;
const MAX_WAIT_MS = 60_000;
const RESEND_MS = 2_000;

/** What sync's errors add for the caller (the command line says its own instead). */
export const SYNC_ADVICE = {
  auth: 'Sync is paused until you call tracker.setRemote() with working credentials; nothing was dropped.',
  retry: 'Everything stays queued and is retried.',
  soloRetry:
    'Everything stays queued in memory for the next tracker.sync(), and is lost when the tracker is closed or the isolate ends.',
} as const;

/**
 * Any failure of sync as the MlflowEdgeError the caller sees (remote/errors.ts translates REST failures).
 * `solo`: direct mode, where nothing retries in the background and memory is all there is.
 */
export function toSyncError(error: unknown, solo = false): MlflowEdgeError {
  return toMlflowError(error, 'Sync to the MLflow server', {
    auth: SYNC_ADVICE.auth,
    retry: solo ? SYNC_ADVICE.soloRetry : SYNC_ADVICE.retry,
  });
}

export class SyncController {
  private remote: RemoteOptions | undefined;
  private engine: SyncEngine | undefined;
  private leader = false;
  private releaseLock: (() => void) | undefined;
  private lockAbort: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private current: Promise<void> | undefined;
  private paused: Error | undefined;
  private failures = 0;
  private inFlight = 0;
  /** A pass is uploading (not merely looking for work). */
  private uploading = false;
  private lastSuccessTime: number | undefined;
  private lastError: SyncStatus['lastError'];
  private lastNotice: SyncStatus['lastNotice'];
  private problems: Error[] = [];
  private leaderView: Extract<Message, { type: 'status' }> | undefined;
  private readonly listeners = new Map<number, (s: SyncStatus) => void>();
  private nextListener = 1;
  private emitTimer: ReturnType<typeof setTimeout> | undefined;
  private noticeTimer: ReturnType<typeof setTimeout> | undefined;
  /** A change came while noticeTimer ran: noticed when it ends. */
  private noticeOwed = false;
  private readonly waiting = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private readonly serving = new Set<string>();
  private readonly channel: BroadcastChannel | undefined;
  private readonly onOnline = () => this.schedule(0);
  /** Where there are no Web Locks: the store's lease, held for each pass. */
  private lease: StoreLease | undefined;

  constructor(
    private readonly db: Db,
    private readonly dbName: string,
    private readonly artifacts: ArtifactStore,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    /**
     * Direct mode (an edge function): this is the only writer of its store, in
     * the caller's own isolate. No channel to other tabs, no lock, no
     * `online` listener, no background pass and no status timer without a
     * listener: only sync() uploads, and nothing is left running after it.
     */
    private readonly solo = false,
  ) {
    if (solo) return;
    if (typeof BroadcastChannel !== 'undefined') {
      this.channel = new BroadcastChannel(`mlflow-edge:${dbName}`);
      this.channel.onmessage = (event: MessageEvent<Message>) => void this.receive(event.data);
    }
    globalThis.addEventListener?.('online', this.onOnline);
  }

  async configure(options: RemoteOptions | null): Promise<void> {
    // Credentials in the URI move to auth before anything is stored; a malformed URI throws first.
    const remote = options === null ? null : normalizeRemote(options);
    this.remote = remote ?? undefined;
    this.paused = undefined;
    this.failures = 0;
    this.engine?.stop(); // a pass against the old server gives up; the new one is scheduled when it has
    this.engine = undefined;
    this.lastError = undefined;
    await useRemote(this.db, remote?.trackingUri);
    if (remote === null) {
      this.stepDown();
    } else {
      this.engine = this.makeEngine(remote);
      this.seekLeadership();
      this.schedule(0);
    }
    this.emitSoon();
  }

  private makeEngine(remote: RemoteOptions): SyncEngine {
    return new SyncEngine(
      this.db,
      new MlflowRest(remote),
      this.artifacts,
      {
        started: () => {
          this.uploading = true;
          this.emitSoon();
        },
        inFlight: (delta) => {
          this.inFlight += delta;
          this.emitSoon();
        },
        retrying: (error) => {
          this.noteError(toSyncError(error, this.solo));
          this.emitSoon();
        },
        problem: (error, runId) => {
          this.problems.push(error);
          this.noteError(error, runId);
        },
        notice: (message) => {
          this.lastNotice = { message, at: Date.now() };
          this.emitSoon();
        },
      },
      this.retry,
    );
  }

  /** A client of the configured server (for loading models), if one is set. */
  rest(): MlflowRest | undefined {
    return this.remote === undefined ? undefined : new MlflowRest(this.remote);
  }

  /**
   * Something was written locally: tell the uploader. While writes keep
   * coming (a training loop's flushes), at most once per NOTICE_MS: the pass
   * waits DEBOUNCE_MS anyway, and each notice costs a message to other tabs.
   */
  changed(): void {
    if (this.solo) {
      this.onChange();
      return;
    }
    if (this.noticeTimer !== undefined) {
      this.noticeOwed = true;
      return;
    }
    this.channel?.postMessage({ type: 'changed' } satisfies Message);
    this.onChange();
    this.noticeTimer = setTimeout(() => {
      this.noticeTimer = undefined;
      if (this.noticeOwed) {
        this.noticeOwed = false;
        this.changed();
      }
    }, NOTICE_MS);
  }

  private onChange(): void {
    if (this.remote?.autoSync !== false && !this.solo) this.schedule(DEBOUNCE_MS);
    else this.emitSoon(); // pending counts moved
  }

  /** Resolves when everything recorded before the call is on the server. */
  async sync(): Promise<void> {
    if (this.remote === undefined) {
      throw new MlflowEdgeError(
        'INVALID_STATE',
        'No MLflow server is set. Pass remote: { trackingUri } to openTracker() or call tracker.setRemote().',
      );
    }
    if (this.leader) return this.freshPass();
    // Ask the uploader. This tab may become it (its lock request may still be
    // pending, or the uploader's tab may close): then it serves the request
    // itself; until answered, the request is sent again now and then.
    const id = crypto.randomUUID();
    return new Promise<void>((resolve, reject) => {
      const ask = () => this.channel?.postMessage({ type: 'sync-request', id } satisfies Message);
      const again = setInterval(ask, RESEND_MS);
      const done = () => clearInterval(again);
      this.waiting.set(id, { resolve: () => (done(), resolve()), reject: (e) => (done(), reject(e)) });
      ask();
    });
  }

  /** Answers a sync request, once per id however often it was sent. */
  private async serve(id: string, answer: (error?: SerializedError) => void): Promise<void> {
    if (this.serving.has(id)) return;
    this.serving.add(id);
    try {
      await this.freshPass();
      answer();
    } catch (error) {
      answer(serializeError(error));
    } finally {
      setTimeout(() => this.serving.delete(id), 10 * RESEND_MS);
    }
  }

  /** Waits for a pass already under way, then runs one that starts after this call. */
  private async freshPass(): Promise<void> {
    this.paused = undefined;
    while (this.current !== undefined) await this.current.catch(() => undefined);
    this.problems = [];
    await this.runPass(true);
    const [problem] = this.problems;
    if (problem !== undefined) throw problem;
  }

  /** A background pass after `delay`; none with autoSync: false or in direct mode, where only sync() uploads (retries and all). */
  private schedule(delay: number): void {
    if (
      this.solo ||
      !this.leader ||
      this.engine === undefined ||
      this.paused !== undefined ||
      this.remote?.autoSync === false
    )
      return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runPass().catch(() => undefined);
    }, delay);
  }

  /** `ask`: a pass the caller asked for (sync()): it asks the server even when nothing is pending here (see SyncEngine.pass). */
  private runPass(ask = false): Promise<void> {
    if (this.current !== undefined) return this.current;
    const engine = this.engine;
    if (engine === undefined || !this.leader) return Promise.resolve();
    this.current = (async () => {
      const before = await changeSeq(this.db);
      const problemsBefore = this.problems.length;
      this.emitSoon();
      try {
        if (this.lease === undefined) await engine.pass(ask);
        else
          await this.lease.hold(
            () => engine.pass(ask),
            () => this.leaseLost(engine),
          );
        if (engine !== this.engine) {
          this.schedule(0); // setRemote() replaced the server meanwhile: this pass says nothing of the new one, which gets its own
          return;
        }
        this.failures = 0;
        this.paused = undefined;
        this.lastSuccessTime = Date.now();
        if (this.problems.length === problemsBefore) this.lastError = undefined; // a clean pass: old errors no longer hold
        // Written during the pass: uploaded by the next one (with autoSync: false, the caller's next sync()).
        if ((await changeSeq(this.db)) !== before) this.schedule(DEBOUNCE_MS);
      } catch (error) {
        const e = toSyncError(error, this.solo);
        if (engine !== this.engine) {
          this.schedule(0); // a pass against credentials or a server no longer set: the new one gets its own
          throw e;
        }
        this.noteError(e);
        if (error instanceof RestError && error.kind === 'auth') {
          this.paused = e;
        } else {
          this.failures++;
          this.schedule(Math.min(MAX_WAIT_MS, 1000 * 2 ** this.failures));
        }
        throw e;
      } finally {
        this.current = undefined;
        this.uploading = false;
        this.emitSoon();
      }
    })();
    return this.current;
  }

  /** Another process took the lease while this pass ran (it stalled past the lease): stop it; the next pass starts afresh. */
  private leaseLost(engine: SyncEngine): void {
    engine.stop();
    if (engine === this.engine && this.remote !== undefined) this.engine = this.makeEngine(this.remote);
  }

  private noteError(error: Error, runId?: string): void {
    this.lastError = {
      code: (error as MlflowEdgeError).code ?? 'INTERNAL_ERROR',
      message: runId ? `run ${runId}: ${error.message}` : error.message,
      at: Date.now(),
    };
    this.emitSoon();
  }

  private seekLeadership(): void {
    if (this.leader || this.lockAbort !== undefined) return;
    const locks = this.solo ? undefined : (globalThis.navigator as Navigator | undefined)?.locks;
    if (locks === undefined) {
      // No Web Locks (Node, Deno, Bun, edge functions): any process may upload, one pass at a time under the store's lease.
      this.leader = true;
      if (!this.solo) this.lease ??= new StoreLease(this.db); // direct mode: one tracker per store, no lease needed
      return;
    }
    this.lockAbort = new AbortController();
    locks
      .request(`mlflow-edge-sync:${this.dbName}`, { signal: this.lockAbort.signal }, () => {
        this.leader = true;
        this.schedule(0);
        this.emitSoon();
        // Requests this tab made while it waited for the lock.
        for (const id of [...this.waiting.keys()]) void this.serve(id, (error) => this.settle(id, error));
        return new Promise<void>((resolve) => (this.releaseLock = resolve));
      })
      .catch(() => undefined); // aborted: this tab stopped syncing before it led
  }

  private stepDown(): void {
    this.lockAbort?.abort();
    this.lockAbort = undefined;
    this.releaseLock?.();
    this.releaseLock = undefined;
    this.leader = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private async receive(message: Message): Promise<void> {
    switch (message.type) {
      case 'changed':
        this.onChange();
        break;
      case 'sync-request':
        if (!this.leader) return;
        await this.serve(message.id, (error) =>
          this.channel?.postMessage({
            type: 'sync-result',
            id: message.id,
            ...(error ? { error } : {}),
          } satisfies Message),
        );
        break;
      case 'sync-result':
        this.settle(message.id, message.error);
        break;
      case 'status':
        this.leaderView = message;
        this.emitSoon();
        break;
    }
  }

  private settle(id: string, error?: SerializedError): void {
    const waiter = this.waiting.get(id);
    if (waiter === undefined) return;
    this.waiting.delete(id);
    if (error === undefined) waiter.resolve();
    else waiter.reject(reviveError(error));
  }

  /** Forgets the configured server's dead letters once they were read: the status then lists none, and sync no longer reports them. */
  async clearDeadLetters(): Promise<number> {
    const state = await currentState(this.db);
    const cleared = state === undefined ? 0 : await clearDeadLetters(this.db, state);
    this.emitSoon();
    return cleared;
  }

  async status(): Promise<SyncStatus> {
    const state = (await currentState(this.db)) ?? '';
    // While this tab uploads, the pass's own count; otherwise a look at what changed and what is open.
    const live = this.uploading && this.engine?.state === state ? this.engine.progress?.snapshot() : undefined;
    const [pending, letters] = await Promise.all([
      live ??
        Promise.all([
          pendingOfRuns(this.db, state),
          pendingModels(this.db, state),
          pendingExperiments(this.db, state),
        ]).then(([runs, models, experiments]) => ({
          ...runs,
          ...models,
          experiments: experiments.length,
          bytes: runs.bytes + models.bytes,
        })),
      listDeadLetters(this.db, state),
    ]);
    const view = this.leader ? undefined : this.leaderView;
    const online = (globalThis.navigator as Navigator | undefined)?.onLine ?? true;
    const syncState: SyncStatus['state'] =
      this.remote === undefined
        ? 'disabled'
        : this.paused !== undefined
          ? 'paused'
          : !online
            ? 'offline'
            : (view?.state ?? (this.uploading ? 'syncing' : this.failures > 0 ? 'waiting' : 'idle'));
    const status: SyncStatus = {
      configured: this.remote !== undefined,
      online,
      leader: this.leader,
      state: syncState,
      pending,
      inFlight: view?.inFlight ?? this.inFlight,
      deadLetters: letters.map(({ runId, kind, key, message, at }) => ({ runId, kind, key, message, at })),
    };
    if (this.remote !== undefined) status.trackingUri = this.remote.trackingUri;
    const lastSuccessTime = view?.lastSuccessTime ?? this.lastSuccessTime;
    if (lastSuccessTime !== undefined) status.lastSuccessTime = lastSuccessTime;
    const lastError = view === undefined ? this.lastError : view.lastError;
    if (lastError !== undefined) status.lastError = lastError;
    const lastNotice = view === undefined ? this.lastNotice : view.lastNotice;
    if (lastNotice !== undefined) status.lastNotice = lastNotice;
    return status;
  }

  subscribe(listener: (s: SyncStatus) => void): number {
    const id = this.nextListener++;
    this.listeners.set(id, listener);
    this.emitSoon();
    return id;
  }

  unsubscribe(id: number): void {
    this.listeners.delete(id);
  }

  /** Status goes to listeners (and, from the uploader, to other tabs) at most every 250 ms. */
  private emitSoon(): void {
    if (this.emitTimer !== undefined) return;
    if (this.solo && this.listeners.size === 0) return; // no one to tell: no timer (direct mode ends cleanly)
    this.emitTimer = setTimeout(async () => {
      if (this.leader) {
        const message: Message = {
          type: 'status',
          inFlight: this.inFlight,
          state: this.uploading ? 'syncing' : this.paused ? 'paused' : this.failures > 0 ? 'waiting' : 'idle',
        };
        if (this.lastSuccessTime !== undefined) message.lastSuccessTime = this.lastSuccessTime;
        if (this.lastError !== undefined) message.lastError = this.lastError;
        if (this.lastNotice !== undefined) message.lastNotice = this.lastNotice;
        this.channel?.postMessage(message);
      }
      // The timer stays set until the status is out: one status at a time, however slow, never several overlapping.
      const status = this.listeners.size === 0 ? undefined : await this.status().catch(() => undefined);
      this.emitTimer = undefined;
      if (status === undefined) return;
      for (const listener of this.listeners.values()) {
        try {
          listener(status);
        } catch {
          // a listener's failure is the page's business
        }
      }
    }, 250);
  }

  close(): void {
    this.stepDown();
    if (this.emitTimer !== undefined) clearTimeout(this.emitTimer);
    if (this.noticeTimer !== undefined) clearTimeout(this.noticeTimer);
    globalThis.removeEventListener?.('online', this.onOnline);
    this.channel?.close();
    for (const { reject } of this.waiting.values())
      reject(new MlflowEdgeError('INVALID_STATE', 'The tracker was closed before sync finished.'));
    this.waiting.clear();
  }
}
