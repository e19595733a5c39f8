/**
 * Logged models and the registry are verified after upload, as runs are,
 * against the scripted server (scripted-mlflow.ts): what a server restored
 * from an older backup, or a proxy that made up an answer, left missing is
 * found and made again, once; a verified entity costs no request later.
 * Every case ends with the server compared with the local store.
 */
import { describe, expect, it } from 'vitest';
import type { Tracker } from '../../../src/client/tracker.js';
import { openDatabase } from '../../../src/store/open.js';
import { bumpEpoch, readServers } from '../../../src/store/remote-state.js';
import { html, type ScriptedMlflow, type FakeVersion } from '../scripted-mlflow.js';
import { nothingPending, open, server } from './harness.js';
import { storeLocation } from '../store-location.js';

const CODE = "import { setModel } from 'mlflow-edge/model';\nsetModel({ predict: (c, rows) => rows.map(() => 1) });";

const creates = (s: ScriptedMlflow, endpoint: string) =>
  s.requests.filter((r) => r.method === 'POST' && r.endpoint === endpoint).length;
const modelRequests = (s: ScriptedMlflow) =>
  s.requests.filter((r) => /^(logged-models|registered-models|model-versions)/.test(r.endpoint));

/**
 * The server holds each local logged model once, READY, with every local
 * file (MLmodel naming the server's ids), and each local version once
 * (by its client id tag) with the local aliases on the server's numbers.
 */
async function expectModelsEqual(t: Tracker, s: ScriptedMlflow, registered: string[] = []) {
  for (const m of await t.listLoggedModels()) {
    const onServer = s.modelsTagged(m.modelId);
    expect(onServer, m.modelId).toHaveLength(1);
    const remote = onServer[0]!.info;
    expect(remote.status).toBe('LOGGED_MODEL_READY');
    expect(m.remoteModelId).toBe(remote.model_id);
    const files = s.filesUnder(remote.artifact_uri);
    const local = await t.listLoggedModelArtifacts(m.modelId);
    expect([...files.keys()].sort()).toEqual(local.map((f) => f.path).sort());
    expect(new TextDecoder().decode(files.get('MLmodel'))).toContain(`model_id: ${remote.model_id}\n`);
  }
  for (const name of registered) {
    const versions = await t.searchModelVersions(name);
    const remote = s.versionsOf(name);
    expect(
      remote.map((v) => v.tags.find((x) => x.key === 'mlflow-edge.clientVersionId')?.value).filter(Boolean),
    ).toHaveLength(versions.length);
    for (const v of versions) {
      const mine = remote.filter((r) => r.version === v.remoteVersion);
      expect(mine, `${name} ${v.version}`).toHaveLength(1);
      expect(mine[0]!.source).toBe(
        `models:/${(await t.listLoggedModels()).find((m) => m.modelId === v.modelId)!.remoteModelId}`,
      );
    }
    const aliases = (await t.getRegisteredModel(name)).aliases;
    expect(Object.fromEntries(s.db.registered.get(name)!.aliases)).toEqual(
      Object.fromEntries(aliases.map((a) => [a.alias, versions.find((v) => v.version === a.version)!.remoteVersion])),
    );
  }
}

