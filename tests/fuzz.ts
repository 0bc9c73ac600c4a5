// Fuzzing the catalog engine: seeded mutations and truncations of real catalogs and of randomly
// printed messages (JavaScript-prototype names, huge tokens, bad bytes included). A case passes
// when the catalog resolves, or fails with our own one-line UserError naming file:line:column;
// a parsed catalog must also print and parse back to itself. Anything else is a crash.
//
//   npm run fuzz -- --count 100000 [--seed 1]
//
// runs the long version in child processes under a watchdog: a case that runs for more than
// HANG_SECONDS is a hang (its process is killed and the run goes on with the next case).
import { fork } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { resolveCatalogText } from "../lib/catalog/catalog";
import { MAX_ERROR_LENGTH, UserError } from "../lib/errors";
import type { Benchmarks } from "../proto/benchmark-types";
import { BenchmarksType } from "../proto/schema";
import { parseTextFormat, printTextFormat } from "../proto/textformat";
import { mutate, noisyPrint, pick, randomMessage } from "./fuzzer";
import { seededRandom } from "./helpers";

const HANG_SECONDS = 20;
const CATALOG_DIR = path.join(__dirname, "..", "catalog");

/** The inputs mutations start from: every catalog under catalog/, as written. */
export function seedCatalogs(): string[] {
  return fs
    .readdirSync(CATALOG_DIR)
    .filter((name) => name.endsWith(".pbtxt"))
    .sort()
    .map((name) => fs.readFileSync(path.join(CATALOG_DIR, name), "utf8"));
}

export type Outcome = "resolved" | "rejected";

/** Case `index` of the run seeded `seed`: its input text (or bytes). */
export function fuzzInput(seed: number, index: number, seeds: string[]): string | Buffer {
  const random = seededRandom(seed * 1_000_003 + index);
  const start =
    random() < 0.7 ? pick(random, seeds) : noisyPrint(BenchmarksType, randomMessage(BenchmarksType, random), random);
  const text = mutate(start, random);
  if (random() < 0.05) {
    // A byte that is not UTF-8 (Latin-1, a lone continuation byte, an overlong form).
    const bytes = Buffer.from(text, "utf8");
    const at = Math.floor(random() * (bytes.length + 1));
    return Buffer.concat([
      bytes.subarray(0, at),
      Buffer.from(pick(random, [[0xe9], [0x80], [0xc0, 0xaf], [0xff, 0xfe]])),
      bytes.subarray(at),
    ]);
  }
  return text;
}

/** Runs one input; returns what happened or throws a description of the failure (a crash). */
export function fuzzCase(input: string | Buffer, file: string): Outcome {
  let resolvedOk = false;
  try {
    resolveCatalogText(input, file);
    resolvedOk = true;
  } catch (error) {
    if (!(error instanceof UserError)) throw new Error(`crash: ${(error as Error).stack ?? error}`);
    const message = error.message;
    if (!message.startsWith(`${file}:`) || !/^[^:]+:\d+:\d+: /.test(message))
      throw new Error(`error without file:line:column: ${message}`);
    if (message.includes("\n") || [...message].length > MAX_ERROR_LENGTH)
      throw new Error(`error longer than one line of ${MAX_ERROR_LENGTH} characters: ${message.slice(0, 300)}`);
  }
  // Whatever parses prints and parses back to the same message.
  let parsed: Benchmarks | undefined;
  try {
    parsed = parseTextFormat(BenchmarksType, input, file);
  } catch (error) {
    if (!(error instanceof UserError)) throw new Error(`crash in the parser: ${(error as Error).stack ?? error}`);
    if (resolvedOk) throw new Error("resolved, but the parser alone rejects it");
  }
  if (parsed) {
    const printed = printTextFormat(BenchmarksType, parsed);
    const again = parseTextFormat(BenchmarksType, printed, `${file} (printed)`);
    if (printTextFormat(BenchmarksType, again) !== printed) throw new Error("print → parse → print is not stable");
  }
  return resolvedOk ? "resolved" : "rejected";
}

interface Summary {
  cases: number;
  resolved: number;
  rejected: number;
  crashes: Array<{ index: number; problem: string }>;
  hangs: number[];
  slowestMs: number;
}

