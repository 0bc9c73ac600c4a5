// Readiness of the exact path the load generator will use, checked from inside its pod before
// any load is sent, for every flavour. An init container waits until
//   (a) every model-server replica is Ready,
//   (b) through a gateway: the Gateway is Programmed with an address, the HTTPRoute's parent
//       status for our Gateway has Accepted=True and ResolvedRefs=True, and for v1 pools the
//       InferencePool's parent status has them too (GIE v1.5.0 site-src/_includes/verify-status.md),
//   (c) a real one-token completion through the target the load generator will use answers 200,
// then writes that target to ADDRESS_FILE. Past the deadline it fails, naming the condition that
// never held, so the Job fails before any load. Either way it prints one marker line with what
// it saw (READINESS_MARKER + JSON), which the collector puts in results/metadata.json. Every load
// generator (LPG, inference-perf) uses this module, so each starts only when the same conditions hold.
import type { IRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IVolume } from "kubernetes-models/v1/Volume";
import type { IVolumeMount } from "kubernetes-models/v1/VolumeMount";
import { toolModels, toolPort } from "../catalog/tool";
import {
  type BuildContext,
  type K8sObject,
  LEAST_PRIVILEGE,
  metadata,
  NAMES,
  roleBinding,
  serviceAddress,
} from "./common";

const COMPONENT = "load-generator";
/** Where the readiness check writes the address the load generator must target. */
const ADDRESS_DIR = "/target";
export const ADDRESS_FILE = `${ADDRESS_DIR}/address`;
/** The ConfigMap key (in the load generator's script ConfigMap) of the readiness check. */
const READINESS_SCRIPT_KEY = "readiness.py";
/** The init container's name; the collector reads its log. */
export const READINESS_CONTAINER = "readiness";
/** Prefix of the one log line that records the outcome. */
export const READINESS_MARKER = "inference-bench:readiness";
/** How long the check waits for every condition (the model server has its own 60-minute wait before the Job exists). */
const READINESS_DEADLINE_SECONDS = 1800;
/**
 * The picker sets this response header when Envoy sends it the response headers ("for debugging purpose
 * only"; GIE v1.5.0 pkg/epp/handlers/response.go, v0.3.0 streamingserver.go).
 */
export const EPP_PROOF_HEADER = "x-went-into-resp-headers";
/** The load generator's request path (LPG benchmark_serving.py, backend vllm). */
const PROBE_PATH = "/v1/completions";

/** What the check waits for; the script reads it as JSON from READINESS_SPEC. */
export interface ReadinessSpec {
  namespace: string;
  /** The model server Deployment: every replica Ready. */
  deployment: string;
  /** The Gateway: Programmed, and its first status address is the target. */
  gateway?: string;
  /** The HTTPRoute whose parent status (for `gateway`) must be Accepted and ResolvedRefs. */
  route?: string;
  /**
   * The InferencePool (API with parent status) whose parent status (for `gateway`) must be Accepted and
   * ResolvedRefs.
   */
  pool?: { group: string; version: string; name: string };
  /** The target when there is no gateway (a Service's DNS name). */
  host?: string;
  port: number;
  path: string;
  /** Every model the load generator requests: each must answer. */
  models: string[];
  /** The response header that proves the endpoint picker was in the path (EPP flavours). */
  eppHeader?: string;
  deadlineSeconds: number;
  intervalSeconds: number;
  addressFile: string;
  marker: string;
}

/**
 * The check, with the Kubernetes API address, CA and token configurable (KUBE_API, KUBE_CA, KUBE_TOKEN_FILE)
 * and in-cluster defaults.
 */
