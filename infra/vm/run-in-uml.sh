#!/usr/bin/env bash
# Runs a command inside User-Mode Linux (Debian's user-mode-linux kernel, which has IPVS).
# Options: see common.sh. The kernel comes from the installed package, or is unpacked once into
# $VIGIL_VM_CACHE/uml from `apt-get download user-mode-linux` (nothing is installed).
set -euo pipefail
. "$(dirname "$0")/common.sh"

UML=/usr/bin/linux.uml
MODS=/usr/lib/uml/modules
# VIGIL_UML_FROM_CACHE=1 uses the unpacked .deb even when the package is installed.
if [ ! -x "$UML" ] || [ ! -d "$MODS" ] || [ "${VIGIL_UML_FROM_CACHE:-0}" = 1 ]; then
  U=$VM_CACHE/uml
  if [ ! -x "$U/root/usr/bin/linux.uml" ]; then
    mkdir -p "$U" && (cd "$U" && rm -f ./*.deb && apt-get download user-mode-linux >&2 && dpkg -x ./user-mode-linux_*.deb root)
  fi
  UML=$U/root/usr/bin/linux.uml
  MODS=$U/root/usr/lib/uml/modules
fi
MODTREE=$(ls -d "$MODS"/*/ | head -1); MODTREE=${MODTREE%/}
mkdir -p "$VM_CACHE/umldir"

# con0 on our stdin/stdout carries only kernel messages and stage2's exit line; the command's
# own output goes to $IO. Guest RAM is an unlinked file in $TMPDIR.
set +e
TMPDIR=${VIGIL_UML_TMPDIR:-/dev/shm} timeout --kill-after=5 "$TIMEOUT" "$UML" mem="${MEM}M" root=/dev/root rootfstype=hostfs rootflags=/ ro \
  init="$HERE/uml-init" con=null con0=fd:0,fd:1 quiet loglevel=1 uml_dir="$VM_CACHE/umldir" \
  ivm.modtree="$MODTREE" ivm.io="$IO" ivm.stage2="$HERE/stage2.sh" ivm.modules="$MODULES" ivm.rw="$RW_CSV" \
  </dev/null >"$IO/console" 2>&1
set -e
finish