/** Runs cases [from, to) in this process, printing one progress line per case to the watchdog. */
function runChunk(seed: number, from: number, to: number): void {
  const seeds = seedCatalogs();
  for (let index = from; index < to; index++) {
    process.send!({ type: "start", index });
    const started = Date.now();
    let outcome: Outcome | undefined;
    let problem: string | undefined;
    try {
      outcome = fuzzCase(fuzzInput(seed, index, seeds), `fuzz-${index}.pbtxt`);
    } catch (error) {
      problem = (error as Error).message.slice(0, 2000);
    }
    process.send!({ type: "done", index, outcome, problem, ms: Date.now() - started });
  }
}

async function runAll(count: number, seed: number, workers: number): Promise<Summary> {
  const summary: Summary = { cases: 0, resolved: 0, rejected: 0, crashes: [], hangs: [], slowestMs: 0 };
  let next = 0;
  const chunk = 2000;
  const startedAt = Date.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      let from = next;
      const to = Math.min(count, from + chunk);
      next = to;
      while (from < to) {
        from = await new Promise<number>((resolve) => {
          const child = fork(__filename, ["--chunk", String(seed), String(from), String(to)], {
            stdio: ["ignore", "inherit", "inherit", "ipc"],
          });
          let current = from;
          let timer: NodeJS.Timeout | undefined;
          const arm = () => {
            clearTimeout(timer);
            timer = setTimeout(() => {
              summary.hangs.push(current);
              child.kill("SIGKILL");
            }, HANG_SECONDS * 1000);
          };
          arm();
          child.on(
            "message",
            (message: { type: string; index: number; outcome?: Outcome; problem?: string; ms?: number }) => {
              current = message.index;
              if (message.type === "start") return arm();
              summary.cases++;
              summary.slowestMs = Math.max(summary.slowestMs, message.ms ?? 0);
              if (message.problem) summary.crashes.push({ index: message.index, problem: message.problem });
              else if (message.outcome === "resolved") summary.resolved++;
              else summary.rejected++;
              if (summary.cases % 10000 === 0)
                console.log(
                  `  ${summary.cases.toLocaleString("en-US")} cases, ${Math.round((Date.now() - startedAt) / 1000)} s`,
                );
            },
          );
          child.on("exit", (code) => {
            clearTimeout(timer);
            const hung = summary.hangs.includes(current);
            if (code !== 0 && !hung)
              summary.crashes.push({ index: current, problem: `the fuzzing process died (exit ${code}) on this case` });
            // Go on after the case that hung or killed the process; a chunk that ended normally is done.
            resolve(code === 0 ? to : current + 1);
          });
        });
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return summary;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "--chunk") return runChunk(Number(args[1]), Number(args[2]), Number(args[3]));
  const option = (name: string, fallback: number) => {
    const at = args.indexOf(name);
    const value = at >= 0 ? Number(args[at + 1]) : fallback;
    if (!Number.isInteger(value) || value < 0) {
      console.error(`error: ${name} takes a whole number (got ${JSON.stringify(args[at + 1])})`);
      process.exit(2);
    }
    return value;
  };
  const count = option("--count", 10_000);
  const seed = option("--seed", 1);
  const workers = option("--workers", Math.max(1, Math.min(4, (await import("node:os")).availableParallelism())));
  const started = Date.now();
  console.log(
    `fuzzing ${count.toLocaleString("en-US")} catalogs (seed ${seed}, ${workers} processes, a ` +
      `case running over ${HANG_SECONDS} s is a hang)`,
  );
  const summary = await runAll(count, seed, workers);
  for (const crash of summary.crashes.slice(0, 20)) console.log(`CRASH case ${crash.index}: ${crash.problem}`);
  for (const hang of summary.hangs.slice(0, 20)) console.log(`HANG case ${hang}`);
  console.log(
    `${summary.cases.toLocaleString("en-US")} cases in ${Math.round((Date.now() - started) / 1000)} ` +
      `s: ${summary.resolved} resolved, ${summary.rejected} rejected with one clear line, ${summary.crashes.length} ` +
      `crashes, ${summary.hangs.length} hangs; slowest case ${summary.slowestMs} ms`,
  );
  console.log("reproduce a case: fuzzCase(fuzzInput(seed, index, seedCatalogs()), name) in tests/fuzz.ts");
  process.exitCode = summary.crashes.length || summary.hangs.length ? 1 : 0;
}

if (require.main === module) void main();
