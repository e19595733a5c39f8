/**
 * The SQLite adapter for Node, Deno and Bun: each table is a SQLite table
 * of BLOB key → BLOB value (BLOBs compare as memcmp, the order the key codec
 * keeps). WAL with synchronous=FULL: a committed transaction is on disk
 * before commit returns, so an acknowledged write survives a power cut.
 *
 * The runtime's own SQLite where it has one (bun:sqlite in Bun, node:sqlite
 * in Deno and in Node ≥ 22.13), better-sqlite3 elsewhere (Node 20).
 */
import { damagedStoreError, diskFull } from '../storage-errors.js';
import type { ByteRange, Tables } from '../tables/tables.js';

export type SqliteDriverName = 'bun:sqlite' | 'node:sqlite' | 'better-sqlite3';

interface Statement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

interface Connection {
  exec(sql: string): void;
  prepare(sql: string): Statement;
  close(): void;
}

/** Opens a connection with the runtime's SQLite (see the module comment). */
async function connect(
  file: string,
): Promise<{ connection: Connection; driver: SqliteDriverName; blob: (b: Uint8Array) => unknown }> {
  const load = (name: string) => import(/* @vite-ignore */ name) as Promise<Record<string, unknown>>;
  const identity = (b: Uint8Array) => b;
  if ((globalThis as { Bun?: unknown }).Bun !== undefined) {
    const { Database } = (await load('bun:sqlite')) as { Database: new (file: string, options?: object) => Connection };
    const connection = new Database(file, { create: true, strict: true });
    return { connection, driver: 'bun:sqlite', blob: identity };
  }
  try {
    const { DatabaseSync } = (await load('node:sqlite')) as { DatabaseSync: new (file: string) => Connection };
    return { connection: new DatabaseSync(file), driver: 'node:sqlite', blob: identity };
  } catch (error) {
    if ((globalThis as { Deno?: unknown }).Deno !== undefined) throw error;
  }
  const BetterSqlite = ((await load('better-sqlite3')) as { default: new (file: string) => Connection }).default;
  const { Buffer } = (await load('node:buffer')) as unknown as {
    Buffer: { from(b: ArrayBufferLike, o: number, n: number): unknown };
  };
  return {
    connection: new BetterSqlite(file),
    driver: 'better-sqlite3',
    blob: (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  };
}

/** The SQLite result code of a driver's error (each driver reports it differently). */
export function sqliteCode(error: unknown): number | undefined {
  const e = error as { errcode?: unknown; errno?: unknown; code?: unknown } | null;
  if (typeof e?.errcode === 'number') return e.errcode & 0xff;
  if (typeof e?.errno === 'number') return e.errno & 0xff;
  const named: Record<string, number> = {
    SQLITE_READONLY: 8,
    SQLITE_IOERR: 10,
    SQLITE_CORRUPT: 11,
    SQLITE_FULL: 13,
    SQLITE_CANTOPEN: 14,
    SQLITE_NOTADB: 26,
  };
  if (typeof e?.code === 'string') return named[e.code.replace(/_[A-Z]+$/, '')] ?? named[e.code];
  return undefined;
}

/** Options of a SQLite store. */
export interface SqliteOptions {
  /** A cap on the database file's size, in bytes (SQLite's max_page_count); past it writes fail as a full disk does. */
  maxBytes?: number;
}

/**
 * A full disk (or the size cap) as IndexedDB names a full quota, so one error
 * path handles both; a damaged file as a typed error that says so.
 */
function translate(error: unknown, file: string, options: SqliteOptions): unknown {
  const code = sqliteCode(error);
  if (code === 13) return diskFull(error, options.maxBytes);
  if (code === 11 || code === 26) return damagedStoreError(file, code === 11 ? 'SQLITE_CORRUPT' : 'SQLITE_NOTADB');
  return error;
}

class SqliteTables implements Tables {
  private readonly statements = new Map<string, Statement>();
  private inTransaction = false;

  constructor(
    private readonly connection: Connection,
    private readonly blob: (b: Uint8Array) => unknown,
    private readonly file: string,
    private readonly options: SqliteOptions,
  ) {}

  private statement(sql: string): Statement {
    let s = this.statements.get(sql);
    if (s === undefined) {
      s = this.connection.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw translate(error, this.file, this.options);
    }
  }

  begin(write: boolean): void {
    this.run(() => this.connection.exec(write ? 'BEGIN IMMEDIATE' : 'BEGIN'));
    this.inTransaction = true;
  }

  commit(): void {
    this.run(() => this.connection.exec('COMMIT'));
    this.inTransaction = false;
  }

  rollback(): void {
    if (!this.inTransaction) return;
    this.inTransaction = false;
    this.connection.exec('ROLLBACK');
  }

  createTable(name: string): void {
    this.run(() =>
      this.connection.exec(`CREATE TABLE IF NOT EXISTS "${name}" (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID`),
    );
  }

  get(table: string, key: Uint8Array): Uint8Array | undefined {
    const row = this.run(() => this.statement(`SELECT v FROM "${table}" WHERE k = ?`).get(this.blob(key))) as
      | { v: Uint8Array }
      | undefined;
    return row?.v;
  }

  put(table: string, key: Uint8Array, value: Uint8Array): void {
    this.run(() =>
      this.statement(`INSERT OR REPLACE INTO "${table}" (k, v) VALUES (?, ?)`).run(this.blob(key), this.blob(value)),
    );
  }

  delete(table: string, key: Uint8Array): void {
    this.run(() => this.statement(`DELETE FROM "${table}" WHERE k = ?`).run(this.blob(key)));
  }

  private where(range: ByteRange): { sql: string; params: unknown[] } {
    const parts: string[] = [];
    const params: unknown[] = [];
    if (range.from !== undefined) {
      parts.push('k >= ?');
      params.push(this.blob(range.from));
    }
    if (range.to !== undefined) {
      parts.push('k < ?');
      params.push(this.blob(range.to));
    }
    return { sql: parts.length === 0 ? '' : ` WHERE ${parts.join(' AND ')}`, params };
  }

  deleteRange(table: string, range: ByteRange): void {
    const { sql, params } = this.where(range);
    this.run(() => this.statement(`DELETE FROM "${table}"${sql}`).run(...params));
  }

  scan(table: string, range: ByteRange, reverse: boolean, limit: number): Array<[Uint8Array, Uint8Array]> {
    const { sql, params } = this.where(range);
    const order = reverse ? 'DESC' : 'ASC';
    // LIMIT -1 is no limit; a bound limit stays a small integer, which every driver binds as one.
    const limited = limit < 2 ** 31;
    const rows = this.run(() =>
      this.statement(`SELECT k, v FROM "${table}"${sql} ORDER BY k ${order} LIMIT ${limited ? '?' : '-1'}`).all(
        ...(limited ? [...params, limit] : params),
      ),
    ) as Array<{ k: Uint8Array; v: Uint8Array }>;
    return rows.map((r) => [r.k, r.v]);
  }

  count(table: string, range: ByteRange): number {
    const { sql, params } = this.where(range);
    const row = this.run(() => this.statement(`SELECT count(*) AS n FROM "${table}"${sql}`).get(...params)) as {
      n: number | bigint;
    };
    return Number(row.n);
  }

  close(): void {
    this.statements.clear();
    this.connection.close();
  }
}

/** Opens (creating if missing) the SQLite file at `file` as tables, durable on every commit. */
export async function openSqliteTables(
  file: string,
  options: SqliteOptions = {},
): Promise<{ tables: Tables; driver: SqliteDriverName }> {
  const { connection, driver, blob } = await connect(file);
  try {
    connection.exec('PRAGMA busy_timeout = 10000');
    // Reads the header: a file that is not a SQLite database fails here, before anything is written to it.
    connection.prepare('SELECT count(*) AS n FROM sqlite_master').get();
    connection.exec('PRAGMA journal_mode = WAL');
    connection.exec('PRAGMA synchronous = FULL');
    if (options.maxBytes !== undefined) {
      const { page_size: pageSize } = connection.prepare('PRAGMA page_size').get() as { page_size: number };
      // At least one page: 0 would mean "no change" to SQLite. A file already past the cap keeps its pages (SQLite never shrinks below them) and takes no more.
      connection.exec(`PRAGMA max_page_count = ${Math.max(1, Math.floor(options.maxBytes / Number(pageSize)))}`);
    }
  } catch (error) {
    try {
      connection.close();
    } catch {
      // already unusable
    }
    throw translate(error, file, options);
  }
  return { tables: new SqliteTables(connection, blob, file, options), driver };
}
