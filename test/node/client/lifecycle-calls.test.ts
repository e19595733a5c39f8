/**
 * Run and experiment calls as MLflow's: deleteRun/restoreRun (lifecycle
 * stage, run_view_type), experiments created with tags, their tags and
 * description, delete/restore (cascading to runs), searchExperiments with
 * MLflow's filter syntax; offline, then synced once to a scripted server.
 */
import { describe, expect, it } from 'vitest';
import { openedPerTest } from '../in-process.js';
import { nothingPending, open, server } from '../sync/harness.js';
import { acknowledged } from '../scripted-mlflow.js';
import { rejection } from '../typed-errors.js';

const tracker = openedPerTest();

describe('deleteRun / restoreRun', () => {
  it('a deleted run leaves searchRuns unless runViewType asks for it; getRun still reads it', async () => {
    const { tracker: t } = await tracker();
    const kept = await t.startRun({ experimentName: 'e', runName: 'kept' });
    const gone = await t.startRun({ experimentName: 'e', runName: 'gone' });
    gone.logMetric('loss', 1);
    await t.deleteRun(gone.runId);
    const ids = async (runViewType?: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL') =>
      (await t.searchRuns(runViewType === undefined ? {} : { runViewType })).map((r) => r.info.runName).sort();
    expect(await ids()).toEqual(['kept']);
    expect(await ids('ACTIVE_ONLY')).toEqual(['kept']);
    expect(await ids('DELETED_ONLY')).toEqual(['gone']);
    expect(await ids('ALL')).toEqual(['gone', 'kept']);
    const read = await t.getRun(gone.runId);
    expect(read.info.lifecycleStage).toBe('deleted');
    expect(read.data.metrics.loss).toBe(1); // logged before the deletion: stored first
    await t.restoreRun(gone.runId);
    expect(await ids()).toEqual(['gone', 'kept']);
    expect((await t.getRun(kept.runId)).info.lifecycleStage).toBe('active');
  });

  it('refuses writes to a deleted run as MLflow does (INVALID_PARAMETER_VALUE); deleting twice and restoring an active run are no-ops', async () => {
    const { tracker: t } = await tracker();
    const run = await t.startRun({ runName: 'r' });
    await t.deleteRun(run.runId);
    await t.deleteRun(run.runId); // MLflow's delete_run: no check of the stage
    const errors: Error[] = [];
    t.onError((e) => errors.push(e));
    run.logParam('a', 1);
    const flushed = await rejection(run.flush());
    expect(flushed.code).toBe('INVALID_PARAMETER_VALUE');
    expect(flushed.message).toMatch(
      new RegExp(`The run ${run.runId} must be in the 'active' state. Current state is deleted.`),
    );
    const ended = await rejection(run.end());
    expect(ended.code).toBe('INVALID_PARAMETER_VALUE');
    expect((await rejection(t.startRun({ runId: run.runId }))).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await t.getRun(run.runId)).data.params).toEqual({});
    await t.restoreRun(run.runId);
    await t.restoreRun(run.runId);
    const resumed = await t.startRun({ runId: run.runId }); // the refused end() closed the old handle
    resumed.logParam('a', 2);
    await resumed.end();
    expect((await t.getRun(run.runId)).data.params).toEqual({ a: '2' });
  });

  it('unknown or malformed run ids are typed errors', async () => {
    const { tracker: t } = await tracker();
    const missing = await rejection(t.deleteRun('0'.repeat(32)));
    expect(missing.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(missing.message).toMatch(/Run with id=0{32} not found/);
    expect((await rejection(t.restoreRun('0'.repeat(32)))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await rejection(t.deleteRun('nope'))).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await rejection(t.searchRuns({ runViewType: 'DELETED' as never }))).code).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe('experiments', () => {
  it('createExperiment with tags and an artifact location; tags, description, getExperiment by name or id', async () => {
    const { tracker: t } = await tracker();
    const id = await t.createExperiment('sweep', { tags: { team: 'vision', lr: 1e-5 }, artifactLocation: 's3://b/p' });
    await t.setExperimentTag('sweep', 'stage', 'dev');
    await t.setExperimentDescription({ experimentId: id }, '# Sweep\nnotes');
    const e = await t.getExperiment({ experimentName: 'sweep' });
    expect(e).toMatchObject({
      experimentId: id,
      name: 'sweep',
      lifecycleStage: 'active',
      artifactLocation: 's3://b/p',
      tags: { team: 'vision', lr: '1e-05', stage: 'dev', 'mlflow.note.content': '# Sweep\nnotes' },
    });
    const run = await t.startRun({ experimentName: 'sweep' });
    expect(run.experimentId).toBe(id);
    expect((await t.listExperiments()).find((x) => x.name === 'sweep')).toEqual(e);
  });

  it('names are unique across stages; a deleted experiment takes no runs or tags and leaves searches', async () => {
    const { tracker: t } = await tracker();
    await t.createExperiment('a');
    const exists = await rejection(t.createExperiment('a'));
    expect(exists.code).toBe('RESOURCE_ALREADY_EXISTS');
    expect(exists.message).toMatch(/Experiment\(name=a\) already exists/);
    const run = await t.startRun({ experimentName: 'a', runName: 'in-a' });
    await run.end();
    await t.deleteExperiment('a');
    expect((await t.getExperiment('a')).lifecycleStage).toBe('deleted');
    expect((await t.getRun(run.runId)).info.lifecycleStage).toBe('deleted'); // the runs follow, as MLflow's
    expect(await t.searchRuns({ experimentName: 'a' })).toEqual([]);
    expect((await t.searchRuns({ experimentName: 'a', runViewType: 'ALL' })).length).toBe(1);
    expect((await rejection(t.createExperiment('a'))).code).toBe('RESOURCE_ALREADY_EXISTS');
    const start = await rejection(t.startRun({ experimentName: 'a' }));
    expect(start.code).toBe('INVALID_PARAMETER_VALUE');
    expect(start.message).toMatch(/must be in the 'active' state. Current state is deleted/);
    expect((await rejection(t.setExperimentTag('a', 'k', 'v'))).code).toBe('INVALID_PARAMETER_VALUE');
    const twice = await rejection(t.deleteExperiment('a'));
    expect(twice.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(twice.message).toMatch(/No Experiment with id=\d+ exists/);
    expect((await t.searchExperiments()).map((e) => e.name)).not.toContain('a');
    expect((await t.searchExperiments({ viewType: 'DELETED_ONLY' })).map((e) => e.name)).toEqual(['a']);
    await t.restoreExperiment('a');
    expect((await rejection(t.restoreExperiment('a'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await t.getRun(run.runId)).info.lifecycleStage).toBe('active');
    expect((await t.searchRuns({ experimentName: 'a' })).length).toBe(1);
  });

  it('unknown experiments and bad input are typed errors that change nothing', async () => {
    const { tracker: t } = await tracker();
    await t.createExperiment('x', { tags: { k: 'v' } });
    expect((await rejection(t.getExperiment('nope'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await rejection(t.getExperiment({ experimentId: '999' }))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await rejection(t.deleteExperiment('nope'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await rejection(t.setExperimentTag('nope', 'k', 'v'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await rejection(t.setExperimentTag('x', 'bad/../key', 'v'))).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await rejection(t.setExperimentTag('x', 'k', 'v'.repeat(20001)))).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await rejection(t.createExperiment(''))).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await rejection(t.createExperiment('y', { artifactLocation: 'runs:/abc' }))).message).toMatch(
      /Artifact location cannot be a runs:\/ URI/,
    );
    expect((await rejection(t.getExperiment({} as never))).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await rejection(t.setExperimentDescription('x', 5 as never))).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await t.getExperiment('x')).tags).toEqual({ k: 'v' });
    expect((await t.listExperiments()).map((e) => e.name)).toEqual(['x']);
  });
});

describe('searchExperiments', () => {
  async function three() {
    const { tracker: t } = await tracker();
    await t.createExperiment('sweep-a', { tags: { team: 'vision' } });
    await new Promise((r) => setTimeout(r, 2));
    await t.createExperiment('Sweep-B', { tags: { team: 'nlp', 'my key': 'x' } });
    await new Promise((r) => setTimeout(r, 2));
    await t.createExperiment('other');
    return t;
  }
  const names = (es: { name: string }[]) => es.map((e) => e.name);

  it("MLflow's filter syntax: name and tags with = != LIKE ILIKE, IS [NOT] NULL, times, ids; order and limits", async () => {
    const t = await three();
    expect(names(await t.searchExperiments())).toEqual(['other', 'Sweep-B', 'sweep-a']); // creation_time DESC
    expect(names(await t.searchExperiments({ filter: "name LIKE 'sweep-%'" }))).toEqual(['sweep-a']);
    expect(names(await t.searchExperiments({ filter: "name ILIKE 'sweep-%'", orderBy: ['name'] }))).toEqual([
      'Sweep-B',
      'sweep-a',
    ]);
    expect(names(await t.searchExperiments({ filter: "attribute.name != 'other'", orderBy: ['name DESC'] }))).toEqual([
      'sweep-a',
      'Sweep-B',
    ]);
    expect(names(await t.searchExperiments({ filter: "tags.team = 'nlp'" }))).toEqual(['Sweep-B']);
    expect(names(await t.searchExperiments({ filter: "tags.`my key` = 'x'" }))).toEqual(['Sweep-B']);
    expect(names(await t.searchExperiments({ filter: 'tags.team IS NULL' }))).toEqual(['other']);
    expect(names(await t.searchExperiments({ filter: "tag.team IS NOT NULL AND tags.team LIKE '%o%'" }))).toEqual([
      'sweep-a',
    ]);
    const [b] = await t.searchExperiments({ filter: "name = 'Sweep-B'" });
    expect(
      names(await t.searchExperiments({ filter: `creation_time >= ${b!.creationTime}`, orderBy: ['name'] })),
    ).toEqual(['Sweep-B', 'other']);
    expect(names(await t.searchExperiments({ filter: `experiment_id = '${b!.experimentId}'` }))).toEqual(['Sweep-B']);
    expect(names(await t.searchExperiments({ filter: `experiment_id IN ('${b!.experimentId}', '999')` }))).toEqual([
      'Sweep-B',
    ]);
    expect(names(await t.searchExperiments({ orderBy: ['creation_time ASC'], maxResults: 2 }))).toEqual([
      'sweep-a',
      'Sweep-B',
    ]);
  });

  it('syntax errors are INVALID_PARAMETER_VALUE in MLflow words', async () => {
    const t = await three();
    const bad = async (filter: string) => rejection(t.searchExperiments({ filter }));
    expect((await bad("runs.name = 'x'")).message).toMatch(/^Invalid entity type 'runs'. Valid entity types are/);
    expect((await bad("status = 'x'")).message).toMatch(/^Invalid attribute key 'status' specified/);
    expect((await bad("name > 'x'")).message).toMatch(/^Invalid comparator for string attribute: >/);
    expect((await bad("creation_time LIKE '1'")).message).toMatch(/Expected numeric value type for numeric attribute/);
    expect((await bad('creation_time ~ 1')).message).toMatch(/^Invalid comparator for numeric attribute/);
    expect((await bad('name IS NULL')).message).toMatch(/IS NULL \/ IS NOT NULL is only supported for tags/);
    expect((await bad("name = 'a' OR name = 'b'")).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await bad("name = 'a")).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await bad('tags.team = nlp')).message).toMatch(/not quoted/);
    for (const filter of ["runs.name = 'x'", "name = 'a"])
      expect((await bad(filter)).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await rejection(t.searchExperiments({ orderBy: ['tags.team'] }))).message).toMatch(
      /Invalid order_by entity: tag/,
    );
    expect((await rejection(t.searchExperiments({ orderBy: ['name UP'] }))).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await rejection(t.searchExperiments({ maxResults: 0 }))).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await rejection(t.searchExperiments({ viewType: 'SOME' as never }))).code).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe('sync of run and experiment calls', () => {
  it('a tag set then the run deleted: the server gets the tag, then the deletion; restored likewise; verified, sent once', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'life', runName: 'r' });
    run.setTag('before', 'delete');
    await run.end();
    await t.deleteRun(run.runId);
    await t.sync();
    const remote = s.runsOf('life', 'deleted')[0]!;
    expect(remote.tags.get('before')).toBe('delete');
    expect(remote.info.status).toBe('FINISHED');
    const order = s.requests
      .filter((r) => r.method === 'POST' && ['runs/log-batch', 'runs/update', 'runs/delete'].includes(r.endpoint))
      .map((r) => r.endpoint);
    expect(order.at(-1)).toBe('runs/delete');
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    const before = s.requests.length;
    await t.sync();
    expect(s.requests.slice(before).filter((r) => r.endpoint === 'runs/delete')).toEqual([]);
    await t.restoreRun(run.runId);
    expect((await t.syncStatus()).pending.runs).toBe(1);
    await t.sync();
    expect(s.runsOf('life')[0]!.info.lifecycle_stage).toBe('active');
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
  });

  it('a run created and deleted offline is created, filled and deleted on the server (never lost)', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'offline', runName: 'r' });
    run.logMetric('m', 1);
    run.logParam('p', 'v');
    await run.end();
    await t.deleteRun(run.runId);
    await t.sync();
    expect(s.runsOf('offline')).toEqual([]);
    const [remote] = s.runsOf('offline', 'deleted');
    expect(remote!.params.get('p')).toBe('v');
    expect(remote!.metrics.length).toBe(1);
  });

  it('a run restored on the server by someone else after this store deleted it is deleted again at verification', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'again', runName: 'r' });
    await run.end();
    await t.deleteRun(run.runId);
    await t.sync();
    s.runsOf('again', 'deleted')[0]!.info.lifecycle_stage = 'active';
    await t.restoreRun(run.runId); // a change: the run is looked at again…
    await t.deleteRun(run.runId); // …and deleted again before any pass
    await t.sync();
    await t.sync();
    expect(s.runsOf('again')).toEqual([]);
    expect(s.runsOf('again', 'deleted').length).toBe(1);
  });

  it('experiment tags, description, artifact location and lifecycle reach the server in order with its runs', async () => {
    const s = server();
    const { t } = await open(s.url);
    await t.createExperiment('exp', { tags: { team: 'vision' }, artifactLocation: 'mlflow-artifacts:/custom' });
    expect((await t.syncStatus()).pending.experiments).toBe(1);
    await t.sync();
    const created = s.requests.find((r) => r.endpoint === 'experiments/create')!.body as Record<string, unknown>;
    expect(created).toEqual({
      name: 'exp',
      tags: [{ key: 'team', value: 'vision' }],
      artifact_location: 'mlflow-artifacts:/custom',
    });
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    await t.setExperimentDescription('exp', 'about');
    await t.setExperimentTag('exp', 'team', 'nlp');
    const run = await t.startRun({ experimentName: 'exp', runName: 'r' });
    run.setTag('last', 'before delete');
    await run.end();
    await t.deleteExperiment('exp');
    await t.sync();
    const e = s.experimentByName('exp')!;
    expect(e.lifecycle_stage).toBe('deleted');
    expect(new Map(e.tags!.map((x) => [x.key, x.value]))).toEqual(
      new Map([
        ['team', 'nlp'],
        ['mlflow.note.content', 'about'],
      ]),
    );
    const remoteRun = s.runsOf('exp', 'deleted')[0]!;
    expect(remoteRun.tags.get('last')).toBe('before delete');
    const posts = s.requests.filter((r) => r.method === 'POST').map((r) => r.endpoint);
    expect(posts.indexOf('experiments/set-experiment-tag')).toBeLessThan(posts.indexOf('runs/create'));
    expect(posts.lastIndexOf('runs/log-batch')).toBeLessThan(posts.indexOf('experiments/delete'));
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    // Restored here: restored there (with its runs), then a tag set on it.
    await t.restoreExperiment('exp');
    await t.setExperimentTag('exp', 'back', 'yes');
    await t.sync();
    expect(s.experimentByName('exp')!.lifecycle_stage).toBe('active');
    expect(s.experimentByName('exp')!.tags!.find((x) => x.key === 'back')?.value).toBe('yes');
    expect(s.runsOf('exp').length).toBe(1);
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    const before = s.requests.length;
    await t.sync();
    expect(
      s.requests.slice(before).filter((r) => r.method === 'POST' && r.endpoint.startsWith('experiments/')),
    ).toEqual([]);
  });

  it('an experiment someone else deleted on the server is not restored: its changes wait, kept, and go once restored there', async () => {
    const s = server();
    const { t } = await open(s.url);
    await t.createExperiment('theirs');
    await t.sync();
    s.deleteExperiment('theirs');
    await t.setExperimentTag('theirs', 'k', 'v');
    await expect(t.sync()).rejects.toMatchObject({ message: /deleted on the server/ });
    expect((await t.syncStatus()).pending.experiments).toBe(1);
    expect(s.experimentByName('theirs')!.lifecycle_stage).toBe('deleted');
    s.restoreExperiment('theirs');
    await t.sync();
    expect(s.experimentByName('theirs')!.tags).toEqual([{ key: 'k', value: 'v' }]);
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
  });

  it('a deleted experiment is deleted on the server only once its runs are there (never closed on runs that wait)', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'closing', runName: 'r' });
    run.logParam('p', 'v');
    await run.end();
    await t.deleteExperiment('closing');
    s.refuseRunsIn = 'closing'; // the server refuses the run's create for now
    await expect(t.sync()).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(s.experimentByName('closing')!.lifecycle_stage).toBe('active');
    expect((await t.syncStatus()).pending.experiments).toBe(1);
    s.refuseRunsIn = undefined;
    await t.sync();
    expect(s.experimentByName('closing')!.lifecycle_stage).toBe('deleted');
    expect(s.runsOf('closing', 'deleted')[0]!.params.get('p')).toBe('v');
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
  });

  it('a tag the server lost is found when read back and sent again', async () => {
    const s = server();
    const { t } = await open(s.url);
    await t.createExperiment('lossy');
    await t.sync();
    await t.setExperimentTag('lossy', 'k', 'v');
    // A proxy answers as MLflow would without forwarding: a well-formed ack for a write the server never saw.
    s.lie({
      match: (r) => r.endpoint === 'experiments/set-experiment-tag',
      when: 'instead',
      answer: acknowledged,
      times: 1,
    });
    await t.sync();
    expect((await t.syncStatus()).pending.experiments).toBe(1);
    await t.sync();
    expect(s.experimentByName('lossy')!.tags).toEqual([{ key: 'k', value: 'v' }]);
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
  });
});
