/**
 * Shapes of the cold-path requests that cross postMessage, checked with zod
 * at the worker boundary (the hot logBatch path has hand-written guards).
 * jitless: no `new Function`, so pages with a strict CSP work too.
 */
import * as z from 'zod/mini';
import { MlflowEdgeError } from '../schema/errors.js';
import type {
  CreateExperimentRequest,
  RemoteOptions,
  SearchExperimentsRequest,
  SearchRunsRequest,
  StartRunRequest,
} from '../protocol.js';
import { VIEW_TYPES } from '../schema/entities.js';

z.config({ jitless: true });

/** T as zod reads it: an optional key may also hold undefined. */
type Loose<T> = { [K in keyof T]: undefined extends T[K] ? T[K] | undefined : T[K] };
type Assignable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** The same keys, and values assignable both ways. */
type Same<A, B> = Assignable<keyof A, keyof B> extends true ? Assignable<A, B> : false;

/**
 * `schema` when it reads exactly the protocol's type `T` (no key more or
 * less, the same value types), else a compile error: the types live in
 * protocol/, and a schema that drifts from them must not build.
 */
const reads =
  <T>() =>
  <S extends z.ZodMiniType>(schema: S & (Same<z.output<S>, Loose<T>> extends true ? unknown : never)): S =>
    schema;

const textRecord = z.record(z.string(), z.string());

const startRun = reads<StartRunRequest>()(
  z.object({
    experimentName: z.optional(z.string()),
    runName: z.optional(z.string()),
    tags: z.optional(textRecord),
    parentRunId: z.optional(z.string()),
    runId: z.optional(z.string()),
    startTime: z.number().check(z.int(), z.nonnegative()),
    systemMetrics: z.optional(
      z.object({
        samplingInterval: z.optional(z.number()),
        samplesBeforeLogging: z.optional(z.number()),
        nodeId: z.optional(z.string()),
      }),
    ),
  }),
);

const searchRuns = reads<SearchRunsRequest>()(
  z.object({
    experimentNames: z.optional(z.array(z.string())),
    filter: z.optional(z.string()),
    orderBy: z.optional(z.array(z.string())),
    maxResults: z.optional(z.number()),
    runViewType: z.optional(z.enum(VIEW_TYPES)),
  }),
);

const createExperiment = reads<CreateExperimentRequest>()(
  z.object({
    name: z.string(),
    tags: z.optional(textRecord),
    artifactLocation: z.optional(z.string()),
    now: z.number().check(z.int(), z.nonnegative()),
  }),
);

const searchExperiments = reads<SearchExperimentsRequest>()(
  z.object({
    filter: z.optional(z.string()),
    orderBy: z.optional(z.array(z.string())),
    maxResults: z.optional(z.number()),
    viewType: z.optional(z.enum(VIEW_TYPES)),
  }),
);

const remote = reads<RemoteOptions>()(
  z.object({
    trackingUri: z.string().check(z.regex(/^https?:\/\//)),
    auth: z.optional(
      z.union([z.object({ token: z.string() }), z.object({ username: z.string(), password: z.string() })]),
    ),
    autoSync: z.optional(z.boolean()),
  }),
);

function parse<T>(schema: z.ZodMiniType, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data as T;
  const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw new MlflowEdgeError(
    'BAD_REQUEST',
    `Malformed ${what} request (${issues}). Call the tracker through its public API.`,
    { issues },
  );
}

export const parseStartRun = (value: unknown) => parse<StartRunRequest>(startRun, value, 'startRun');
export const parseSearchRuns = (value: unknown) => parse<SearchRunsRequest>(searchRuns, value, 'searchRuns');
export const parseCreateExperiment = (value: unknown) =>
  parse<CreateExperimentRequest>(createExperiment, value, 'createExperiment');
export const parseSearchExperiments = (value: unknown) =>
  parse<SearchExperimentsRequest>(searchExperiments, value, 'searchExperiments');
export const parseRemote = (value: unknown) =>
  parse<RemoteOptions>(
    remote,
    value,
    'remote (trackingUri must be an http(s) URL; auth is { token } or { username, password })',
  );
