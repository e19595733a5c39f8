#!/usr/bin/env node
/**
 * `mlflow-edge status|sync --store <dir>`: the command line for a store kept
 * on disk (SQLite + files, as Node, Deno and Bun keep one). It runs the
 * worker's TrackerService in this process: status reads what is pending,
 * sync uploads it to the tracking server with the same engine a page uses.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { RemoteAuth, RemoteOptions, SyncCounts, SyncStatus } from './protocol.js';
import type { MlflowEdgeError } from './schema/errors.js';
import { SYNC_ADVICE } from './sync/controller.js';
import { openStore, SQLITE_FILE } from './store/open.js';
import { currentState } from './store/remote-state.js';
import { TrackerService } from './worker/service.js';

/** Exit codes (also in the usage text and the README). */
const EXIT = { ok: 0, failed: 1, usage: 2, store: 3 } as const;

const USAGE = `Usage: mlflow-edge <command> --store <dir> [--tracking-uri <uri>] [--json]

Commands:
  status   What the store holds that the tracking server does not have yet
           (runs, params, tags, metric points, artifacts, models, registry
           entries), the server set for the store, the last error and the
           dead letters (items the server refused).
  sync     Upload everything pending to the tracking server (progress on
           stderr), then print the status. Interrupting it is safe: the
           next sync resumes, nothing is sent twice.
  clear-dead-letters
           Forget the tracking server's dead letters once you have read them
           (status lists them): status and sync no longer report them. The
           refused items are not sent again.

Options:
  --store <dir>          The store directory (holding ${SQLITE_FILE}). Required;
                         it must exist: no new store is made.
  --tracking-uri <uri>   The MLflow tracking server, http(s). Default:
                         MLFLOW_TRACKING_URI, else the server set for the store.
                         sync makes it the store's server.
  --json                 Print the status as JSON (tracker.syncStatus()'s SyncStatus).
  -h, --help             Print this text (also: mlflow-edge help).
  --version              Print the version (also: mlflow-edge version).

Environment (as MLflow's own clients read it):
  MLFLOW_TRACKING_URI                                the server, without --tracking-uri
  MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD basic auth
  MLFLOW_TRACKING_TOKEN                              a bearer token (without a user name and password)

Exit codes:
  0  status printed; sync: nothing is left to upload; dead letters cleared
  1  sync: not everything is on the server (unreachable, credentials refused,
     items refused as dead letters); what is left stays in the store
  2  usage: unknown command or option, no --store, no store at the path,
     a tracking URI that is not http(s), no tracking server for sync or
     clear-dead-letters
  3  the store cannot be opened (written by a newer mlflow-edge, damaged, unreadable)

Not yet: export and import of a store (there is no bundle format yet).
`;

class UsageError extends Error {}

interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Runs one command; resolves to the exit code. `argv` without node and the script. */
async function main(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
  io: Output = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) },
): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError) && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') !== true)
      throw error;
    io.err(`mlflow-edge: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (args.help) {
    io.out(USAGE);
    return EXIT.ok;
  }
  if (args.version) {
    io.out(`${version()}\n`);
    return EXIT.ok;
  }
  const { command, store, json } = args;
  const usage = (message: string) => {
    io.err(`mlflow-edge ${command}: ${message}\n\n${USAGE}`);
    return EXIT.usage;
  };
  const path = resolve(store);
  if (!existsSync(path)) return usage(`there is no store at ${path}: the directory does not exist.`);
  if (!statSync(path).isDirectory()) return usage(`${path} is not a directory: pass the store's directory.`);
  if (!existsSync(resolve(path, SQLITE_FILE)))
    return usage(`there is no store at ${path}: it holds no ${SQLITE_FILE}. Pass the directory a tracker opened.`);

  const service = new TrackerService(CLI_RETRY);
  try {
    await service.open({ dbName: path, store: { path } });
  } catch (error) {
    io.err(`mlflow-edge ${command}: the store at ${path} cannot be opened: ${(error as Error).message}\n`);
    return EXIT.store;
  }
  try {
    const stored = await storedUri(path);
    const fromEnv = env.MLFLOW_TRACKING_URI || undefined; // set but empty is unset, as MLflow reads it
    const chosen = args.trackingUri ?? fromEnv ?? stored;
    const from =
      args.trackingUri !== undefined
        ? '--tracking-uri'
        : fromEnv !== undefined
          ? 'MLFLOW_TRACKING_URI'
          : 'set for the store';
    let remote: RemoteOptions | undefined;
    if (chosen !== undefined) {
      const problem = checkUri(chosen);
      if (problem !== undefined) return usage(`the tracking URI from ${from} ${problem}`);
      remote = { trackingUri: chosen, autoSync: false };
      const auth = authFromEnv(env);
      if (auth !== undefined) remote.auth = auth;
      try {
        await service.setRemote(remote);
      } catch (error) {
        return usage((error as Error).message);
      }
    }

    if (command === 'status') {
      const status = await service.syncStatus();
      // A server named for this look only: the store keeps the one it had.
      if (chosen !== stored)
        await service.setRemote(stored === undefined ? null : { trackingUri: stored, autoSync: false });
      io.out(json ? `${JSON.stringify(status, null, 2)}\n` : table(path, status, from));
      return EXIT.ok;
    }

    if (remote === undefined) {
      return usage(
        'no tracking server: pass --tracking-uri <uri> or set MLFLOW_TRACKING_URI (this store has none set).',
      );
    }
    if (command === 'clear-dead-letters') {
      const cleared = await service.clearDeadLetters();
      if (chosen !== stored)
        await service.setRemote(stored === undefined ? null : { trackingUri: stored, autoSync: false });
      if (json) io.out(`${JSON.stringify({ trackingUri: remote.trackingUri, cleared })}\n`);
      io.err(
        `mlflow-edge clear-dead-letters: ${remote.trackingUri} (${from}): ${cleared === 0 ? 'no dead letters' : `forgot ${cleared === 1 ? '1 dead letter' : `${cleared} dead letters`}; the refused items stay unsent`}.\n`,
      );
      return EXIT.ok;
    }
    const before = await service.syncStatus();
    io.err(`mlflow-edge sync: ${before.trackingUri} (${from}): ${counts(before.pending) || 'nothing'} pending\n`);
    let shown = '';
    await service.onSyncStatus((status) => {
      const line = status.state === 'syncing' ? `left: ${counts(status.pending) || 'nothing'}` : '';
      if (line !== '' && line !== shown) io.err(`mlflow-edge sync: ${line}\n`);
      shown = line;
    });
    let failure: MlflowEdgeError | undefined;
    try {
      await service.sync();
    } catch (error) {
      failure = error as MlflowEdgeError;
    }
    const after = await service.syncStatus();
    io.out(json ? `${JSON.stringify(after, null, 2)}\n` : table(path, after, from));
    const left = counts(after.pending);
    const again = `\`mlflow-edge sync --store ${quote(path)}\``;
    if (failure !== undefined) {
      // The library's advice speaks to a page (setRemote, queued retries): the command line says its own.
      const message = failure.message
        .replace(` ${SYNC_ADVICE.retry}`, '')
        .replace(` ${SYNC_ADVICE.auth}`, '')
        .replace(/([^.!?])$/, '$1.');
      const advice =
        failure.code === 'UNAUTHENTICATED' || failure.code === 'PERMISSION_DENIED'
          ? `Nothing was lost; set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN) to credentials the server accepts and run ${again} again.`
          : failure.code === 'TEMPORARILY_UNAVAILABLE'
            ? `Nothing was lost; run ${again} again when the server answers.`
            : `What is left stays in the store (see the last error and dead letters above); run ${again} again once that is fixed.`;
      io.err(`mlflow-edge sync: ${message} ${advice}\n`);
      return EXIT.failed;
    }
    if (after.deadLetters.length > 0) {
      io.err(
        `mlflow-edge sync: the server refused ${after.deadLetters.length === 1 ? '1 item' : `${after.deadLetters.length} items`} (dead letters, listed above with the server's reasons); they are not sent again: log what must be on the server again under another key or run, then run \`mlflow-edge clear-dead-letters --store ${quote(path)}\`.${left ? ` Still pending: ${left}.` : ''}\n`,
      );
      return EXIT.failed;
    }
    if (left !== '') {
      io.err(`mlflow-edge sync: still pending (written while sync ran): ${left}. Run ${again} again.\n`);
      return EXIT.failed;
    }
    io.err('mlflow-edge sync: everything is on the server.\n');
    return EXIT.ok;
  } finally {
    await service.close();
  }
}

/** Retries for a person waiting at a terminal: about 8 s at most against a server that does not answer, then exit 1. */
const CLI_RETRY = { attempts: 5, baseMs: 500, capMs: 4000 };

