// The errors a user can cause. Each prints as one line that names where the problem is;
// the CLIs print `message` alone and Pulumi raises it as a ResourceError. Anything else
// that escapes is a bug in this tool and keeps its stack trace.

export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A catalog that cannot be loaded, resolved or validated. */
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