describe('logged models are verified after upload', () => {
  it('a logged model lost in a restore from an older backup (its run kept) is created again with its files, once', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'models' });
    run.logMetric('m', 1);
    await run.flush();
    const kept = await run.logModel('kept', { code: CODE }, { inputExample: [{ r: 1 }] });
    await t.sync();
    const backup = s.backup();
    const lost = await run.logModel('lost', { code: CODE }, { inputExample: [{ r: 2 }] });
    await run.end();
    await t.sync();
    expect(s.modelsTagged(lost.modelId)).toHaveLength(1);
    s.restoreBackup(backup); // the run is there (ended or not); 'lost' is not
    await t.sync();
    expect((await t.syncStatus()).lastNotice?.message).toMatch(/no longer has/);
    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    expect(s.modelsTagged(kept.modelId)).toHaveLength(1);
    await expectModelsEqual(t, s);
    // Searched by its client id before it was made again: no twin, nothing deleted.
    expect(s.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
  });

  it('a proxy that made up the answers to PATCH READY and to a file upload: the check finds both, and the model is finished, not made twice', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'models' });
    const info = await run.logModel('m', { code: CODE }, { inputExample: [{ r: 1 }] });
    await run.end();
    s.lie({
      match: (r) => r.method === 'PATCH' && r.endpoint.startsWith('logged-models/'),
      when: 'instead',
      answer: (r) =>
        new Response(JSON.stringify({ model: { info: { model_id: r.endpoint.split('/')[1] } } }), {
          status: 200,
          headers: { 'Content-Type': 'application/json' },
        }),
      times: 1,
    });
    s.lie({
      match: (r) => r.method === 'PUT' && r.path.endsWith('/model.js'),
      when: 'instead',
      answer: () => new Response(null, { status: 200 }),
      times: 1,
    });
    await t.sync();
    const status = await t.syncStatus();
    expect(status.lastNotice?.message).toMatch(/lacks its READY status, files model\.js/);
    expect(status.pending.models).toBe(1);
    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    expect(creates(s, 'logged-models')).toBe(1);
    expect(s.modelsTagged(info.modelId)).toHaveLength(1);
    await expectModelsEqual(t, s);
  });

  it('a proxy that made up the answer to the create: the model is made for real on the next pass, once', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'models' });
    const info = await run.logModel('m', { code: CODE }, { inputExample: [{ r: 1 }] });
    await run.end();
    const fake = `m-${'f'.repeat(32)}`;
    const model = {
      info: {
        model_id: fake,
        experiment_id: '1',
        name: 'm',
        artifact_uri: `mlflow-artifacts:/1/models/${fake}/artifacts`,
        status: 'LOGGED_MODEL_PENDING',
        creation_timestamp_ms: 1,
      },
    };
    s.lie({
      match: (r) => r.method === 'POST' && r.endpoint === 'logged-models',
      when: 'instead',
      answer: () =>
        new Response(JSON.stringify({ model }), { status: 200, headers: { 'Content-Type': 'application/json' } }),
      times: 1,
    });
    await t.sync();
    expect((await t.syncStatus()).deadLetters).toEqual([]);
    expect((await t.syncStatus()).pending.models).toBe(1);
    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    expect(s.modelsTagged(info.modelId)).toHaveLength(1);
    await expectModelsEqual(t, s);
  });

  it('a verified model costs no request on the next pass; a background pass with nothing pending sends none at all', async () => {
    const s = server();
    const { t, dbName } = await open(s.url);
    const run = await t.startRun({ experimentName: 'models' });
    for (let i = 0; i < 3; i++)
      await run.logModel(`m${i}`, { code: CODE }, { inputExample: [{ r: i }], registeredModelName: 'reg' });
    await t.setModelAlias('reg', 'champion', 2);
    await run.end();
    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    s.requests = [];
    await t.sync(); // asked for: the server is asked who it is and whether it lost the last things made there
    expect(modelRequests(s).map((r) => `${r.method} ${r.endpoint.replace(/m-[0-9a-f]+/, 'm-…')}`)).toEqual([
      'GET logged-models/m-…',
      'GET model-versions/get',
    ]);
    await t.close();
    s.requests = [];
    const again = await open(s.url, dbName, true); // opening schedules a pass at once
    await new Promise((r) => setTimeout(r, 300));
    expect((await again.t.syncStatus()).pending).toEqual(nothingPending);
    expect(s.requests).toEqual([]);
    await expectModelsEqual(again.t, s, ['reg']);
  });
});

