// A small fake Kubernetes API server on 127.0.0.1 for the real @kubernetes/client-node (and the
// readiness script): read/list/watch Jobs, list Pods, read pod logs (per container), and GET any
// object stored with setObject at its API path. Enough for the results collector, the shared
// infrastructure checks and the readiness check. It also holds every object the engine harness
// (tests/engine.ts) deploys, and deletes a namespace the way the API server does: with everything in it.

import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

type Json = Record<string, any>;

export class FakeKube {
  readonly jobs = new Map<string, Json>();
  readonly pods = new Map<string, Json[]>();
  readonly logs = new Map<string, string>();
  /** Every other object, by its API path (objectPath; setObject). */
  readonly objects = new Map<string, Json>();
  readonly requests: string[] = [];
  /** The Authorization header of each request, in order. */
  readonly authorizations: string[] = [];
  /** Close the next N watch streams at once, with no event (servers end watches). */
  dropWatches = 0;
  /** Answer every request 503, as an API server that is unreachable or overloaded. */
  unavailable = false;
  private resourceVersion = 1;
  /** Job events, so that a watch from a resourceVersion gets what happened since, as the API server's does. */
  private readonly events: Array<{ resourceVersion: number; namespace: string; type: string; object: Json }> = [];
  private readonly watchers = new Set<{ namespace: string; response: http.ServerResponse }>();
  private server?: http.Server;
  private scheme = "http";

  /** The server's URL (after start). */
  get url(): string {
    return `${this.scheme}://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** Serves plain HTTP, or HTTPS with `tls` (as a real API server does: clients then check its CA). */
  async start(options: { tls?: { key: string; cert: string } } = {}): Promise<KubeConfig> {
    const handler = (request: http.IncomingMessage, response: http.ServerResponse) => this.handle(request, response);
    this.scheme = options.tls ? "https" : "http";
    this.server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: "fake", server: `${this.scheme}://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: "fake", token: "fake-token" }],
      contexts: [{ name: "fake", cluster: "fake", user: "fake" }],
      currentContext: "fake",
    });
    return config;
  }

  async stop(): Promise<void> {
    for (const watcher of this.watchers) watcher.response.end();
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Forgets every Job, pod, log and object. */
  reset(): void {
    this.jobs.clear();
    this.pods.clear();
    this.logs.clear();
    this.objects.clear();
    this.events.length = 0;
  }

  /** Stores (or replaces) an object; GET on its API path returns it. */
  setObject(object: Json): void {
    this.objects.set(objectPath(object), structuredClone(object));
  }

  deleteObject(object: Json): void {
    this.objects.delete(objectPath(object));
  }

  /** Removes a namespace's Job and tells its watchers. */
  deleteJob(namespace: string): void {
    const job = this.jobs.get(namespace);
    if (!job) return;
    this.jobs.delete(namespace);
    this.resourceVersion++;
    this.publish(namespace, "DELETED", {
      ...job,
      metadata: { ...job.metadata, resourceVersion: String(this.resourceVersion) },
    });
  }

  /** Deletes a namespace and everything in it (the namespace controller's cascade). */
  deleteNamespace(namespace: string): void {
    this.deleteJob(namespace);
    for (const pod of this.pods.get(namespace) ?? []) this.logs.delete(pod.metadata?.name);
    this.pods.delete(namespace);
    for (const [key, object] of this.objects) {
      if (
        object.metadata?.namespace === namespace ||
        (object.kind === "Namespace" && object.metadata?.name === namespace)
      )
        this.objects.delete(key);
    }
  }

  /** Sets (or changes) a namespace's load-generator Job and tells its watchers. */
  setJob(namespace: string, job: Json): void {
    job.metadata = {
      ...(job.metadata ?? {}),
      name: "benchmark-tool",
      namespace,
      resourceVersion: String(++this.resourceVersion),
    };
    const type = this.jobs.has(namespace) ? "MODIFIED" : "ADDED";
    this.jobs.set(namespace, job);
    this.publish(namespace, type, job);
  }

  private publish(namespace: string, type: string, object: Json): void {
    this.events.push({ resourceVersion: this.resourceVersion, namespace, type, object });
    for (const watcher of this.watchers) {
      if (watcher.namespace === namespace || watcher.namespace === "*")
        watcher.response.write(`${JSON.stringify({ type, object })}\n`);
    }
  }

  /** A watch stream on one namespace's Jobs, or on all of them ("*"), from a resourceVersion. */
  private startWatch(namespace: string, response: http.ServerResponse, from?: string | null): void {
    response.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    if (this.dropWatches > 0) {
      this.dropWatches--;
      response.end();
      return;
    }
    if (from) {
      for (const event of this.events) {
        if (event.resourceVersion > Number(from) && (namespace === "*" || event.namespace === namespace))
          response.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
      }
    }
    const watcher = { namespace, response };
    this.watchers.add(watcher);
    response.on("close", () => this.watchers.delete(watcher));
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = new URL(request.url!, "http://x");
    this.requests.push(`${request.method} ${url.pathname}${url.searchParams.get("watch") ? " watch" : ""}`);
    this.authorizations.push(request.headers.authorization ?? "");
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": typeof body === "string" ? "text/plain" : "application/json" });
      response.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    const notFound = (what: string) =>
      send(404, {
        kind: "Status",
        apiVersion: "v1",
        status: "Failure",
        reason: "NotFound",
        code: 404,
        message: `${what} not found`,
      });
    if (this.unavailable)
      return send(503, {
        kind: "Status",
        apiVersion: "v1",
        status: "Failure",
        reason: "ServiceUnavailable",
        code: 503,
        message: "the server is currently unable to handle the request",
      });
    if (url.pathname === "/apis/batch/v1/jobs") {
      if (url.searchParams.get("watch") === "true")
        return this.startWatch("*", response, url.searchParams.get("resourceVersion"));
      return send(200, {
        apiVersion: "batch/v1",
        kind: "JobList",
        metadata: { resourceVersion: String(this.resourceVersion) },
        items: [...this.jobs.values()],
      });
    }
    let match = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs(?:\/([^/]+))?$/.exec(url.pathname);
    if (match) {
      const [, namespace, name] = match;
      if (url.searchParams.get("watch") === "true")
        return this.startWatch(namespace, response, url.searchParams.get("resourceVersion"));
      const job = this.jobs.get(namespace);
      if (name) return job ? send(200, job) : notFound(`jobs.batch "${name}"`);
      return send(200, {
        apiVersion: "batch/v1",
        kind: "JobList",
        metadata: { resourceVersion: String(this.resourceVersion) },
        items: job ? [job] : [],
      });
    }
    match = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname);
    if (match)
      return send(200, { apiVersion: "v1", kind: "PodList", metadata: {}, items: this.pods.get(match[1]) ?? [] });
    match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(url.pathname);
    if (match) {
      // A container's log is logs["pod/container"], else logs["pod"] (the main container's).
      const container = url.searchParams.get("container");
      const log = (container ? this.logs.get(`${match[2]}/${container}`) : undefined) ?? this.logs.get(match[2]);
      return log === undefined ? notFound(`pods "${match[2]}" log`) : send(200, log);
    }
    // Anything else stored (after the Job routes: a Job's state is the one setJob gave it).
    const stored = request.method === "GET" ? this.objects.get(url.pathname) : undefined;
    if (stored) return send(200, stored);
    notFound(url.pathname);
  }
}

