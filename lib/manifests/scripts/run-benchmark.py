# inference-bench: runs the load generator (LOAD_GENERATOR=lpg or inference-perf), prints what it
# prints with every secret redacted, then prints the result files it wrote into the container log
# (header "inference-bench:file NAME SHA256 SIZE", then base64), where they outlive the container:
# lib/tool-output/log-archive.ts reads them back through the pods/log API.
# Python 3.9 compatible: the LPG image is python:3.9; the inference-perf image is python:3.12.
import base64
import glob
import hashlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pod_metrics

BEGIN, FILE, END = "inference-bench:results-begin", "inference-bench:file", "inference-bench:results-end"
NOTE, WARMUP, STREAMING = "inference-bench:note", "inference-bench:warmup", "inference-bench:streaming"
RATE = "inference-bench:rate"
# Where each rate begins and ends, as the tool prints it: the LPG's entry script echoes the rate
# and then, traced (set -o xtrace), cats the rate's output once benchmark_serving.py has exited;
# inference-perf logs "Stage N - run started" / "- run completed" (loadgen/load_generator.py).
LPG_RATE_BEGIN = re.compile(rb"^Benchmarking request rate: (\S+)")
LPG_RATE_END = re.compile(rb"^\++ cat \S*latency-profile-")
STAGE_EDGE = re.compile(rb"Stage (\d+) - run (started|completed)")
LPG_FINISHED = b"LPG_FINISHED=true"
# Where the readiness check (lib/manifests/readiness.ts) wrote the gateway's address, if it did.
ADDRESS_FILE = os.environ.get("ADDRESS_FILE", "")
REDACTED = b"[REDACTED]"
SECRETS = [value.encode() for value in (os.environ.get("HF_TOKEN", ""),) if len(value) >= 4]
state = {"child": None, "terminated": False}


def redact(data):
    for secret in SECRETS:
        data = data.replace(secret, REDACTED)
    return data


def emit(data):
    sys.stdout.buffer.write(redact(data))
    sys.stdout.buffer.flush()


def say(line):
    emit((line + "\n").encode())


def kill_group(process, sig):
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop(process):
    """SIGTERM to the whole process group (the script and what it started), SIGKILL 10 s later."""
    kill_group(process, signal.SIGTERM)
    timer = threading.Timer(10, kill_group, (process, signal.SIGKILL))
    timer.daemon = True  # never keeps the wrapper alive once the tool is gone
    timer.start()


