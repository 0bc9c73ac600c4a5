// Readiness of the path the load generator will use, checked from inside its pod before any
// load is sent. Today: through a gateway, wait until the Gateway is Programmed and write its
// address for the load generator. Every load generator (LPG, inference-perf) uses this module,
// so that each one starts only when the same conditions hold.
import type { IRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IVolume } from "kubernetes-models/v1/Volume";
import type { IVolumeMount } from "kubernetes-models/v1/VolumeMount";
import { type BuildContext, type K8sObject, metadata, NAMES, roleBinding } from "./common";

const COMPONENT = "load-generator";
/** Where the readiness check writes the address the load generator must target. */
export const ADDRESS_DIR = "/gateway";
export const ADDRESS_FILE = `${ADDRESS_DIR}/address`;
/** The ConfigMap key (in the load generator's script ConfigMap) of the readiness check. */
export const READINESS_SCRIPT_KEY = "gateway-address.py";

/** Waits until the benchmark's Gateway is programmed and writes its address for the wrapper. */
export const GATEWAY_ADDRESS_SCRIPT = `import json, os, ssl, sys, time, urllib.request
sa = "/var/run/secrets/kubernetes.io/serviceaccount"
namespace = open(sa + "/namespace").read().strip()
url = "https://kubernetes.default.svc/apis/gateway.networking.k8s.io/v1/namespaces/%s/gateways/%s" % (namespace, os.environ["GATEWAY_NAME"])
context = ssl.create_default_context(cafile=sa + "/ca.crt")
deadline = time.time() + int(os.environ.get("WAIT_SECONDS", "3600"))
while True:
    try:
        request = urllib.request.Request(url, headers={"Authorization": "Bearer " + open(sa + "/token").read().strip()})
        status = json.load(urllib.request.urlopen(request, context=context, timeout=10)).get("status", {})
        programmed = any(c.get("type") == "Programmed" and c.get("status") == "True" for c in status.get("conditions", []))
        addresses = [a["value"] for a in status.get("addresses", []) if a.get("value")]
        if programmed and addresses:
            open("${ADDRESS_FILE}", "w").write(addresses[0])
            print("gateway address:", addresses[0])
            break
        print("waiting for the gateway to be programmed:", status.get("conditions", []))
    except Exception as error:
        print("waiting for the gateway:", error)
    if time.time() > deadline:
        sys.exit("the gateway was not programmed in time")
    time.sleep(10)
`;

/** What a load generator's Job and its namespace need for the readiness check. */
export interface Readiness {
  /** Role and RoleBinding the check needs (read access for the load generator's ServiceAccount). */
  objects: K8sObject[];
  /** Entries for the load generator's script ConfigMap. */
  scripts: Record<string, string>;
  /** Init containers of the Job's pod, in order. */
  initContainers: IContainer[];
  /** Pod volumes the init containers and the load generator share. */
  volumes: IVolume[];
  /** Mounts for the load generator's container (the address file). */
  mounts: IVolumeMount[];
}

/**
 * The readiness check for a benchmark. `image` runs the check (it needs python3);
 * `scriptMount` is where the script ConfigMap is mounted in the pod.
 */
export function buildReadiness(ctx: BuildContext, image: string, scriptMount: IVolumeMount): Readiness {
  if (ctx.benchmark.loadBalancer === "k8s_service") return { objects: [], scripts: {}, initContainers: [], volumes: [], mounts: [] };
  const addressMount = { name: "gateway-address", mountPath: ADDRESS_DIR };
  const role: IRole = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: metadata(ctx, NAMES.gatewayReaderRole, COMPONENT),
    rules: [{ apiGroups: ["gateway.networking.k8s.io"], resources: ["gateways"], resourceNames: [NAMES.gateway], verbs: ["get"] }],
  };
  return {
    objects: [role as K8sObject, roleBinding(ctx, NAMES.gatewayReaderRole, COMPONENT, NAMES.loadGenerator)],
    scripts: { [READINESS_SCRIPT_KEY]: GATEWAY_ADDRESS_SCRIPT },
    initContainers: [{
      name: "resolve-gateway-address",
      image,
      imagePullPolicy: "IfNotPresent",
      command: ["python3", `${scriptMount.mountPath}/${READINESS_SCRIPT_KEY}`],
      env: [{ name: "GATEWAY_NAME", value: NAMES.gateway }],
      volumeMounts: [scriptMount, addressMount],
    }],
    volumes: [{ name: "gateway-address", emptyDir: {} }],
    mounts: [addressMount],
  };
}
