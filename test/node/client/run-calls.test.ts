/**
 * Run calls beyond logging, as MLflow's: a description (`mlflow.note.content`,
 * `mlflow.start_run(description=…)`), a new name (`update_run(name=…)`) and
 * deleted tags (`delete_tag`), offline and synced to a scripted server.
 */
import { describe, expect, it } from 'vitest';
import { nothingPending, open, server } from '../sync/harness.js';
import { openedPerTest } from '../in-process.js';
import { thrown } from '../typed-errors.js';

const tracker = openedPerTest();

describe('description and name', () => {
  it('startRun({ description }) and setDescription set mlflow.note.content', async () => {
    const { tracker: t } = await tracker();
    const run = await t.startRun({ description: '# Sweep\nlr **1e-5**' });
    expect((await t.getRun(run.runId)).data.tags['mlflow.note.content']).toBe('# Sweep\nlr **1e-5**');
    run.setDescription('second take');
    await run.flush();
    expect((await t.getRun(run.runId)).data.tags['mlflow.note.content']).toBe('second take');
  });

  it('setRunName renames the run: its name, its mlflow.runName tag, and the handle', async () => {
    const { tracker: t } = await tracker();
    const run = await t.startRun({ runName: 'first' });
    run.setRunName('renamed 🌱');
    expect(run.runName).toBe('renamed 🌱');
    await run.flush();
    const stored = await t.getRun(run.runId);
    expect(stored.info.runName).toBe('renamed 🌱');
    expect(stored.data.tags['mlflow.runName']).toBe('renamed 🌱');
    expect((await t.searchRuns({ filter: "attributes.run_name = 'renamed 🌱'" })).map((r) => r.info.runId)).toEqual([
      run.runId,
    ]);
  });

  it('refuses bad names and descriptions at the call, typed, and stores nothing of them', async () => {
    const { tracker: t } = await tracker();
    const run = await t.startRun({ runName: 'kept' });
    expect(thrown(() => run.setRunName('x'.repeat(251))).code).toBe('INVALID_PARAMETER_VALUE');
    expect(thrown(() => run.setRunName(7 as unknown as string)).code).toBe('INVALID_PARAMETER_VALUE');
    expect(thrown(() => run.setDescription({} as unknown as string)).code).toBe('INVALID_PARAMETER_VALUE');
    expect(thrown(() => run.setDescription('x'.repeat(8001))).code).toBe('INVALID_PARAMETER_VALUE');
    await expect(t.startRun({ description: 5 as unknown as string })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    });
    await run.flush();
    expect(run.runName).toBe('kept');
    const stored = await t.getRun(run.runId);
    expect(stored.info.runName).toBe('kept');
    expect(stored.data.tags['mlflow.note.content']).toBeUndefined();
  });

  it('both reach the server: the name by runs/update, the description as its tag', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'calls', runName: 'first', description: 'before' });
    await run.flush();
    await t.sync();
    run.setRunName('second');
    run.setDescription('after');
    await run.end();
    await t.sync();
    const remote = s.runsOf('calls')[0]!;
    expect(remote.info.run_name).toBe('second');
    expect(remote.tags.get('mlflow.runName')).toBe('second');
    expect(remote.tags.get('mlflow.note.content')).toBe('after');
    expect(remote.info.status).toBe('FINISHED');
  });
});

describe('deleteTag', () => {
  it('removes the tag from the run and from searches; the last call of a batch wins; the name cannot go', async () => {
    const { tracker: t } = await tracker();
    const run = await t.startRun({ runName: 'r', tags: { a: 'x', b: 'y' } });
    run.deleteTag('a');
    run.deleteTag('never-set');
    run.setTag('c', 1);
    run.deleteTag('c');
    run.deleteTag('b');
    run.setTag('b', 'again');
    await run.flush();
    const { data } = await t.getRun(run.runId);
    expect(data.tags.a).toBeUndefined();
    expect(data.tags.c).toBeUndefined();
    expect(data.tags['never-set']).toBeUndefined();
    expect(data.tags.b).toBe('again');
    expect(await t.searchRuns({ filter: "tags.a = 'x'" })).toEqual([]);
    expect((await t.searchRuns({ filter: "tags.b = 'again'" })).map((r) => r.info.runId)).toEqual([run.runId]);
    expect(thrown(() => run.deleteTag('mlflow.runName')).code).toBe('INVALID_PARAMETER_VALUE');
    expect(thrown(() => run.deleteTag('../bad')).code).toBe('INVALID_PARAMETER_VALUE');
    run.setTag('a', 'back');
    await run.end();
    expect((await t.getRun(run.runId)).data.tags).toMatchObject({ a: 'back', 'mlflow.runName': 'r' });
  });

  it('reaches the server by runs/delete-tag, in order with the tags around it; a tag the server never had is no error', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'calls', runName: 'r', tags: { a: 'x', b: 'y', gone: 'soon' } });
    run.deleteTag('gone'); // deleted before the server ever saw it
    await run.flush();
    await t.sync();
    expect([...s.runsOf('calls')[0]!.tags.keys()]).not.toContain('gone');
    run.deleteTag('a');
    run.setTag('z', 'after');
    run.deleteTag('never-set');
    await run.end();
    expect((await t.syncStatus()).pending.tags).toBe(3);
    await t.sync();
    const remote = s.runsOf('calls')[0]!;
    expect(remote.tags.has('a')).toBe(false);
    expect(remote.tags.get('b')).toBe('y');
    expect(remote.tags.get('z')).toBe('after');
    const status = await t.syncStatus();
    expect(status.deadLetters).toEqual([]);
    expect(status.pending).toEqual(nothingPending);
    const deletes = s.requests
      .filter((r) => r.endpoint === 'runs/delete-tag')
      .map((r) => (r.body as { key: string }).key);
    expect(deletes.sort()).toEqual(['a', 'gone', 'never-set']);
    // Verified against the server's copy: nothing is sent again.
    const before = s.requests.length;
    await t.sync();
    expect(s.requests.slice(before).filter((r) => r.method === 'POST' && r.endpoint !== 'runs/search')).toEqual([]);
  });

  it('a tag set again on the server after its deletion was acknowledged is found at verification and deleted again', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'calls', runName: 'r', tags: { a: 'x' } });
    await run.flush();
    await t.sync();
    run.deleteTag('a');
    await run.flush();
    await t.sync();
    expect(s.runsOf('calls')[0]!.tags.has('a')).toBe(false);
    s.runsOf('calls')[0]!.tags.set('a', 'x'); // a lost delete: the server still has it
    await run.end();
    await t.sync();
    await t.sync();
    expect(s.runsOf('calls')[0]!.tags.has('a')).toBe(false);
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
  });
});
