#!/usr/bin/env bash
# Quick start: install into .venv if needed, then open the app (or, with no display, colourise the sample photo).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/ensure-venv.sh
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ "$(uname)" = "Darwin" ]; then
  exec .venv/bin/restorer gui "$@"
fi
echo "no display found: colourising the sample photo instead of opening the window" >&2
.venv/bin/restorer colorize resources/sample/sample.jpg -o out --overwrite
echo "result: $(pwd)/out/sample_colour.jpg"
