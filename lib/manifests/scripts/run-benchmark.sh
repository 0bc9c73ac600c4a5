#!/bin/sh
# inference-bench: the load generator container's entry point. POSIX sh, because the
# inference-perf image (python:3.12-alpine) has no bash; the work is done in Python, which
# both load generator images have.
exec python3 "$(dirname "$0")/run-benchmark.py" "$@"