describe('status', () => {
  it('a model, a version and a registered model awaiting their check count as pending, as a run does', async () => {
    const s = server();
    const { t, dbName } = await open(s.url);
    const run = await t.startRun({ experimentName: 'models' });
    await run.logModel('m', { code: CODE }, { inputExample: [{ r: 1 }], registeredModelName: 'reg' });
    await t.setModelAlias('reg', 'champion', 1);
    await run.end();
    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    // The server lost something (found by a pass): everything it acknowledged is to be checked again.
    const db = await openDatabase(storeLocation(dbName));
    await bumpEpoch(db, (await readServers(db)).current!);
    db.close();
    expect((await t.syncStatus()).pending).toEqual({ ...nothingPending, runs: 1, models: 1, registry: 2 });
    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    expect(creates(s, 'logged-models')).toBe(1);
    expect(creates(s, 'model-versions/create')).toBe(1);
  });
});

describe('registry versions and aliases are verified after upload', () => {
  it('a version lost in a restore from an older backup is created again and its alias pointed at it again; nothing is created twice', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'models' });
    const first = await run.logModel('m', { code: CODE }, { inputExample: [{ r: 1 }], registeredModelName: 'reg' });
    await t.setModelAlias('reg', 'champion', 1);
    await run.end();
    await t.sync();
    const backup = s.backup();
    // Registered later from the same model: no new run, no new logged model.
    const v2 = await t.registerModel(`models:/${first.modelId}`, 'reg');
    await t.setModelAlias('reg', 'champion', v2.version);
    await t.sync();
    expect(s.db.registered.get('reg')!.aliases.get('champion')).toBe('2');
    s.restoreBackup(backup); // version 2 is gone; champion names 1 again
    // Someone else registers a version there first: the number the lost one had now names theirs.
    s.db.versions.set('reg\u00002', {
      name: 'reg',
      version: '2',
      source: 'mlflow-artifacts:/0/other/artifacts/model',
      status: 'READY',
      tags: [],
    });
    await t.sync();
    expect((await t.syncStatus()).lastNotice?.message).toMatch(/no longer has|lacks/);
    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    expect(s.versionsOf('reg').map((v) => v.version)).toEqual(['1', '2', '3']);
    expect(s.db.registered.get('reg')!.aliases.get('champion')).toBe('3');
    expect((await t.searchModelVersions('reg')).map((v) => v.remoteVersion)).toEqual(['1', '3']);
    expect(creates(s, 'logged-models')).toBe(1);
    expect(creates(s, 'model-versions/create')).toBe(3);
    await expectModelsEqual(t, s, ['reg']);
  });

  it('a lost version the server then refuses to make again is a dead letter, and finding it lost does not set off a full check on every later pass', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'models' });
    const info = await run.logModel('m', { code: CODE }, { inputExample: [{ r: 1 }], registeredModelName: 'reg' });
    await run.end();
    await t.sync();
    const backup = s.backup();
    await t.registerModel(`models:/${info.modelId}`, 'reg');
    await t.sync();
    s.restoreBackup(backup);
    s.lie({
      match: (r) => r.endpoint === 'model-versions/create',
      when: 'instead',
      answer: () =>
        new Response('{"error_code":"INVALID_PARAMETER_VALUE","message":"Invalid model version source"}', {
          status: 400,
          headers: { 'Content-Type': 'application/json' },
        }),
    });
    await t.sync();
    await t.sync();
    expect((await t.syncStatus()).deadLetters).toEqual([
      expect.objectContaining({ kind: 'model-version', key: 'reg/2' }),
    ]);
    s.requests = [];
    await t.sync();
    expect(
      s.requests.filter((r) => r.endpoint === 'runs/search' || r.endpoint.endsWith('/artifacts/directories')),
    ).toEqual([]);
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
  });

  it('a registered model lost with everything in a restore is made again with its versions and aliases', async () => {
    const s = server();
    const { t } = await open(s.url);
    const backup = s.backup();
    const run = await t.startRun({ experimentName: 'models' });
    await run.logModel('m', { code: CODE }, { inputExample: [{ r: 1 }], registeredModelName: 'reg' });
    await t.setModelAlias('reg', 'champion', 1);
    await run.end();
    await t.sync();
    s.restoreBackup(backup); // nothing of it is left: experiment, run, model, registry
    await t.sync();
    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    await expectModelsEqual(t, s, ['reg']);
  });

  it('a proxy that made up the answer to model-versions/create: the version is created for real, once, and the alias set on it', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'models' });
    await run.logModel('m', { code: CODE }, { inputExample: [{ r: 1 }], registeredModelName: 'reg' });
    await t.setModelAlias('reg', 'champion', 1);
    await run.end();
    const madeUp = () =>
      new Response(JSON.stringify({ model_version: { name: 'reg', version: '1' } }), {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
      });
    s.lie({ match: (r) => r.endpoint === 'model-versions/create', when: 'instead', answer: madeUp, times: 1 });
    await t.sync().catch(() => undefined);
    await t.sync();
    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    expect(s.versionsOf('reg')).toHaveLength(1);
    await expectModelsEqual(t, s, ['reg']);
  });
});

