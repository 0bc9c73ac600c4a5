// What the load generator's log says beyond its result files: Python tracebacks (an LPG crash
// writes no result file, so the traceback is the only record of why a rate is missing), and the
// lines our wrapper prints (lib/manifests/scripts/run-benchmark.py): notes, streaming, warm-up.
import { RESULT_MARKERS } from "../manifests/load-generator";

/** A section of the log: our warm-up, a rate of the LPG (from its "Benchmarking request rate: X"), or before either. */
export type LogSection = { kind: "warm-up" } | { kind: "rate"; rate: number } | { kind: "start" };

export interface Crash {
  section: LogSection;
  /** The exception line, e.g. "TypeError: cannot unpack non-iterable NoneType object". */
  exception: string;
}

export interface LpgWarmup {
  rate: number;
  seconds: number;
  requests: number;
  succeeded?: number;
  exit_status?: number;
}

/** A rate's start or end as the wrapper saw it, with the load generator's CPU throttling then. */
export interface RateMark {
  edge: "begin" | "end";
  /** The LPG's rate as it printed it ("5", "inf"), or inference-perf's stage index. */
  rate?: number;
  stage?: number;
  /** Unix seconds. */
  time: number;
  /** The cgroup's cpu.stat throttled_usec and usage_usec, when the wrapper could read them. */
  throttledUsec?: number;
  usageUsec?: number;
}

export interface ToolLogFacts {
  crashes: Crash[];
  /** The wrapper's notes (streaming turned off, a pause the build ignores, a redacted file). */
  notes: string[];
  /** Whether the LPG streamed (the wrapper decides it per build); undefined when it did not say. */
  streaming?: boolean;
  warmup?: LpgWarmup;
  rateMarks: RateMark[];
}

const RATE_LINE = /Benchmarking request rate: (inf|[0-9.]+)/;
const EXCEPTION_LINE = /^(?:[A-Za-z_][\w.]*)?(?:Error|Exception|Interrupt|Exit|StopIteration)(?::.*)?$/;

function fields(line: string): Record<string, string> {
  return Object.fromEntries([...line.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
}

function numberOrUndefined(text: string | undefined): number | undefined {
  return text !== undefined && /^-?[0-9.]+$/.test(text) ? Number(text) : undefined;
}

/**
 * Reads a tool log. A traceback's exception is its last unindented line (chained exceptions:
 * the last one raised); it belongs to the section it appears in.
 */
export function readToolLog(log: string): ToolLogFacts {
  const facts: ToolLogFacts = { crashes: [], notes: [], rateMarks: [] };
  let section: LogSection = { kind: "start" };
  let inTraceback = false;
  let exception: string | undefined;
  const endTraceback = () => {
    if (inTraceback && exception) facts.crashes.push({ section, exception });
    inTraceback = false;
    exception = undefined;
  };
  for (const raw of log.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line.startsWith("Traceback (most recent call last):")) {
      // A chained traceback continues the same crash.
      inTraceback = true;
      continue;
    }
    if (inTraceback) {
      if (/^\s/.test(line) || line === "") continue;
      if (/^(During handling of the above exception|The above exception was the direct cause)/.test(line)) continue;
      if (EXCEPTION_LINE.test(line)) {
        exception = line.trim();
        continue;
      }
      endTraceback();
    }
    if (line.startsWith(`${RESULT_MARKERS.note} `)) {
      facts.notes.push(line.slice(RESULT_MARKERS.note.length + 1).trim());
    } else if (line.startsWith(`${RESULT_MARKERS.streaming} `)) {
      facts.streaming = line.slice(RESULT_MARKERS.streaming.length + 1).trim() === "on";
    } else if (line.startsWith(`${RESULT_MARKERS.warmup}-begin `)) {
      const f = fields(line);
      facts.warmup = { rate: Number(f.rate), seconds: Number(f.seconds), requests: Number(f.prompts) };
      section = { kind: "warm-up" };
    } else if (line.startsWith(`${RESULT_MARKERS.rate}-begin `) || line.startsWith(`${RESULT_MARKERS.rate}-end `)) {
      const f = fields(line);
      const time = numberOrUndefined(f.time);
      if (time === undefined) continue;
      facts.rateMarks.push({
        edge: line.startsWith(`${RESULT_MARKERS.rate}-begin `) ? "begin" : "end",
        ...(f.rate !== undefined ? { rate: f.rate === "inf" ? 0 : Number(f.rate) } : {}),
        ...(f.stage !== undefined ? { stage: Number(f.stage) } : {}),
        time,
        throttledUsec: numberOrUndefined(f.throttled_usec),
        usageUsec: numberOrUndefined(f.usage_usec),
      });
    } else if (line.startsWith(`${RESULT_MARKERS.warmup}-end `) && facts.warmup) {
      const f = fields(line);
      facts.warmup.succeeded = numberOrUndefined(f.succeeded);
      facts.warmup.exit_status = numberOrUndefined(f.status);
    } else {
      const rate = RATE_LINE.exec(line);
      // xtrace prints the echo command too; both name the same rate.
      if (rate) section = { kind: "rate", rate: rate[1] === "inf" ? 0 : Number(rate[1]) };
    }
  }
  endTraceback();
  return facts;
}
