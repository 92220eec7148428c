#!/bin/sh
# PID 1 in the guest's final root (the host userland): loopback, modules, the command, power off.
# Shared by the UML and qemu backends. Never exits: PID 1 exiting panics the kernel, and after
# `sysrq o` the 9p/hostfs root may already be gone, so it spins on shell builtins (see
# real-kernel-tests.md "Pitfalls").
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb
for kv in $(cat /proc/cmdline); do
  case "$kv" in
    ivm.*=*) k=${kv%%=*}; k=$(echo "${k#ivm.}" | tr a-z A-Z); export "IVM_$k=${kv#*=}" ;;
  esac
done
ip link set lo up
rc=0
if [ -n "${IVM_MODULES:-}" ]; then
  modprobe -a $(echo "$IVM_MODULES" | tr , ' ') 2>"$IVM_IO/modprobe.err" || rc=254
fi
if [ "$rc" = 0 ]; then
  bash "$IVM_IO/cmd.sh" >"$IVM_IO/stdout" 2>"$IVM_IO/stderr" </dev/null
  rc=$?
else
  cat "$IVM_IO/modprobe.err" >"$IVM_IO/stderr"
fi
echo "$rc" >"$IVM_IO/rc"
echo "IVM_EXIT_CODE=$rc"
sync
echo o > /proc/sysrq-trigger
while :; do :; done
