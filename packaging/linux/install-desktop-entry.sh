#!/bin/sh
# Add Restorer to the desktop's application menu (for this user), pointing at the folder this script is in.
# Run it again after moving the folder; remove ~/.local/share/applications/restorer.desktop to undo.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
apps=${XDG_DATA_HOME:-$HOME/.local/share}/applications
mkdir -p "$apps"
sed -e "s|^Exec=.*|Exec=\"$here/restorer\" %F|" -e "s|^Icon=.*|Icon=$here/restorer.png|" \
  "$here/restorer.desktop" > "$apps/restorer.desktop.tmp"
mv "$apps/restorer.desktop.tmp" "$apps/restorer.desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$apps" || true
echo "Restorer added to the application menu ($apps/restorer.desktop)"