/** The API path of an object: /api/v1/... for core kinds, /apis/<group>/<version>/... else. */
export function objectPath(object: Json): string {
  const kind = String(object.kind).toLowerCase();
  const plural = /(s|x)$/.test(kind) ? `${kind}es` : /[^aeiou]y$/.test(kind) ? `${kind.slice(0, -1)}ies` : `${kind}s`;
  const base = String(object.apiVersion).includes("/") ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
  const namespace = object.metadata?.namespace ? `/namespaces/${object.metadata.namespace}` : "";
  return `${base}${namespace}/${plural}/${object.metadata.name}`;
}

/** A Job in a given state, as the API server reports it. */
export function jobIn(state: "running" | "succeeded" | "failed"): Json {
  const conditions =
    state === "succeeded"
      ? [{ type: "Complete", status: "True" }]
      : state === "failed"
        ? [{ type: "Failed", status: "True", message: "Job has reached the specified backoff limit" }]
        : [];
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    spec: { backoffLimit: 0, template: { spec: { containers: [] } } },
    status: {
      startTime: "2026-11-28T10:00:00Z",
      ...(state === "succeeded" ? { completionTime: "2026-11-28T10:30:00Z", succeeded: 1 } : {}),
      ...(state === "failed" ? { failed: 1 } : {}),
      conditions,
    },
  };
}

export function pod(
  name: string,
  labels: Record<string, string>,
  containers: Array<[string, string, string]>,
  extra: Json = {},
): Json {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels, creationTimestamp: "2026-11-28T10:00:00Z" },
    status: {
      phase: "Succeeded",
      containerStatuses: containers.map(([container, image, imageID]) => ({
        name: container,
        image,
        imageID,
        ready: false,
        restartCount: 0,
      })),
      ...extra,
    },
  };
}