describe('twins', () => {
  it('a twin version whose delete was applied but its answer lost is gone, not a dead letter', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'models' });
    await run.logModel('m', { code: CODE }, { inputExample: [{ r: 1 }], registeredModelName: 'reg' });
    await run.end();
    // The create reached the server twice (a resent request): two versions carry the client id.
    s.lie({
      match: (r) => r.endpoint === 'model-versions/create',
      when: 'after',
      answer: (r) => {
        const [made] = s.versionsOf('reg').slice(-1);
        s.db.versions.set('reg\u00002', {
          ...made!,
          version: '2',
          tags: [...(r.body as { tags: FakeVersion['tags'] }).tags],
        });
        return new Response(JSON.stringify({ model_version: made }), {
          status: 200,
          headers: { 'Content-Type': 'application/json' },
        });
      },
      times: 1,
    });
    s.lie({ match: (r) => r.endpoint === 'model-versions/delete', when: 'after', answer: () => html(502), times: 1 });
    await t.sync();
    const status = await t.syncStatus();
    expect(status.deadLetters).toEqual([]);
    expect(status.pending).toEqual(nothingPending);
    expect(s.versionsOf('reg').map((v) => v.version)).toEqual(['1']);
    await expectModelsEqual(t, s, ['reg']);
  });
});

describe('an MLflow 2 server (no logged models)', () => {
  it('a model kept under its run and its registry version are verified, and come back after a restore from an older backup', async () => {
    const s = server();
    s.mlflow2 = true;
    const { t } = await open(s.url);
    const before = await t.startRun({ experimentName: 'models', runName: 'before' });
    await before.end();
    await t.sync();
    const backup = s.backup();
    const run = await t.startRun({ experimentName: 'models', runName: 'with-model' });
    await run.logModel('circle', { code: CODE }, { inputExample: [{ r: 1 }], registeredModelName: 'reg' });
    await t.setModelAlias('reg', 'champion', 1);
    await run.end();
    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    const check = s.requests.filter(
      (r) => r.endpoint === 'artifacts/list' && (r.body as { path?: string }).path === 'circle',
    );
    expect(check).toHaveLength(1); // its files were read back under the run
    s.restoreBackup(backup);
    s.requests = [];
    await t.sync();
    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    expect(s.requests.some((r) => r.endpoint.startsWith('logged-models'))).toBe(false);
    const remoteRun = s.runsOf('models').find((r) => r.info.run_name === 'with-model')!;
    const files = s.filesUnder(remoteRun.info.artifact_uri);
    const [model] = await t.listLoggedModels();
    expect([...files.keys()].sort()).toEqual(
      (await t.listLoggedModelArtifacts(model!.modelId)).map((f) => `circle/${f.path}`).sort(),
    );
    const versions = s.versionsOf('reg');
    expect(versions).toHaveLength(1);
    expect(versions[0]!.source).toBe(`${remoteRun.info.artifact_uri}/circle`);
    expect(s.db.registered.get('reg')!.aliases.get('champion')).toBe(versions[0]!.version);
  });
});
