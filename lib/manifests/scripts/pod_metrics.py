# inference-bench: the per-pod sampler, run by run-benchmark.py inside the load generator's pod.
# It finds the model-server pods through the Kubernetes API (a Role allows get/list pods in its
# own namespace, nothing else), scrapes each pod's /metrics every POD_METRICS_INTERVAL seconds
# and whenever the wrapper says a rate begins or ends, keeps only the metrics attribution reads
# (POD_METRICS_KEEP, from lib/tool-output/pod-metrics.ts), and writes one JSON line per pod and
# scrape: {"time": <unix seconds>, "pod": "<name>", "text": "<exposition, kept lines>"}.
# Also reads the container's cgroup cpu.stat, for the load-fidelity verdict.
# Python 3.9 compatible (the LPG image is python:3.9), standard library only.
import concurrent.futures
import gzip
import json
import os
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

SA = "/var/run/secrets/kubernetes.io/serviceaccount"


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def read_pairs(path):
    text = read_text(path)
    if text is None:
        return {}
    pairs = (line.split() for line in text.splitlines())
    return {p[0]: int(p[1]) for p in pairs if len(p) == 2 and p[1].isdigit()}


def cpu_stat():
    """(throttled_usec, usage_usec) of this container's cgroup, or None. cgroup v2: cpu.stat's
    throttled_usec and usage_usec; v1: cpu.stat's throttled_time and cpuacct.usage, nanoseconds."""
    paths = {}
    for line in (read_text("/proc/self/cgroup") or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(",") if parts[1] else [""]:
                paths[controller] = parts[2].rstrip("/")
    root = "/sys/fs/cgroup"
    # With a cgroup namespace the path is "/"; without one the container sees its own cgroup at the root.
    for directory in (root + paths.get("", "/"), root):
        values = read_pairs(directory + "/cpu.stat")
        if "throttled_usec" in values:
            return values["throttled_usec"], values.get("usage_usec")
    for mount in ("cpu,cpuacct", "cpu"):
        for directory in (root + "/" + mount + paths.get("cpu", ""), root + "/" + mount):
            values = read_pairs(directory + "/cpu.stat")
            if "throttled_time" in values:
                usage = None
                for acct in (directory, root + "/cpuacct" + paths.get("cpuacct", ""), root + "/cpuacct"):
                    text = read_text(acct + "/cpuacct.usage")
                    if text and text.strip().isdigit():
                        usage = int(text) // 1000
                        break
                return values["throttled_time"] // 1000, usage
    return None


class PodSampler:
    def __init__(self, env, path, say):
        self.say = say
        self.path = path
        self.selector = env.get("POD_METRICS_SELECTOR", "")
        self.port = int(env.get("POD_METRICS_PORT") or "8000")
        self.interval = float(env.get("POD_METRICS_INTERVAL") or "5")
        self.timeout = float(env.get("POD_METRICS_TIMEOUT") or "3")
        self.keep = set(name for name in env.get("POD_METRICS_KEEP", "").split(",") if name)
        self.namespace = env.get("POD_METRICS_NAMESPACE") or (read_text(SA + "/namespace") or "").strip()
        # The same settings as the readiness check (lib/manifests/readiness.ts): in-cluster defaults.
        self.api = env.get("KUBE_API", "https://kubernetes.default.svc").rstrip("/")
        self.token_file = env.get("KUBE_TOKEN_FILE", SA + "/token")
        handlers = [urllib.request.ProxyHandler({})]
        if self.api.startswith("https:"):
            context = ssl.create_default_context(cafile=env.get("KUBE_CA", SA + "/ca.crt"))
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self.kube = urllib.request.build_opener(*handlers)
        self.direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.out = open(path, "w")
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.pods = {}
        self.trouble = {}
        self.scrapes = 0
        # Enough workers for a round at the edge beside a periodic one, each with a hung pod or two.
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=32)
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.edges = []

    def start(self):
        self.thread.start()
        return self

    def note(self, key, what, when):
        """Counts a kind of trouble; said once, at the end, with its first time."""
        entry = self.trouble.setdefault(key, [what, 0, when])
        entry[1] += 1

    def list_pods(self, now):
        query = urllib.parse.urlencode({"labelSelector": self.selector})
        url = "%s/api/v1/namespaces/%s/pods?%s" % (self.api, self.namespace, query)
        try:
            token = (read_text(self.token_file) or "").strip()
            request = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
            with self.kube.open(request, timeout=self.timeout) as response:
                items = json.load(response).get("items", [])
        except Exception as error:
            self.note(("list",), "listing pods failed (%s); scraped the pods listed before" % error, now)
            return self.pods
        pods = {}
        for pod in items:
            name, ip = pod.get("metadata", {}).get("name"), pod.get("status", {}).get("podIP")
            if name and ip and pod.get("status", {}).get("phase") == "Running":
                pods[name] = ip
        for name in self.pods:
            if name not in pods:
                self.note(("gone", name), "pod %s left the list of running pods" % name, now)
        return pods

    def keep_lines(self, text):
        kept = []
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name = line.split("{", 1)[0].split(" ", 1)[0]
                if name in self.keep:
                    kept.append(line)
        return "\n".join(kept) + "\n" if kept else ""

    def scrape(self, name, ip):
        started = time.time()
        url = "http://%s:%d/metrics" % (ip, self.port)
        try:
            with self.direct.open(url, timeout=self.timeout) as response:
                text = response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            self.note(("http", name, error.code), "pod %s answered /metrics with HTTP %d" % (name, error.code), started)
            return None
        except (socket.timeout, TimeoutError):
            self.note(("timeout", name), "pod %s: /metrics timed out after %g s" % (name, self.timeout), started)
            return None
        except Exception as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, (socket.timeout, TimeoutError)):
                self.note(("timeout", name), "pod %s: /metrics timed out after %g s" % (name, self.timeout), started)
            else:
                self.note(("error", name), "pod %s: /metrics failed (%s)" % (name, reason), started)
            return None
        return json.dumps({"time": round(started, 3), "pod": name, "text": self.keep_lines(text)}, sort_keys=True)

    def scrape_all(self):
        pods = self.list_pods(time.time())
        self.pods = pods
        lines = list(self.pool.map(lambda item: self.scrape(*item), sorted(pods.items())))
        with self.lock:
            for line in lines:
                if line is not None:
                    self.out.write(line + "\n")
                    self.scrapes += 1
            self.out.flush()

    def loop(self):
        while not self.stopping.is_set():
            self.scrape_all()
            self.wake.wait(self.interval)
            self.wake.clear()

    def trigger(self):
        """A rate begins or ends: scrape every pod now, beside any round under way (a hung pod must
        not hold the edge back while the next rate's requests already finish)."""
        edge = threading.Thread(target=self.scrape_all, daemon=True)
        self.edges.append(edge)
        edge.start()

    def stop(self):
        """Stops after one last scrape; says what went wrong; returns the gzipped file's path."""
        self.stopping.set()
        self.wake.set()
        self.thread.join()
        for edge in self.edges:
            edge.join()
        self.scrape_all()
        self.pool.shutdown()
        self.out.close()
        for what, count, first in sorted(self.trouble.values(), key=lambda entry: entry[2]):
            stamp = time.strftime("%H:%M:%S", time.gmtime(first))
            self.say("pod-metrics: %s (%d time%s, first at %s UTC)" % (what, count, "" if count == 1 else "s", stamp))
        archive = self.path + ".gz"
        with open(self.path, "rb") as source, gzip.open(archive, "wb") as target:
            target.write(source.read())
        return archive, self.scrapes, os.path.getsize(self.path)
