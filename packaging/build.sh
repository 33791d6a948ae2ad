#!/usr/bin/env bash
# Build a one-folder desktop bundle in dist/restorer with PyInstaller (pip extra "packaging").
# A CPU-only torch wheel makes the bundle several GB smaller; on this project's machines pip takes the
# pinned CUDA build from local disk, so expect a large bundle there.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-venv.sh
.venv/bin/python -m pip install --quiet -e '.[packaging]'
.venv/bin/python -m PyInstaller --noconfirm --clean --distpath dist --workpath build packaging/restorer.spec
echo "built: $(pwd)/dist/restorer/restorer  (try: dist/restorer/restorer models)"