function parse(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      store: { type: 'string' },
      'tracking-uri': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', default: false },
    },
  });
  // `help` and `version` as commands too: npx takes a --help or --version right after the name for itself.
  const base = {
    help: values.help === true || positionals[0] === 'help',
    version: values.version === true || positionals[0] === 'version',
    json: values.json === true,
  };
  if (base.help || base.version) return { ...base, command: 'status', store: '', trackingUri: undefined };
  const [command, ...extra] = positionals;
  if (command === undefined) throw new UsageError('no command: pass status or sync.');
  if (command === 'export' || command === 'import')
    throw new UsageError(`${command} is not there yet: there is no bundle format for a store yet.`);
  if (command !== 'status' && command !== 'sync' && command !== 'clear-dead-letters')
    throw new UsageError(`unknown command '${command}'.`);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'.`);
  if (values.store === undefined || values.store === '')
    throw new UsageError(`${command} needs --store <dir>: the store's directory.`);
  return { ...base, command, store: values.store, trackingUri: values['tracking-uri'] };
}

/** Why `uri` cannot be a tracking server, or undefined when it can. */
function checkUri(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `('${redact(uri)}') is not a URL: pass the server's http(s) URL, such as http://127.0.0.1:5000.`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `('${redact(uri)}') is not http(s): mlflow-edge talks to an MLflow tracking server, such as http://127.0.0.1:5000.`;
  return undefined;
}

function redact(uri: string): string {
  return uri.replace(/\/\/[^/@\s]*@/g, '//***@');
}

/** Credentials as MLflow's clients take them: a user name and password first, else a token. */
function authFromEnv(env: Record<string, string | undefined>): RemoteAuth | undefined {
  const { MLFLOW_TRACKING_USERNAME: username, MLFLOW_TRACKING_PASSWORD: password, MLFLOW_TRACKING_TOKEN: token } = env;
  if (username && password) return { username, password };
  if (token) return { token };
  return undefined;
}

/** The tracking URI the store has set (the last setRemote), if any. */
async function storedUri(path: string): Promise<string | undefined> {
  const { db } = await openStore({ path }); // the service's own database, shared (see openStore)
  try {
    if ((await currentState(db)) === undefined) return undefined;
    const uri = await db.get('meta', 'syncRemote');
    return typeof uri === 'string' ? uri : undefined;
  } finally {
    db.close();
  }
}

/** Each count's name in the table, and singular and plural in a sentence. */
const COUNT_NAMES: [keyof SyncCounts, string, string][] = [
  ['runs', 'run', 'runs'],
  ['experiments', 'experiment', 'experiments'],
  ['params', 'param', 'params'],
  ['tags', 'tag', 'tags'],
  ['metrics', 'metric point', 'metric points'],
  ['artifacts', 'artifact', 'artifacts'],
  ['models', 'model', 'models'],
  ['registry', 'registry entry', 'registry entries'],
];

/** "2 runs, 4 params, 1 artifact, 12 B of files"; empty when nothing is pending. */
function counts(pending: SyncCounts): string {
  const parts = COUNT_NAMES.filter(([k]) => pending[k] > 0).map(
    ([k, one, many]) => `${pending[k]} ${pending[k] === 1 ? one : many}`,
  );
  if (parts.length > 0 && pending.bytes > 0) parts.push(`${bytes(pending.bytes)} of files`);
  return parts.join(', ');
}

function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

function table(path: string, status: SyncStatus, from: string): string {
  const rows: [string, string][] = [
    ['store', path],
    ['tracking URI', status.trackingUri === undefined ? 'none set' : `${status.trackingUri} (${from})`],
  ];
  for (const [k, , name] of COUNT_NAMES) rows.push([`pending ${name}`, String(status.pending[k])]);
  rows.push(['pending bytes', bytes(status.pending.bytes)]);
  if (status.lastSuccessTime !== undefined) rows.push(['last sync', new Date(status.lastSuccessTime).toISOString()]);
  rows.push([
    'last error',
    status.lastError === undefined
      ? 'none'
      : `${status.lastError.code}: ${status.lastError.message} (${new Date(status.lastError.at).toISOString()})`,
  ]);
  if (status.lastNotice !== undefined) rows.push(['notice', status.lastNotice.message]);
  rows.push(['dead letters', String(status.deadLetters.length)]);
  const width = Math.max(...rows.map(([label]) => label.length));
  let text = rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
  for (const letter of status.deadLetters.slice(0, 20))
    text += `\n  run ${letter.runId} ${letter.kind} ${JSON.stringify(letter.key)}: ${letter.message}`;
  if (status.deadLetters.length > 20) text += `\n  … and ${status.deadLetters.length - 20} more (--json lists all)`;
  return `${text}\n`;
}

function quote(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

function version(): string {
  // dist/cli.js → the package's package.json (src/cli.ts → the repository's).
  // (A path, not new URL(…, import.meta.url): vite would take that for an asset of the build.)
  const file = resolve(dirname(fileURLToPath(import.meta.url)), '../package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as { version: string };
  return pkg.version;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`mlflow-edge: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = EXIT.failed;
  },
);
