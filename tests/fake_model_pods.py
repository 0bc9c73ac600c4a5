# Fake model-server pods for the per-pod sampler's tests: each pod on its own loopback address
# (127.0.0.x, one port for all, as pods share their container port), a Service in front that
# spreads /v1/completions over them by weight, and the one Kubernetes API call the sampler makes
# (list pods by label selector), with its rules: a bearer token, and the Role's single namespace.
#
# Each pod's /metrics is what its server really exports, with counters that advance as requests
# finish there (state across the whole run):
# - "vllm": vLLM's own declarations (vllm/v1/metrics/loggers.py, PrometheusStatLogger.__init__,
#   v0.10: labels model_name and engine; request_success with finished_reason stop/length/abort;
#   the deprecated gpu_* twins still exported) rendered by prometheus_client, as vLLM serves them.
# - "sim": llm-d-inference-sim v0.8.2 (pkg/llm-d-inference-sim/metrics.go): its names, labels
#   (finish_reason, model_name only) and client_golang's text format (counters without an added
#   _total, labels sorted, no _created series, values as Go's %g, success series absent until the
#   first success).
# Per request a pod counts 100 prefix-cache query tokens and `hit_ratio` × 100 hits, so hit rates
# are exact by construction. Pod options: weight (share of the Service's requests), delay (s),
# die_after (s after start) or die_after_requests (once the Service has dispatched that many): the
# pod's server closes and it leaves the pod list, as a deleted pod does; hang_every (every
# Nth /metrics answers only after `hang_seconds`). Usage: fake_model_pods.py CONFIG_JSON; prints
# "ready" once listening and stops when stdin closes.
import asyncio
import json
import sys
import time

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

CONFIG = json.loads(sys.argv[1])
MODEL = CONFIG.get("model", "meta-llama/Llama-3.1-8B-Instruct")
PORT = CONFIG["port"]
STARTED = time.time()


def go_float(value):
    text = "%g" % value if value != int(value) or abs(value) >= 1e21 else "%d" % value
    return text


class Pod:
    def __init__(self, spec):
        self.spec = spec
        self.name = spec["name"]
        self.in_flight = 0
        self.metrics_calls = 0
        self.success = 0
        self.hits = 0
        self.queries = 0
        if spec.get("flavour", "vllm") == "vllm":
            self.registry = CollectorRegistry()
            labels = ["model_name", "engine"]
            self.running = Gauge("vllm:num_requests_running", "Number of requests in model execution batches.", labels, registry=self.registry)
            self.waiting = Gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.", labels, registry=self.registry)
            self.gpu_cache = Gauge("vllm:gpu_cache_usage_perc", "GPU KV-cache usage. 1 means 100 percent usage."
                                   "DEPRECATED: Use vllm:kv_cache_usage_perc instead.", labels, registry=self.registry)
            self.gpu_queries = Counter("vllm:gpu_prefix_cache_queries", "GPU prefix cache queries, in terms of number of queried"
                                       "tokens. DEPRECATED: Use vllm:prefix_cache_queries instead.", labels, registry=self.registry)
            self.gpu_hits = Counter("vllm:gpu_prefix_cache_hits", "GPU prefix cache hits, in terms of number of cached "
                                    "tokens. DEPRECATED: Use vllm:prefix_cache_hits instead.", labels, registry=self.registry)
            self.kv_cache = Gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", labels, registry=self.registry)
            self.prefix_queries = Counter("vllm:prefix_cache_queries", "Prefix cache queries, in terms of number of queried tokens.",
                                          labels, registry=self.registry)
            self.prefix_hits = Counter("vllm:prefix_cache_hits", "Prefix cache hits, in terms of number of cached tokens.",
                                       labels, registry=self.registry)
            self.preemptions = Counter("vllm:num_preemptions", "Cumulative number of preemption from the engine.", labels, registry=self.registry)
            self.prompt_tokens = Counter("vllm:prompt_tokens", "Number of prefill tokens processed.", labels, registry=self.registry)
            self.generation_tokens = Counter("vllm:generation_tokens", "Number of generation tokens processed.", labels, registry=self.registry)
            success = Counter("vllm:request_success", "Count of successfully processed requests.", labels + ["finished_reason"],
                              registry=self.registry)
            self.success_by_reason = {reason: success.labels(MODEL, "0", reason) for reason in ("stop", "length", "abort")}
            self.e2e = Histogram("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", labels,
                                 buckets=[0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0,
                                          120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0], registry=self.registry)
            self.ttft = Histogram("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", labels,
                                  buckets=[0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0,
                                           7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0], registry=self.registry)
            for metric in (self.running, self.waiting, self.gpu_cache, self.kv_cache, self.gpu_queries, self.gpu_hits,
                           self.prefix_queries, self.prefix_hits, self.preemptions, self.prompt_tokens, self.generation_tokens,
                           self.e2e, self.ttft):
                metric.labels(MODEL, "0")

    def kv_usage(self):
        return min(1.0, 0.1 * self.in_flight)

    def started(self):
        self.in_flight += 1
        if self.spec.get("flavour", "vllm") == "vllm":
            self.running.labels(MODEL, "0").set(self.in_flight)
            self.kv_cache.labels(MODEL, "0").set(self.kv_usage())
            self.gpu_cache.labels(MODEL, "0").set(self.kv_usage())

    def finished(self, seconds, tokens):
        self.in_flight -= 1
        self.success += 1
        self.queries += 100
        self.hits += int(round(100 * self.spec.get("hit_ratio", 0)))
        if self.spec.get("flavour", "vllm") == "vllm":
            engine = (MODEL, "0")
            self.running.labels(*engine).set(self.in_flight)
            self.kv_cache.labels(*engine).set(self.kv_usage())
            self.gpu_cache.labels(*engine).set(self.kv_usage())
            for counter in (self.prefix_queries, self.gpu_queries):
                counter.labels(*engine).inc(100)
            for counter in (self.prefix_hits, self.gpu_hits):
                counter.labels(*engine).inc(int(round(100 * self.spec.get("hit_ratio", 0))))
            self.prompt_tokens.labels(*engine).inc(100)
            self.generation_tokens.labels(*engine).inc(tokens)
            self.success_by_reason["length"].inc()
            self.e2e.labels(*engine).observe(seconds)
            self.ttft.labels(*engine).observe(seconds / 2)

    def exposition(self):
        if self.spec.get("flavour", "vllm") == "vllm":
            return generate_latest(self.registry)
        model = 'model_name="%s"' % MODEL
        out = []

        def family(name, kind, help_text, samples):
            out.append("# HELP %s %s\n# TYPE %s %s\n" % (name, help_text, name, kind))
            out.extend("%s{%s} %s\n" % (name, labels, go_float(value)) for labels, value in samples)
        family("vllm:cache_config_info", "gauge", "Information of the LLMEngine CacheConfig.", [('block_size="16",num_gpu_blocks="1024"', 1)])
        family("vllm:kv_cache_usage_perc", "gauge", "Prometheus metric for the fraction of KV-cache blocks currently in use (from 0 to 1).",
               [(model, self.kv_usage())])
        family("vllm:num_requests_running", "gauge", "Number of requests in model execution batches.", [(model, self.in_flight)])
        family("vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.", [(model, 0)])
        if self.queries:
            family("vllm:prefix_cache_hits", "counter", "Prefix cache hits, in terms of number of cached tokens.", [(model, self.hits)])
            family("vllm:prefix_cache_queries", "counter", "Prefix cache queries, in terms of number of queried tokens.", [(model, self.queries)])
        if self.success:
            family("vllm:request_success_total", "counter", "Count of successfully processed requests.",
                   [('finish_reason="length",' + model, self.success)])
        return "".join(out).encode()


