#!/usr/bin/env bash
# pgrender against Helm on this machine, in one run:
#   benches/compare-helm/run.sh            # full comparison (a few minutes)
#   benches/compare-helm/run.sh --check-only   # only: do both tools render the same objects?
# Installs Helm's renderer (PyPI helm-python-sdk, about 75 MB) into target/compare-helm/venv,
# builds pgrender in release mode and prints Markdown tables; extra arguments go to bench.py
# (e.g. --rounds 31; --baseline OTHER_BINARY compares two pgrender builds in one run).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$root/target/compare-helm"
mkdir -p "$work"

if [ ! -x "$work/venv/bin/python" ]; then
    python3 -m venv "$work/venv"
fi
if ! "$work/venv/bin/python" -c 'import helm_python' 2>/dev/null; then
    "$work/venv/bin/pip" install --quiet --disable-pip-version-check 'helm-python-sdk==0.2.2'
fi
if [ ! -x /usr/bin/time ]; then
    # Peak RSS is read from GNU time's -v report.
    if [ "$(id -u)" -eq 0 ]; then apt-get install -y -q time; else sudo apt-get install -y -q time; fi
fi

cargo build --release --locked --quiet --manifest-path "$root/Cargo.toml"
exec "$work/venv/bin/python" "$here/bench.py" "$root/target/release/pgrender" "$@"
