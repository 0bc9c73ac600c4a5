// Reads the result files the load generator's wrapper printed to its log (see
// lib/manifests/load-generator.ts): `<header> name sha256 size`, then base64 lines.
import * as crypto from "node:crypto";
import { RESULT_MARKERS } from "../manifests/load-generator";

export interface ArchivedFile {
  name: string;
  data: Buffer;
  /** Empty when the file arrived whole (size and SHA-256 match). */
  problem?: string;
}

export interface ResultLog {
  /** The tool's own output: everything before the result block. */
  toolLog: string;
  files: ArchivedFile[];
  /** The wrapper's exit status, when the block ended (missing: the log was cut short). */
  exitStatus?: number;
  /** Whether the LPG traced that it finished every rate. */
  finished: boolean;
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function parseResultLog(log: string): ResultLog {
  const lines = log.split("\n");
  const begin = lines.indexOf(RESULT_MARKERS.begin);
  const toolLines = begin === -1 ? lines : lines.slice(0, begin);
  const result: ResultLog = {
    toolLog: toolLines.join("\n"),
    files: [],
    finished: log.includes(RESULT_MARKERS.finished),
  };
  if (begin === -1) return result;
  let current: { name: string; sha256: string; size: number; chunks: string[] } | undefined;
  const finish = () => {
    if (!current) return;
    const data = Buffer.from(current.chunks.join(""), "base64");
    const digest = crypto.createHash("sha256").update(data).digest("hex");
    const problem =
      data.length !== current.size
        ? `arrived with ${data.length} of ${current.size} bytes`
        : digest !== current.sha256
          ? "arrived corrupted (SHA-256 mismatch)"
          : undefined;
    result.files.push({ name: current.name, data, ...(problem ? { problem } : {}) });
    current = undefined;
  };
  for (const line of lines.slice(begin + 1)) {
    if (line.startsWith(`${RESULT_MARKERS.file} `)) {
      finish();
      const [name, sha256, size] = line
        .slice(RESULT_MARKERS.file.length + 1)
        .trim()
        .split(/\s+/);
      // Names come from the pod: never let one escape the results folder.
      current = SAFE_NAME.test(name ?? "") ? { name, sha256, size: Number(size), chunks: [] } : undefined;
    } else if (line.startsWith(RESULT_MARKERS.end)) {
      finish();
      const status = /status=(\d+)/.exec(line);
      if (status) result.exitStatus = Number(status[1]);
      break;
    } else if (current) {
      current.chunks.push(line.trim());
    }
  }
  finish();
  return result;
}
