// The errors a user can cause. Each prints as one line that names where the problem is
// (catalog errors: at most MAX_ERROR_LENGTH characters); the CLIs print `message` alone and
// Pulumi raises it as a ResourceError. Anything else that escapes is a bug in this tool and
// keeps its stack trace.

/** The longest catalog error line a user sees (location and detail included). */
export const MAX_ERROR_LENGTH = 200;

export class UserError extends Error {
  constructor(message: string, maxLength = Infinity) {
    super(oneLine(message, maxLength));
    this.name = new.target.name;
  }
}

/** A catalog that cannot be loaded, resolved or validated (the catalog engine caps it at MAX_ERROR_LENGTH). */
export class CatalogError extends UserError {}

/** Output on disk that would be overwritten, or cannot be written or read. */
export class SnapshotError extends UserError {}

/** Results that could not be collected or parsed. */
export class CollectionError extends UserError {}

/** `file:line:column: ` for messages, or `file: ` when the line is unknown. */
export function location(file: string, position?: { line: number; column: number }): string {
  return position ? `${file}:${position.line}:${position.column}` : file;
}

/** Shared cluster infrastructure that is missing, incompatible, or whose pinned files changed. */
export class ClusterError extends UserError {}

/**
 * User input quoted for an error message: `"text"`, or `"aaaa…" (1,048,576 characters)` when
 * it is longer than `max` characters. Control characters are escaped, so the message stays one line.
 */
export function quoted(text: string, max = 40): string {
  const characters = codePoints(text);
  if (characters <= max) return JSON.stringify(text);
  let end = 0;
  for (let count = 0; count < max; count++) end += (text.codePointAt(end) ?? 0) > 0xffff ? 2 : 1;
  return `${JSON.stringify(text.slice(0, end)).slice(0, -1)}…" (${characters.toLocaleString("en-US")} characters)`;
}

/** Characters (code points) in `text`, not UTF-16 units. */
export function codePoints(text: string, from = 0, to = text.length): number {
  let count = to - from;
  for (let i = from; i < to; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xdc00 && unit <= 0xdfff && i > from) {
      const before = text.charCodeAt(i - 1);
      if (before >= 0xd800 && before <= 0xdbff) count--;
    }
  }
  return count;
}

/** Joins names for a message, eliding after `max` of them: `a, b, c, … (10,000 in all)`. */
export function listed(names: readonly string[], max = 5): string {
  const shown = names.slice(0, max).join(", ");
  return names.length > max ? `${shown}, … (${names.length.toLocaleString("en-US")} in all)` : shown;
}

/** One line of at most `maxLength` characters: line breaks become spaces; a long middle is elided. */
export function oneLine(message: string, maxLength = MAX_ERROR_LENGTH): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it flattens
  const flat = message.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ");
  if (flat.length <= maxLength || codePoints(flat) <= maxLength) return flat;
  const characters = [...flat];
  const tail = 60;
  return `${characters.slice(0, maxLength - tail - 1).join("")}…${characters.slice(-tail).join("")}`;
}

/** A path for a message: a long one keeps its start and its end (the file's name). */
export function shortPath(file: string, max = 100): string {
  const characters = [...file];
  return characters.length <= max
    ? file
    : `${characters.slice(0, 30).join("")}…${characters.slice(-(max - 31)).join("")}`;
}

/**
 * The file-system fault behind `error`, for a message about `target`: what happened and what to do, in one
 * line of at most MAX_ERROR_LENGTH characters.
 */
export function fileSystemProblem(error: NodeJS.ErrnoException, target = ""): string {
  return oneLine(
    describeFileSystemProblem(error, shortPath(target || error.path || "(unknown path)")),
    MAX_ERROR_LENGTH,
  );
}

function describeFileSystemProblem(error: NodeJS.ErrnoException, where: string): string {
  switch (error.code) {
    case "EACCES":
    case "EPERM":
      return `${where}: permission denied; fix its permissions or choose another path`;
    case "EROFS":
      return `${where}: the file system is read-only; choose another path`;
    case "ENOSPC":
    case "EDQUOT":
      return `${where}: no space left on the device; free some space or choose another path`;
    case "ENOTDIR":
      return `${where}: a part of this path is a file, not a folder`;
    case "EISDIR":
      return `${where}: is a folder, not a file`;
    case "ENOENT":
      return `${where}: no such file or folder`;
    case "EEXIST":
      return `${where}: already exists`;
    case "ENAMETOOLONG":
      return `${quoted(where, 100)}: the name is too long`;
    case "ELOOP":
      return `${where}: too many levels of symbolic links (a link cycle); remove the link`;
    default:
      return (
        `${where}: ${error.code ?? "file system error"} ` +
        `(${oneLine(error.message.split(error.path ?? "\u0000").join("…"))})`
      );
  }
}
