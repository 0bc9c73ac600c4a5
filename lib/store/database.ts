// Where results are stored: an SQLite file (the default, <output>/results.db) or a PostgreSQL
// database a team shares (`--db postgres://user@host:port/db`, or INFERENCE_BENCH_DB). Both are
// reached through Kysely, so the schema, its migrations and every query are written once; only
// opening a connection, where the schema version is kept and how a writer takes the lock differ.

import * as fs from "node:fs";
import * as path from "node:path";
import Database from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import { Pool } from "pg";
import { parse as parseConnectionString } from "pg-connection-string";
import { oneLine, UserError } from "../errors";
import { MIGRATIONS, SCHEMA_VERSION, type Schema } from "./schema";

/** The environment variable that names the database when a command has no --db. */
export const DB_ENV = "INFERENCE_BENCH_DB";

export type DatabaseLocation =
  | { engine: "sqlite"; file: string; label: string }
  | { engine: "postgres"; url: string; label: string };

/** The results database of an output folder. */
export function databasePath(outputDir: string): string {
  return path.join(outputDir, "results.db");
}

function isPostgresUrl(text: string): boolean {
  return /^postgres(ql)?:\/\//i.test(text);
}

/** `database "db" on host:port`, never the password. */
function postgresLabel(url: string): string {
  let parsed: ReturnType<typeof parseConnectionString>;
  try {
    // The label needs no parameters (sslmode and the like are for connecting).
    parsed = parseConnectionString(url.replace(/\?.*$/s, ""));
  } catch {
    throw new UserError("--db: not a PostgreSQL URL (expected postgres://user@host:port/database)");
  }
  const host = parsed.host || "localhost";
  const where = host.startsWith("/")
    ? `socket ${host}`
    : `${host.includes(":") ? `[${host}]` : host}:${parsed.port || 5432}`;
  return `database "${parsed.database || parsed.user || "postgres"}" on ${where}`;
}

/** The database a command uses: --db, else INFERENCE_BENCH_DB, else <output>/results.db. */
export function databaseLocation(
  db: string | undefined,
  outputDir: string,
  env: NodeJS.ProcessEnv = process.env,
): DatabaseLocation {
  const chosen = db ?? (env[DB_ENV] || undefined) ?? databasePath(outputDir);
  if (isPostgresUrl(chosen)) return { engine: "postgres", url: chosen, label: postgresLabel(chosen) };
  return { engine: "sqlite", file: chosen, label: chosen };
}

/** True when the database was named (--db or the environment), not the output folder's default. */
export function databaseNamed(db: string | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return db !== undefined || Boolean(env[DB_ENV]);
}

/** What went wrong with a database, in words, or undefined when `error` is not a database fault. */
function databaseProblem(location: DatabaseLocation, error: unknown): string | undefined {
  const code = String((error as { code?: string }).code ?? "");
  const message = oneLine(String((error as Error)?.message ?? error));
  if (location.engine === "sqlite") {
    if (!code.startsWith("SQLITE_")) return undefined;
    const why = code.startsWith("SQLITE_NOTADB")
      ? "is not an SQLite database (move it away, or pass another --db)"
      : code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")
        ? "is locked by another process; try again when it has finished"
        : code.startsWith("SQLITE_READONLY") || code.startsWith("SQLITE_PERM")
          ? "is read-only; fix its permissions or pass another --db"
          : code.startsWith("SQLITE_FULL")
            ? "cannot grow: no space left on the device"
            : code.startsWith("SQLITE_CANTOPEN")
              ? "cannot be opened (its folder is missing or not writable); pass another --db"
              : code.startsWith("SQLITE_CORRUPT")
                ? "is corrupt; move it away and run import again"
                : `failed (${code}: ${message})`;
    return `${location.file}: the results database ${why}`;
  }
  const network: Record<string, string> = {
    ECONNREFUSED: "connection refused (is the server running, and is this its port?)",
    ENOTFOUND: "no such host",
    EAI_AGAIN: "the host name cannot be resolved now",
    ETIMEDOUT: "the connection timed out",
    ECONNRESET: "the server closed the connection",
    EHOSTUNREACH: "the host is unreachable",
    ENOENT: "no server socket there",
  };
  const server: Record<string, string> = {
    "28P01": "password authentication failed (check the URL's password or PGPASSWORD)",
    "28000": "the server refused this user (pg_hba.conf)",
    "3D000": "the database does not exist (create it first: createdb)",
    "42501":
      "permission denied (the user needs CREATE on the database, and SELECT, INSERT, UPDATE, DELETE on its tables)",
    "53300": "too many connections",
    "57P03": "the server is starting up or shutting down",
  };
  // A file the URL names (sslrootcert, sslcert, sslkey) that cannot be read.
  const file =
    (error as { path?: string; syscall?: string }).syscall === "open" ? (error as { path?: string }).path : undefined;
  const why =
    (file ? `cannot read ${file} (${code}), named in the URL` : undefined) ??
    network[code] ??
    server[code] ??
    (/SSL|TLS|certificate/i.test(message) && !/^[0-9A-Z]{5}$/.test(code)
      ? `TLS: ${message} (see sslmode in the URL)`
      : undefined) ??
    (/^[0-9A-Z]{5}$/.test(code)
      ? `${message} (SQLSTATE ${code})`
      : /timeout/i.test(message)
        ? "the connection timed out"
        : undefined);
  return why && `results ${location.label}: ${why}`;
}