export const READINESS_SCRIPT = `import json, os, ssl, sys, time, urllib.error, urllib.request
SA = "/var/run/secrets/kubernetes.io/serviceaccount"
spec = json.loads(os.environ["READINESS_SPEC"])
api = os.environ.get("KUBE_API", "https://kubernetes.default.svc").rstrip("/")
token_file = os.environ.get("KUBE_TOKEN_FILE", SA + "/token")
handlers = [urllib.request.ProxyHandler({})]
if api.startswith("https:"):
    handlers.append(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=os.environ.get("KUBE_CA", SA + "/ca.crt"))))
opener = urllib.request.build_opener(*handlers)
direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
ns = spec["namespace"]
started = time.time()

def get(path):
    request = urllib.request.Request(api + path, headers={"Authorization": "Bearer " + open(token_file).read().strip()})
    with opener.open(request, timeout=10) as response:
        return json.load(response)

def status_of(conditions, kind):
    return next((c.get("status") for c in conditions or [] if c.get("type") == kind), None)

def describe(conditions):
    return ", ".join("%s=%s%s" % (c.get("type"), c.get("status"), "/" + c["reason"] if c.get("reason") else "") for c in conditions or []) or "no conditions"

def model_server():
    d = get("/apis/apps/v1/namespaces/%s/deployments/%s" % (ns, spec["deployment"]))
    want = d.get("spec", {}).get("replicas", 1)
    s = d.get("status", {})
    current = s.get("observedGeneration", 0) >= d.get("metadata", {}).get("generation", 0)
    ready = min(s.get("readyReplicas", 0), s.get("updatedReplicas", 0))
    return [("model-server-ready", current and ready >= want, "%d/%d replicas ready and updated" % (ready, want))]

def parent_checks(what, parents):
    mine = [p for p in parents or [] if p.get("parentRef", {}).get("name") == spec["gateway"]]
    conditions = [c for p in mine for c in p.get("conditions", [])]
    detail = describe(conditions) if mine else "no parent status for Gateway %s" % spec["gateway"]
    return [(what + "-accepted", status_of(conditions, "Accepted") == "True", detail),
            (what + "-resolved-refs", status_of(conditions, "ResolvedRefs") == "True", detail)]

def gateway():
    g = get("/apis/gateway.networking.k8s.io/v1/namespaces/%s/gateways/%s" % (ns, spec["gateway"])).get("status", {})
    addresses = [a["value"] for a in g.get("addresses", []) if a.get("value")]
    held = status_of(g.get("conditions"), "Programmed") == "True" and bool(addresses)
    return [("gateway-programmed", held, describe(g.get("conditions")) + ("; address " + addresses[0] if addresses else "; no address"))], (addresses[0] if addresses else None)

def route():
    r = get("/apis/gateway.networking.k8s.io/v1/namespaces/%s/httproutes/%s" % (ns, spec["route"]))
    return parent_checks("route", r.get("status", {}).get("parents"))

def pool():
    p = spec["pool"]
    body = get("/apis/%s/%s/namespaces/%s/inferencepools/%s" % (p["group"], p["version"], ns, p["name"]))
    return parent_checks("pool", body.get("status", {}).get("parents"))

def probe(host):
    result = None
    for model in spec["models"]:
        url = "http://%s:%d%s" % (host, spec["port"], spec["path"])
        body = json.dumps({"model": model, "prompt": "Hello", "max_tokens": 1, "temperature": 0}).encode()
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        result = {"url": url, "model": model, "status": None, "headers": {}}
        try:
            with direct.open(request, timeout=60) as response:
                result["status"] = response.status
                headers = response.headers
                response.read()
        except urllib.error.HTTPError as error:
            result["status"], headers = error.code, error.headers
            result["body"] = error.read()[:300].decode("utf-8", "replace")
        except Exception as error:
            result["error"] = str(error)
            return False, result
        result["headers"] = {k: headers.get(k) for k in ([spec["eppHeader"]] if spec.get("eppHeader") else []) + ["x-inference-pod"] if headers.get(k) is not None}
        if result["status"] != 200:
            return False, result
    return True, result

def finish(ok, checks, probed, failed=None, message=None):
    record = {"ok": ok, "seconds": round(time.time() - started, 1), "target": None, "conditions": [{"name": n, "held": h, "detail": d} for n, h, d in checks]}
    if probed:
        record["target"] = probed["url"]
        record["probe"] = probed
    if spec.get("eppHeader"):
        record["epp_proof_header"] = spec["eppHeader"]
        record["epp_in_path"] = bool(probed) and (probed.get("headers", {}).get(spec["eppHeader"]) == "true")
    if failed:
        record["failed"] = failed
        record["message"] = message
    print(spec["marker"] + " " + json.dumps(record, sort_keys=True), flush=True)
    sys.exit(0 if ok else "readiness: " + message)

deadline = started + spec["deadlineSeconds"]
checks, probed, last = [], None, None
while True:
    checks, host = [], spec.get("host")
    try:
        checks += model_server()
        if spec.get("gateway"):
            gateway_checks, host = gateway()
            checks += gateway_checks
        if spec.get("route"):
            checks += route()
        if spec.get("pool"):
            checks += pool()
    except Exception as error:
        checks.append(("kubernetes-api", False, str(error)))
    waiting = [c for c in checks if not c[1]]
    if not waiting:
        ok, probed = probe(host)
        if ok:
            open(spec["addressFile"], "w").write(host)
            print("readiness: every condition holds and %s answered 200; target %s" % (probed["url"], host), flush=True)
            finish(True, checks, probed)
        checks.append(("probe-200", False, "%s answered %s" % (probed["url"], probed.get("status") or probed.get("error"))))
        waiting = checks[-1:]
    state = "; ".join("%s: %s" % (n, d) for n, _, d in waiting)
    if state != last:
        print("readiness: waiting for %s" % state, flush=True)
        last = state
    if time.time() >= deadline:
        name, _, detail = waiting[0]
        finish(False, checks, probed, name, "%s never held within %d s (%s)" % (name, spec["deadlineSeconds"], detail))
    time.sleep(spec["intervalSeconds"])
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
  /** What the check waits for (also in the init container's READINESS_SPEC). */
  spec: ReadinessSpec;
}

/** What the check waits for, for a benchmark. */
export function readinessSpec(ctx: BuildContext): ReadinessSpec {
  const lb = ctx.benchmark.loadBalancer;
  const viaGateway = lb !== "k8s_service";
  const epp = lb === "gateway.envoy.epp" || lb === "gateway.gke_gateway.epp";
  return {
    namespace: ctx.namespace,
    deployment: NAMES.modelServer,
    ...(viaGateway ? { gateway: NAMES.gateway, route: NAMES.route } : { host: serviceAddress(ctx.namespace) }),
    // Only the v1 API has pool parent status; nothing writes the v1alpha2 pool's on Envoy Gateway.
    ...(epp && ctx.benchmark.inferenceFlavor === "v1"
      ? { pool: { group: "inference.networking.k8s.io", version: "v1", name: NAMES.pool } }
      : {}),
    port: toolPort(ctx.benchmark.benchmark),
    path: PROBE_PATH,
    models: toolModels(ctx.benchmark.benchmark),
    ...(epp ? { eppHeader: EPP_PROOF_HEADER } : {}),
    deadlineSeconds: READINESS_DEADLINE_SECONDS,
    intervalSeconds: 5,
    addressFile: ADDRESS_FILE,
    marker: READINESS_MARKER,
  };
}

/** Read access to exactly the objects the check reads, by name. */
function readinessRole(ctx: BuildContext, spec: ReadinessSpec): IRole {
  const get = (apiGroup: string, resource: string, name: string) => ({
    apiGroups: [apiGroup],
    resources: [resource],
    resourceNames: [name],
    verbs: ["get"],
  });
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: metadata(ctx, NAMES.readinessRole, COMPONENT),
    rules: [
      get("apps", "deployments", spec.deployment),
      ...(spec.gateway ? [get("gateway.networking.k8s.io", "gateways", spec.gateway)] : []),
      ...(spec.route ? [get("gateway.networking.k8s.io", "httproutes", spec.route)] : []),
      ...(spec.pool ? [get(spec.pool.group, "inferencepools", spec.pool.name)] : []),
    ],
  };
}

/**
 * The readiness check for a benchmark. `image` runs the check (it needs python3);
 * `scriptMount` is where the script ConfigMap is mounted in the pod.
 */
export function buildReadiness(ctx: BuildContext, image: string, scriptMount: IVolumeMount): Readiness {
  const spec = readinessSpec(ctx);
  const addressMount = { name: "target-address", mountPath: ADDRESS_DIR };
  return {
    objects: [
      readinessRole(ctx, spec) as K8sObject,
      roleBinding(ctx, NAMES.readinessRole, COMPONENT, NAMES.loadGenerator),
    ],
    scripts: { [READINESS_SCRIPT_KEY]: READINESS_SCRIPT },
    initContainers: [
      {
        name: READINESS_CONTAINER,
        image,
        imagePullPolicy: "IfNotPresent",
        command: ["python3", `${scriptMount.mountPath}/${READINESS_SCRIPT_KEY}`],
        env: [{ name: "READINESS_SPEC", value: JSON.stringify(spec) }],
        volumeMounts: [scriptMount, addressMount],
        securityContext: { ...LEAST_PRIVILEGE },
      },
    ],
    volumes: [{ name: "target-address", emptyDir: {} }],
    mounts: [addressMount],
    spec,
  };
}
