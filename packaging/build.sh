#!/usr/bin/env bash
# Build the one-folder desktop app in dist/Restorer (and Restorer.app on macOS) with PyInstaller, from a venv of
# its own (build/venv-<variant>) holding a CPU-only torch, then run the app's self-test on the result and pack it.
#
#   bash packaging/build.sh            CPU build (default; about 0.9 GB on disk, see packaging/README.md)
#   VARIANT=cuda bash packaging/build.sh   CUDA build (torch as pinned in pyproject.toml: several GB)
#   TORCH_INDEX=URL bash packaging/build.sh   where pip finds the CPU torch (e.g. PyTorch's .../whl/cpu index)
#
# The dev venv (.venv) is not used: its CUDA torch, triton, torchvision and scipy would all end up in the bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
variant=${VARIANT:-cpu}
torch_cpu=${TORCH_CPU:-torch==2.13.0+cpu}
py=${PYTHON:-python3}
venv=build/venv-$variant
start=$(date +%s)

if [ ! -x "$venv/bin/python" ] && [ ! -x "$venv/Scripts/python.exe" ]; then
  "$py" -m venv "$venv"
fi
vpy=$venv/bin/python
[ -x "$vpy" ] || vpy=$venv/Scripts/python.exe  # Windows (Git Bash)

# The app's runtime dependencies as pyproject.toml lists them, torch apart: the CPU variant takes its own torch.
deps=$("$vpy" - <<'EOF'
import re, tomllib
deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
print("\n".join(d for d in deps if re.split(r"[=<>!~ \[;]", d)[0].strip().lower() != "torch"))
EOF
)
torch_pin=$("$vpy" -c 'import tomllib; print(next(d for d in tomllib.load(open("pyproject.toml","rb"))["project"]["dependencies"] if d.startswith("torch")))')
if [ "$variant" = cpu ]; then
  torch_req=$torch_cpu
elif [ "$variant" = cuda ]; then
  torch_req=$torch_pin
else
  echo "build.sh: VARIANT must be cpu or cuda, not '$variant'" >&2
  exit 2
fi
echo "== installing $torch_req and the app's dependencies into $venv" >&2
"$vpy" -m pip install --quiet ${TORCH_INDEX:+--extra-index-url "$TORCH_INDEX"} "$torch_req"
# shellcheck disable=SC2086  # one requirement per word
"$vpy" -m pip install --quiet $deps 'pyinstaller>=6.5'
if [ "$variant" = cpu ] && "$vpy" -m pip show triton >/dev/null 2>&1; then
  echo "build.sh: triton got into the CPU venv; it would add 0.7 GB to the bundle" >&2
  exit 1
fi

echo "== icons" >&2
"$vpy" packaging/make_icons.py

echo "== PyInstaller ($variant)" >&2
"$vpy" -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
  packaging/restorer.spec

app=dist/Restorer
exe=$app/restorer
[ -x "$exe" ] || exe=$app/restorer.exe
if [ "$variant" = cpu ]; then
  cuda=$(find "$app" \( -iname 'libcu*' -o -iname 'libnv*' -o -iname 'libnccl*' -o -iname 'cu*64_*.dll' \
         -o -iname 'triton' \) | head -5)
  if [ -n "$cuda" ]; then
    echo "build.sh: CUDA files in the CPU bundle (is the CPU torch installed in $venv?):" >&2
    echo "$cuda" >&2
    exit 1
  fi
fi
echo "== self-test of the built app" >&2
# From another folder, so nothing of the checkout can stand in for what the bundle lacks.
(cd "${TMPDIR:-/tmp}" && QT_QPA_PLATFORM=offscreen "$root/$exe" --selftest)

built=$(date +%s)
version=$("$vpy" -c 'import tomllib; print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])')
case "$(uname -s)" in
  Linux)
    cp packaging/linux/restorer.desktop packaging/linux/install-desktop-entry.sh "$app/"
    cp resources/icons/restorer.png "$app/restorer.png"
    archive=dist/Restorer-$version-linux-$(uname -m)-$variant.tar.gz
    tar -C dist -czf "$archive" Restorer
    ;;
  Darwin)
    archive=dist/Restorer-$version-macos-$(uname -m)-$variant.zip
    (cd dist && ditto -c -k --keepParent Restorer.app "$(basename "$archive")")
    ;;
  *)
    archive=dist/Restorer-$version-windows-$variant.zip
    (cd dist && "$root/$vpy" -m zipfile -c "$(basename "$archive")" Restorer)
    ;;
esac
echo "built $app: $(du -sh "$app" | cut -f1) on disk; $archive: $(du -sh "$archive" | cut -f1);" \
     "$(( built - start )) s to build and self-test, $(( $(date +%s) - built )) s to pack"
