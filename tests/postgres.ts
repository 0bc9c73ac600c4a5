// A real PostgreSQL server for the tests (Debian's `postgresql` package; .ci/run installs it):
// initdb into a temporary folder, a private socket folder and an ephemeral TCP port on
// 127.0.0.1, password authentication over TCP. PostgreSQL refuses to run as root, so as root
// the server runs as the `postgres` user, in folders that user owns. Started once, by the first
// test that asks; stopped when mocha finishes (mochaHooks below, loaded by .mocharc.json) or,
// failing that, when the process exits.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";

export const PG_USER = "bench";
export const PG_PASSWORD = "pg-Secret-Pw-7";

export interface PgServer {
  host: string;
  port: number;
  /** postgres://bench:<password>@127.0.0.1:<port>/<database>; `password: false` leaves it out (PGPASSWORD). */
  url(database: string, options?: { password?: string | false }): string;
  /** A new, empty database of this name. */
  createDatabase(name: string): Promise<string>;
}

function binDir(): string | undefined {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = "/usr/lib/postgresql";
  if (!fs.existsSync(root)) return undefined;
  const versions = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, versions[0], "bin") : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL program as the user that owns the server (postgres when we are root). */
function pgRun(bin: string, program: string, args: string[]): { status: number | null; output: string } {
  const [command, commandArgs] = asRoot
    ? ["runuser", ["-u", "postgres", "--", path.join(bin, program), ...args]]
    : [path.join(bin, program), args];
  const result = spawnSync(command, commandArgs, { encoding: "utf8", timeout: 120_000 });
  return {
    status: result.status,
    output: `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? String(result.error) : ""}`,
  };
}

interface Running extends PgServer {
  stop(): void;
}

let server: Promise<Running> | undefined;

async function start(bin: string): Promise<Running> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "ib-pg-"));
  const data = path.join(root, "data");
  const socket = path.join(root, "socket");
  const passwordFile = path.join(root, "password");
  fs.mkdirSync(socket);
  fs.writeFileSync(passwordFile, `${PG_PASSWORD}\n`);
  if (asRoot) {
    fs.chmodSync(root, 0o755);
    for (const entry of [root, socket, passwordFile]) fs.chownSync(entry, uid("postgres"), gid("postgres"));
  }
  const init = pgRun(bin, "initdb", [
    "-D",
    data,
    "-U",
    PG_USER,
    "--pwfile",
    passwordFile,
    "--auth-local=trust",
    "--auth-host=scram-sha-256",
    "-E",
    "UTF8",
    "--locale=C",
    "--no-sync",
  ]);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.output}`);
  let port = 0;
  for (let attempt = 0; attempt < 5; attempt++) {
    port = await freePort();
    const options =
      `-p ${port} -k ${socket} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off ` +
      `-c full_page_writes=off -c max_connections=200`;
    const started = pgRun(bin, "pg_ctl", [
      "-D",
      data,
      "-l",
      path.join(root, "server.log"),
      "-o",
      options,
      "-w",
      "-t",
      "60",
      "start",
    ]);
    if (started.status === 0) break;
    if (attempt === 4)
      throw new Error(
        `pg_ctl start failed: ${started.output} ${fs.existsSync(path.join(root, "server.log")) ? fs.readFileSync(path.join(root, "server.log"), "utf8").slice(-2000) : ""}`,
      );
  }
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    pgRun(bin, "pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
    fs.rmSync(root, { recursive: true, force: true });
  };
  process.on("exit", stop);
  const host = "127.0.0.1";
  const url = (database: string, options: { password?: string | false } = {}) => {
    const password = options.password === false ? "" : `:${encodeURIComponent(options.password ?? PG_PASSWORD)}`;
    return `postgres://${PG_USER}${password}@${host}:${port}/${database}`;
  };
  return {
    host,
    port,
    url,
    stop,
    async createDatabase(name) {
      const client = new Client({ connectionString: url("postgres") });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
  };
}

function uid(user: string): number {
  return Number(spawnSync("id", ["-u", user], { encoding: "utf8" }).stdout.trim());
}

function gid(user: string): number {
  return Number(spawnSync("id", ["-g", user], { encoding: "utf8" }).stdout.trim());
}

const MISSING = "PostgreSQL is not installed (apt-get install postgresql, or set PG_BIN to its bin folder)";

/** Starts the server once per process (bench:store uses it too); undefined without the package. */
export function startPostgres(): Promise<PgServer> | undefined {
  const bin = binDir();
  if (!bin) return undefined;
  server ??= start(bin);
  return server;
}

/**
 * The suite's PostgreSQL server. Without the package: a failure in CI (CI=true), elsewhere a
 * visible skip.
 */
export async function postgresServer(context: Mocha.Context): Promise<PgServer> {
  const started = startPostgres();
  if (!started) {
    if (process.env.CI) throw new Error(MISSING);
    console.log(`      skipped: ${MISSING}`);
    context.skip();
  }
  return started;
}

/** Stops the server now (bench:store), rather than at exit. */
export async function stopPostgres(): Promise<void> {
  if (server) (await server.catch(() => undefined))?.stop();
}

/** Stops the server when mocha has run every test. */
export const mochaHooks = {
  afterAll: stopPostgres,
};
