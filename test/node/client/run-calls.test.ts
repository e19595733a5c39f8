/**
 * Run calls beyond logging, as MLflow's: a description (`mlflow.note.content`,
 * `mlflow.start_run(description=…)`) and a new name (`update_run(name=…)`),
 * offline and synced to a scripted server.
 */
import { describe, expect, it } from 'vitest';
import { open, server } from '../sync/harness.js';
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