def run(command, env, stop_at=None, lines=None, seconds=None, on_line=None):
    """Runs `command` in its own process group, printing its output redacted (and handing each line
    to `on_line`); stops it once it prints stop_at, or after `seconds`. Returns (stopped, exit status)."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, start_new_session=True
    )
    state["child"] = process
    seen = False
    expired = []
    if seconds is not None:
        timer = threading.Timer(seconds, lambda: (expired.append(True), stop(process)))
        timer.daemon = True
        timer.start()
    for line in iter(process.stdout.readline, b""):
        emit(line)
        if lines is not None:
            lines.append(line)
        if on_line is not None:
            on_line(line)
        if stop_at and not seen and stop_at in line:
            # Older LPG builds sleep forever once every rate is done.
            seen = True
            stop(process)
    status = process.wait()
    state["child"] = None
    return seen or bool(expired), status


def on_sigterm(signum, frame):
    # The pod is being stopped: stop the tool and still print what it wrote.
    state["terminated"] = True
    if state["child"] is not None:
        stop(state["child"])


def archive(files, status):
    contents = []
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        clean = redact(data)
        if clean != data:
            say("%s a secret was found in %s and redacted before it was printed" % (NOTE, os.path.basename(path)))
        contents.append((os.path.basename(path), clean))
    say(BEGIN)
    for name, data in contents:
        say("%s %s %s %d" % (FILE, name, hashlib.sha256(data).hexdigest(), len(data)))
        encoded = base64.b64encode(data).decode()
        for start in range(0, len(encoded), 76):
            say(encoded[start:start + 76])
    say("%s status=%d" % (END, status))
    return status


def start_sampler(env):
    """The per-pod sampler (pod_metrics.py), when the manifests asked for one."""
    if not env.get("POD_METRICS_SELECTOR"):
        return None
    path = os.path.join(tempfile.mkdtemp(prefix="pod-metrics-"), "pod-metrics.jsonl")
    return pod_metrics.PodSampler(env, path, lambda text: say("%s %s" % (NOTE, text))).start()


def mark(sampler, edge, what):
    """A rate's edge: the time, the cgroup's CPU throttling so far, and a scrape of every pod."""
    reading = pod_metrics.cpu_stat()
    usage = "-" if reading is None or reading[1] is None else reading[1]
    cpu = "" if reading is None else " throttled_usec=%d usage_usec=%s" % (reading[0], usage)
    say("%s-%s %s time=%.3f%s" % (RATE, edge, what, time.time(), cpu))
    if sampler is not None:
        sampler.trigger()


def lpg_edges(sampler):
    current = []

    def on_line(line):
        begin = LPG_RATE_BEGIN.match(line)
        if begin:
            current[:] = [begin.group(1).decode()]
            mark(sampler, "begin", "rate=" + current[0])
        elif current and LPG_RATE_END.match(line):
            mark(sampler, "end", "rate=" + current.pop())
    return on_line


def stage_edges(sampler):
    def on_line(line):
        edge = STAGE_EDGE.search(line)
        if edge:
            mark(sampler, "begin" if edge.group(2) == b"started" else "end", "stage=" + edge.group(1).decode())
    return on_line


def finish_sampler(sampler):
    if sampler is None:
        return []
    archive_path, scrapes, size = sampler.stop()
    say("%s pod-metrics: %d scrapes, %d bytes (%d gzipped)" % (NOTE, scrapes, size, os.path.getsize(archive_path)))
    return [archive_path]


def target_host(env_name):
    if ADDRESS_FILE and os.path.isfile(ADDRESS_FILE) and os.path.getsize(ADDRESS_FILE) > 0:
        with open(ADDRESS_FILE) as f:
            return f.read().strip()
    return os.environ.get(env_name, "")


def streaming_crashes(source):
    """True for LPG builds whose streaming path ends in AttributeError: '_end_time' (from
    AI-Hypercomputer/inference-benchmark fd39679 on): the request counter behind their QPS figure
    is only advanced by an aiohttp trace hook that the streaming session does not install."""
    if "class AsyncRequestCounter" not in source:
        return False
    body = re.search(r"async def send_stream_request\(.*?(?=\n(?:async )?def )", source, re.S)
    return body is not None and "trace_configs" not in body.group(0)


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def rate_text(rate):
    value = float(rate)
    return "0" if value == 0 else rate.strip()


def lpg():
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env["IP"] = target_host("IP")
    # The entry script compares the rate with the string "0" (MAX_NUM_PROMPTS, rate inf).
    rates = [rate_text(rate) for rate in env.get("REQUEST_RATES", "").split(",") if rate.strip()]
    env["REQUEST_RATES"] = ",".join(rates)
    say("inference-bench: target %s:%s, rates %s" % (env["IP"], env.get("PORT", ""), env["REQUEST_RATES"]))
    source, entry = read_text("benchmark_serving.py"), read_text("latency_throughput_curve.sh")
    streaming = env.get("STREAM_REQUEST") == "true"
    if streaming and streaming_crashes(source):
        streaming = False
        env["STREAM_REQUEST"] = "false"
        say("%s streaming off: this LPG build crashes when it streams (AttributeError: '_end_time', "
            "upstream fd39679); TTFT and ITL are not measured" % NOTE)
    say("%s %s" % (STREAMING, "on" if streaming else "off"))
    if "SLEEP_TIME" not in entry and re.search(r"^\s*sleep 30\b", entry, re.M):
        say("%s this LPG build pauses 30 s between rates whatever pause_seconds says" % NOTE)
    seconds = int(env.get("WARMUP_SECONDS") or "0")
    if seconds > 0:
        lpg_warmup(env, rates, seconds, streaming)
    if state["terminated"]:
        return archive([], 143)
    sampler = start_sampler(env)
    finished, status = run(
        ["bash", "./latency_throughput_curve.sh"], env, stop_at=LPG_FINISHED, on_line=lpg_edges(sampler)
    )
    pod_files = finish_sampler(sampler)
    if state["terminated"]:
        status = 143
    elif finished:
        status = 0
    elif status == 0:
        status = 1
    prefix = env.get("FILE_PREFIX", "benchmark-catalog")
    files = sorted(glob.glob(prefix + "-*.json")) + sorted(glob.glob("latency-profile-*.txt"))
    return archive(files + pod_files, status)


def lpg_warmup(env, rates, seconds, streaming):
    """Our warm-up (the LPG reads no WARMUP_SECONDS): the first non-zero rate for `seconds`,
    through the LPG's own benchmark_serving.py, with no result file."""
    rate = next((float(r) for r in rates if float(r) > 0), 1.0)
    prompts = max(1, int(rate * seconds))
    sharegpt = env.get("PROMPT_DATASET") == "sharegpt"
    dataset = "ShareGPT_V3_unfiltered_cleaned_split.json" if sharegpt else env.get("PROMPT_DATASET_FILE", "")
    command = ["python3", "benchmark_serving.py", "--host=" + env["IP"], "--port=" + env.get("PORT", ""),
               "--dataset=" + dataset, "--tokenizer=" + env.get("TOKENIZER", ""), "--request-rate=%s" % rate,
               "--backend=" + env.get("BACKEND", "vllm"),
               "--num-prompts=%d" % prompts, "--max-input-length=" + env.get("INPUT_LENGTH", ""),
               "--max-output-length=" + env.get("OUTPUT_LENGTH", ""), "--models=" + env.get("MODELS", "")]
    if env.get("TRAFFIC_SPLIT"):
        command.append("--traffic-split=" + env["TRAFFIC_SPLIT"])
    if streaming:
        command.append("--stream-request")
    say("%s-begin rate=%s seconds=%d prompts=%d" % (WARMUP, rate, seconds, prompts))
    lines = []
    _, status = run(command, env, lines=lines)
    counts = [re.search(rb"Successful/total requests: (\d+)/(\d+)", line) for line in lines]
    found = [match for match in counts if match]
    succeeded = found[0].group(1).decode() if found else "unknown"
    say("%s-end status=%d succeeded=%s attempted=%d" % (WARMUP, status, succeeded, prompts))


