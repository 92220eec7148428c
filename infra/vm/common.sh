# Shared argument parsing for run-in-uml.sh and run-in-qemu.sh (sourced, bash).
# Usage: run-in-*.sh [--modules a,b] [--cwd DIR] [--rw DIR]... [--env K=V]... [--mem MB]
#                    [--timeout S] [--io DIR] -- CMD ARGS...
# The guest sees the host's / read-only with a throwaway tmpfs overlay; only --rw dirs and the
# exchange dir (--io, default a temp dir) write through to the host. Exit status: the guest
# command's, 254 if a module failed to load, 255 if the guest never reported one (no boot).
VM_CACHE=${VIGIL_VM_CACHE:-/tmp/vigil-vm-cache}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODULES="" CWD=$PWD MEM=512 TIMEOUT=120 IO="" RW=() ENVS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --modules) MODULES=$2; shift 2 ;;
    --cwd) CWD=$2; shift 2 ;;
    --rw) RW+=("$(cd "$2" && pwd)"); shift 2 ;;
    --env) ENVS+=("$2"); shift 2 ;;
    --mem) MEM=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --io) IO=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "$(basename "$0"): unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "$(basename "$0"): no command (… -- CMD ARGS)" >&2; exit 2; }
OWN_IO=0
if [ -z "$IO" ]; then IO=$(mktemp -d /tmp/vigil-vm-io.XXXXXX); OWN_IO=1; trap 'rm -rf "$IO"' EXIT; fi
IO=$(cd "$IO" && pwd)
rm -f "$IO/rc" "$IO/stdout" "$IO/stderr"
{
  echo "cd $(printf '%q' "$CWD") || exit 253"
  for e in "${ENVS[@]}"; do echo "export $(printf '%q' "$e")"; done
  printf '%q ' "$@"; echo
} >"$IO/cmd.sh"
RW_CSV=$(IFS=,; echo "${RW[*]}")

# After the VM: print the command's output when the caller did not ask for the files, and
# exit with the guest command's status.
finish() {
  set +e
  local rc=255
  [ -s "$IO/rc" ] && rc=$(cat "$IO/rc")
  if [ "$OWN_IO" = 1 ]; then
    cat "$IO/stdout" 2>/dev/null
    cat "$IO/stderr" >&2 2>/dev/null
    rm -rf "$IO"
  fi
  exit "$rc"
}