PODS = [Pod(spec) for spec in CONFIG["pods"]]
ORDER = [pod for pod in PODS for _ in range(pod.spec.get("weight", 0))]
state = {"next": 0}


async def completion_for(pod, request):
    body = await request.json()
    n = max(2, min(int(body.get("max_tokens", 8)), 12))
    began = time.time()
    pod.started()
    try:
        await asyncio.sleep(pod.spec.get("delay", 0.01))
        if body.get("stream"):
            response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await response.prepare(request)
            for i in range(n):
                await response.write(b"data: " + json.dumps({"choices": [{"text": " w%d" % i}]}).encode() + b"\n\n")
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
        else:
            response = web.json_response({"choices": [{"text": " ".join("w%d" % i for i in range(n))}]})
    except BaseException:
        pod.in_flight -= 1
        raise
    pod.finished(time.time() - began, n)
    return response


async def service(request):
    pod = ORDER[state["next"] % len(ORDER)]
    state["next"] += 1
    return await completion_for(pod, request)


def pod_app(pod):
    async def metrics(request):
        pod.metrics_calls += 1
        every = pod.spec.get("hang_every")
        if every and pod.metrics_calls % every == 0:
            await asyncio.sleep(pod.spec.get("hang_seconds", 5))
        return web.Response(body=pod.exposition(), headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})

    async def completions(request):
        return await completion_for(pod, request)
    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_post("/v1/completions", completions)
    return app


def is_dead(pod):
    """A pod dies `die_after` seconds after start, or once the Service has dispatched `die_after_requests`."""
    after, requests = pod.spec.get("die_after"), pod.spec.get("die_after_requests")
    return (after is not None and time.time() - STARTED > after) or (requests is not None and state["next"] >= requests)


async def list_pods(request):
    # The API server's rules for this call: a bearer token, and RBAC's Role in one namespace only.
    if request.headers.get("Authorization") != "Bearer " + CONFIG["token"]:
        return web.json_response({"kind": "Status", "code": 401, "reason": "Unauthorized"}, status=401)
    if request.match_info["namespace"] != CONFIG["namespace"]:
        return web.json_response({"kind": "Status", "code": 403, "reason": "Forbidden"}, status=403)
    wanted = dict(term.split("=", 1) for term in request.query.get("labelSelector", "").split(",") if term)
    items = []
    for pod in PODS:
        if is_dead(pod):
            continue
        labels = {"app": "model-server-deployment"}
        if all(labels.get(k) == v for k, v in wanted.items()):
            items.append({"metadata": {"name": pod.name, "namespace": CONFIG["namespace"], "labels": labels},
                          "status": {"phase": "Running", "podIP": pod.spec["ip"]}})
    return web.json_response({"kind": "PodList", "apiVersion": "v1", "items": items})


async def main():
    runners = []
    front = web.Application()
    front.router.add_post("/v1/completions", service)
    front.router.add_get("/api/v1/namespaces/{namespace}/pods", list_pods)
    apps = [(front, CONFIG["service_ip"])] + [(pod_app(pod), pod.spec["ip"]) for pod in PODS]
    for app, ip in apps:
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, ip, PORT).start()
        runners.append((runner, ip))
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    done = loop.run_in_executor(None, sys.stdin.read)
    dead = set()
    while not done.done():
        await asyncio.sleep(0.1)
        for pod, (runner, _) in zip(PODS, runners[1:]):
            if is_dead(pod) and pod.name not in dead:
                dead.add(pod.name)
                await runner.cleanup()
    for pod, (runner, _) in zip([None] + PODS, runners):
        if pod is None or pod.name not in dead:
            await runner.cleanup()


asyncio.run(main())