/** Runs `fn`; a database fault becomes one line (UserError) that names the file, or the host and database. */
export async function withDatabaseErrors<T>(location: DatabaseLocation, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof UserError) throw error;
    const problem = databaseProblem(location, error);
    throw problem ? new UserError(problem) : error;
  }
}

function connect(location: DatabaseLocation, create: boolean): Kysely<Schema> {
  if (location.engine === "sqlite") {
    if (create) fs.mkdirSync(path.dirname(path.resolve(location.file)), { recursive: true });
    // A writer waits for another (a hook, an import) rather than failing at once.
    const database = new Database(location.file, { timeout: 120_000, fileMustExist: !create });
    try {
      database.pragma("journal_mode = WAL");
      database.pragma("foreign_keys = ON");
    } catch (error) {
      database.close();
      throw error;
    }
    return new Kysely<Schema>({ dialect: new SqliteDialect({ database }) });
  }
  // libpq's meaning of sslmode (disable, prefer, require, verify-ca, verify-full) unless the URL says otherwise.
  const url = /[?&]uselibpqcompat=/.test(location.url)
    ? location.url
    : `${location.url}${location.url.includes("?") ? "&" : "?"}uselibpqcompat=true`;
  const pool = new Pool({
    connectionString: url,
    max: 4,
    connectionTimeoutMillis: 15_000,
    application_name: "inference-bench",
  });
  // An idle connection that fails is reported by the query that uses it; without a listener it would crash the process.
  pool.on("error", () => undefined);
  return new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * A key every inference-bench writer takes on PostgreSQL (pg_advisory_xact_lock): migrations and imports
 * queue on it.
 */
const LOCK_KEY = 0x1b_e7c4;

/**
 * Runs `fn` in a transaction that no other writer runs beside: SQLite's BEGIN IMMEDIATE (the write
 * lock at once, so no transaction reads a state another has changed), PostgreSQL's advisory lock.
 */
export async function exclusively<T>(
  db: Kysely<Schema>,
  engine: DatabaseLocation["engine"],
  fn: (tx: Kysely<Schema>) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (connection) => {
    await sql.raw(engine === "sqlite" ? "begin immediate" : "begin").execute(connection);
    try {
      if (engine === "postgres") await sql`select pg_advisory_xact_lock(${LOCK_KEY})`.execute(connection);
      const value = await fn(connection);
      await sql.raw("commit").execute(connection);
      return value;
    } catch (error) {
      await sql
        .raw("rollback")
        .execute(connection)
        .catch(() => undefined);
      throw error;
    }
  });
}

const OUR_TABLES = ["runs", "benchmarks", "stats", "snapshot_files", "schema_version"];

