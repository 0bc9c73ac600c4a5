# Source this file: `source scripts/setup.sh`. It puts Node.js 22 on PATH (installing it from
# the npm registry into .tools/ when the machine's Node is older) and installs the project's
# dependencies with `npm ci` when they are missing or older than package-lock.json. Each phase
# that does work prints a line when it starts and one with its elapsed time when it ends; the
# install scripts (the native build of better-sqlite3) show their own output.
_ib_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Node's own builds trust only their bundled CAs; let them trust the system's too (proxies, private registries).
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi
_ib_phase() { _ib_started=$SECONDS; echo "setup: $1..." >&2; }
_ib_done() { echo "setup: $1 ($((SECONDS - _ib_started)) s)" >&2; }
_ib_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$_ib_major" -lt 22 ]; then
  _ib_tools="$_ib_root/.tools/node22"
  if [ ! -x "$_ib_tools/node_modules/.bin/node" ]; then
    _ib_phase "[1/2] Node.js $(node --version 2>/dev/null || echo "(none)") is older than 22: installing node@22 from the npm registry into .tools/"
    npm install --prefix "$_ib_tools" --no-audit --no-fund --loglevel=error node@22 >&2 || return 1 2>/dev/null || exit 1
    _ib_done "[1/2] Node.js $("$_ib_tools/node_modules/.bin/node" --version) installed"
  fi
  export PATH="$_ib_tools/node_modules/.bin:$PATH"
  # Native addons (better-sqlite3) must build against Node 22's headers, which node@22 ships.
  for _ib_headers in "$_ib_tools"/node_modules/node/node_modules/node-*; do
    [ -d "$_ib_headers/include/node" ] && export npm_config_nodedir="$_ib_headers"
  done
fi
if [ ! -f "$_ib_root/node_modules/.package-lock.json" ] || [ "$_ib_root/package-lock.json" -nt "$_ib_root/node_modules/.package-lock.json" ]; then
  _ib_phase "[2/2] installing dependencies (npm ci; the native build of better-sqlite3 shows its output and can take minutes)"
  (cd "$_ib_root" && npm ci --no-audit --no-fund --loglevel=error --foreground-scripts >&2) || return 1 2>/dev/null || exit 1
  _ib_done "[2/2] dependencies installed"
fi
unset -f _ib_phase _ib_done
unset _ib_root _ib_major _ib_tools _ib_headers _ib_started