def inference_perf_command(config_file, base_url):
    return ["inference-perf", "--config_file", config_file, "--server.base_url", base_url, "--log-level", "INFO"]


def inference_perf_warmup(env, base_url):
    """Concurrent load's warm-up, whose stages have no duration: inference-perf at the first
    concurrency level with more requests than it can answer, stopped after WARMUP_SECONDS."""
    seconds = int(env.get("WARMUP_SECONDS") or "0")
    requests = env.get("WARMUP_REQUESTS", "0")
    say("%s-begin rate=%s seconds=%d prompts=%s" % (WARMUP, env.get("WARMUP_CONCURRENCY", "0"), seconds, requests))
    command = inference_perf_command(env["WARMUP_CONFIG_FILE"], base_url)
    stopped, status = run(command, env, seconds=seconds)
    say("%s-end status=%d succeeded=unknown attempted=%s" % (WARMUP, 0 if stopped else status, requests))


def inference_perf():
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    base_url = "http://%s:%s" % (target_host("TARGET_HOST"), env.get("PORT", ""))
    report_dir = env["REPORT_DIR"]
    say("inference-bench: target %s" % base_url)
    if env.get("WARMUP_CONFIG_FILE"):
        inference_perf_warmup(env, base_url)
    sampler = start_sampler(env)
    command = inference_perf_command(env["CONFIG_FILE"], base_url)
    # Stopped during the warm-up: the pod is going away, there is no measured run to start.
    status = 143 if state["terminated"] else run(command, env, on_line=stage_edges(sampler))[1]
    pod_files = finish_sampler(sampler)
    if state["terminated"]:
        status = 143
    files = sorted(path for path in glob.glob(os.path.join(report_dir, "*")) if os.path.isfile(path))
    return archive(files + pod_files, status)


def main():
    signal.signal(signal.SIGTERM, on_sigterm)
    tool = os.environ.get("LOAD_GENERATOR", "")
    if tool == "lpg":
        return lpg()
    if tool == "inference-perf":
        return inference_perf()
    say("inference-bench: LOAD_GENERATOR must be lpg or inference-perf (got %r)" % tool)
    return archive([], 2)


if __name__ == "__main__":
    sys.exit(main())
