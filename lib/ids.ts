// Identifiers a user types: run ids and GCP project ids. One rule each, for every command and
// the Pulumi program.
import { RUN_ID_LENGTH } from "./catalog/catalog";
import { quoted } from "./errors";

const RUN_ID = new RegExp(`^[a-z0-9]([-a-z0-9]{0,${RUN_ID_LENGTH - 2}}[a-z0-9])?$`);

/**
 * What is wrong with a run id, or undefined. A run id is the Pulumi stack name and the suffix of
 * every benchmark's namespace `{name}-{run id}` (a DNS-1123 label of at most 63 characters), and
 * a folder name under the output folder: 1 to RUN_ID_LENGTH characters of a-z, 0-9 and "-",
 * starting and ending with a letter or digit.
 */
export function runIdProblem(runId: string): string | undefined {
  if (RUN_ID.test(runId)) return undefined;
  const why =
    runId.length > RUN_ID_LENGTH
      ? `is longer than ${RUN_ID_LENGTH} characters`
      : runId === ""
        ? "is empty"
        : `may hold only a-z, 0-9 and "-", with a letter or digit at each end`;
  return `run id ${quoted(runId, 24)} ${why} (it is the stack name and the end of each namespace {name}-{run id})`;
}

// Google Cloud's rule for project ids (Resource Manager, projects#Project.projectId; `gcloud
// projects create`): 6 to 30 lowercase ASCII letters, digits or hyphens, starting with a letter
// and not ending with a hyphen.
const GCP_PROJECT = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/;

/** What is wrong with a GCP project id, or undefined. */
export function gcpProjectProblem(project: string): string | undefined {
  if (GCP_PROJECT.test(project)) return undefined;
  return (
    `GCP project id ${quoted(project, 32)} is invalid: 6 to 30 characters of a-z, 0-9 and "-", ` +
    `starting with a letter, not ending with "-" (the project id, not its name or number)`
  );
}
