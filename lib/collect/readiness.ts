// The readiness check's record, read from the load generator pod's init container log (the
// marker line lib/manifests/readiness.ts prints), for results/metadata.json: which conditions
// held, the probe request's status, and whether the endpoint picker was proven in the path.
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { READINESS_CONTAINER, READINESS_MARKER } from "../manifests/readiness";
import type { ReadinessRecord } from "../results/record";

/** The last marker line of a readiness log, or undefined. */
export function parseReadinessLog(log: string): ReadinessRecord | undefined {
  const line = log
    .split("\n")
    .reverse()
    .find((l) => l.startsWith(`${READINESS_MARKER} `));
  if (!line) return undefined;
  try {
    return JSON.parse(line.slice(READINESS_MARKER.length + 1)) as ReadinessRecord;
  } catch {
    return undefined;
  }
}

/** The readiness record of a load generator pod; a problem (a string) when it cannot be read. */
export async function readReadiness(
  kubeConfig: KubeConfig,
  namespace: string,
  pod: string,
): Promise<ReadinessRecord | string> {
  let log: string;
  try {
    log = String(
      await kubeConfig
        .makeApiClient(CoreV1Api)
        .readNamespacedPodLog({ name: pod, namespace, container: READINESS_CONTAINER }),
    );
  } catch (error) {
    return `cannot read the readiness log of pod ${pod}: ${(error as Error).message.split("\n")[0]}`;
  }
  return parseReadinessLog(log) ?? `the readiness log of pod ${pod} has no ${READINESS_MARKER} line`;
}