/** The schema version the database has; 0 for one with no tables. */
async function schemaVersion(
  db: Kysely<Schema>,
  engine: DatabaseLocation["engine"],
): Promise<{ version: number; fresh: boolean }> {
  // Other applications' tables may share a PostgreSQL database: only ours count.
  const tables = (await db.introspection.getTables()).map((t) => t.name).filter((name) => OUR_TABLES.includes(name));
  if (engine === "sqlite") {
    const { rows } = await sql<{ user_version: number }>`pragma user_version`.execute(db);
    return { version: rows[0].user_version, fresh: tables.length === 0 };
  }
  if (!tables.includes("schema_version")) return { version: 0, fresh: tables.length === 0 };
  const row = await sql<{ version: number }>`select max(version) as version from schema_version`.execute(db);
  return { version: Number(row.rows[0]?.version ?? 0), fresh: false };
}

async function setSchemaVersion(
  tx: Kysely<Schema>,
  engine: DatabaseLocation["engine"],
  version: number,
): Promise<void> {
  if (engine === "sqlite") {
    await sql.raw(`pragma user_version = ${version}`).execute(tx);
    return;
  }
  await sql`create table if not exists schema_version (version integer primary key, applied_at text not null)`.execute(
    tx,
  );
  await sql`insert into schema_version (version, applied_at) values (${version}, ${new Date().toISOString()})`.execute(
    tx,
  );
}

export interface OpenOptions {
  /** May create the database and its tables (a command that writes); readers only read what is there. */
  write: boolean;
  /** Bring a PostgreSQL database of an older schema up to this one (SQLite files always are). */
  upgrade?: boolean;
  /** Re-derives every stat row's columns from its Stat (version 1's migration). */
  recompute: (db: Kysely<Schema>) => Promise<void>;
}

/**
 * Opens the database, creating or migrating its schema under the writers' lock. A newer schema is
 * refused; so is an older one on PostgreSQL unless `upgrade` (a shared database changes for every
 * user at once, so it is upgraded on purpose: `import --upgrade-db`).
 */
export async function openDatabase(location: DatabaseLocation, options: OpenOptions): Promise<Kysely<Schema>> {
  if (location.engine === "sqlite" && !options.write && !fs.existsSync(location.file)) {
    throw new UserError(`${location.file}: no results database there; pass --db, or import the run first`);
  }
  const db = connect(location, options.write);
  try {
    const where = location.engine === "sqlite" ? `${location.file}: results database` : `results ${location.label}`;
    const current = await schemaVersion(db, location.engine);
    if (current.version > SCHEMA_VERSION) {
      throw new UserError(
        `${where}: schema ${current.version} was written by a newer inference-bench (this one ` +
          `reads up to ${SCHEMA_VERSION}); upgrade inference-bench`,
      );
    }
    if (current.version === SCHEMA_VERSION) return db;
    const fresh = current.version === 0 && current.fresh;
    if (!fresh && location.engine === "postgres" && !options.upgrade) {
      throw new UserError(
        `${where}: schema ${current.version} is older than this inference-bench's ${SCHEMA_VERSION}; ` +
          `upgrade it once for everyone with npm run -s import -- --db <url> --upgrade-db`,
      );
    }
    if (!options.write) {
      if (fresh) throw new UserError(`${where}: empty (no run has been imported into it)`);
      if (location.engine === "postgres")
        throw new UserError(`${where}: schema ${current.version} is older than ${SCHEMA_VERSION}; import --upgrade-db`);
    }
    await exclusively(db, location.engine, async (tx) => {
      // Another writer may have migrated it while this one waited for the lock.
      const locked = await schemaVersion(tx, location.engine);
      if (locked.version > SCHEMA_VERSION)
        throw new UserError(
          `${where}: schema ${locked.version} was written by a newer inference-bench (this one ` +
            `reads up to ${SCHEMA_VERSION})`,
        );
      for (const migration of MIGRATIONS.filter((m) => m.version > locked.version))
        await migration.up(tx, options.recompute);
      if (locked.version < SCHEMA_VERSION) await setSchemaVersion(tx, location.engine, SCHEMA_VERSION);
    });
    return db;
  } catch (error) {
    await db.destroy();
    throw error;
  }
}
