/**
 * Sync as the page sees it: the remote server's options and the status the
 * worker reports. Plain data only; the worker's zod schema for
 * `RemoteOptions` (worker/requests.ts) is checked against this type.
 */

/** Credentials for the tracking server: a bearer token, or basic auth. */
export type RemoteAuth = { token: string } | { username: string; password: string };

export interface RemoteOptions {
  trackingUri: string;
  auth?: RemoteAuth;
  /** Upload in the background whenever something is pending. Default true. */
  autoSync?: boolean;
}

/** Items recorded locally that the server does not have yet. */
export interface SyncCounts {
  runs: number;
  /** Experiments whose tags or lifecycle (experiment calls) the server does not have yet. */
  experiments: number;
  params: number;
  tags: number;
  metrics: number;
  artifacts: number;
  /** Logged models not yet on the server (READY). */
  models: number;
  /** Registry versions and aliases not yet on the server. */
  registry: number;
  /** Bytes of the artifacts and model files. */
  bytes: number;
}

/** What the server refused: an item of a run, the run itself, a logged model, a registry version or alias. */
export type DeadLetterKind =
  | 'param'
  | 'tag'
  | 'metric'
  | 'artifact'
  | 'input'
  | 'run'
  | 'model'
  | 'model-version'
  | 'alias';

export interface DeadLetter {
  runId: string;
  kind: DeadLetterKind;
  key: string;
  /** The server's answer. */
  message: string;
  at: number;
}

export interface SyncStatus {
  /** A remote tracking server is set. */
  configured: boolean;
  trackingUri?: string;
  /** The browser reports a network connection. */
  online: boolean;
  /** This tab's worker is the one that uploads (one per origin and database). */
  leader: boolean;
  /** disabled: no remote; paused: the server refused the credentials; waiting: retrying after a failure; offline: the device is offline and uploads when back online. */
  state: 'disabled' | 'idle' | 'syncing' | 'waiting' | 'paused' | 'offline';
  pending: SyncCounts;
  /** Requests under way. */
  inFlight: number;
  lastSuccessTime?: number;
  lastError?: { code: string; message: string; at: number };
  /** The last thing sync did that the user should know of, e.g. a server that lost data and got everything again. */
  lastNotice?: { message: string; at: number };
  deadLetters: DeadLetter[];
}
