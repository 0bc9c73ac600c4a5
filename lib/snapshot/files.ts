// Writing files that are records: read-only once written, replaced atomically, and never
// changed unless the caller says so.
import * as fs from "node:fs";
import * as path from "node:path";
import { fileSystemProblem, SnapshotError } from "../errors";

const READ_ONLY = 0o444;

/** Writes `content` to `file` atomically (temporary file + rename) and makes it read-only. */
export function writeReadOnly(file: string, content: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(temporary, content, { mode: 0o644 });
    fs.chmodSync(temporary, READ_ONLY);
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw new SnapshotError(fileSystemProblem(error as NodeJS.ErrnoException, file));
  }
}

/** True when `file` exists with exactly `content`. */
export function sameContent(file: string, content: string | Uint8Array): boolean {
  try {
    return Buffer.from(fs.readFileSync(file)).equals(Buffer.from(content));
  } catch {
    return false;
  }
}
