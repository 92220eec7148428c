#!/usr/bin/env bash
# Runs a command inside qemu with Debian's stock amd64 kernel, under TCG (software emulation):
# KVM on these hosts is PVM and cannot run a stock kernel (real-kernel-tests.md). On a host with
# real KVM (kvm_intel/kvm_amd loaded) it uses KVM; IVM_ACCEL=kvm|tcg forces one.
# Options: see common.sh. First use builds the cache (build-qemu.sh).
set -euo pipefail
. "$(dirname "$0")/common.sh"
"$HERE/build-qemu.sh"
META=${VIGIL_VM_KERNEL:-linux-image-amd64}
Q=$VM_CACHE/qemu; [ "$META" = linux-image-amd64 ] || Q=$VM_CACHE/qemu-$META
ACCEL=${IVM_ACCEL:-auto}
if [ "$ACCEL" = auto ]; then
  ACCEL=tcg
  [ -e /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; } && ACCEL=kvm
fi
if [ "$ACCEL" = kvm ]; then MACH=(-accel kvm -cpu host,-arch-capabilities); else MACH=(-accel tcg,thread=multi -cpu max); fi
FS=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
    -virtfs "local,path=$IO,mount_tag=ivmio,security_model=none,multidevs=remap")
i=0
for d in "${RW[@]}"; do FS+=(-virtfs "local,path=$d,mount_tag=rw$i,security_model=none,multidevs=remap"); i=$((i + 1)); done
# No NIC at all: test traffic stays on the guest's loopback and its own veth/netns.
set +e
timeout --kill-after=5 "$TIMEOUT" qemu-system-x86_64 "${MACH[@]}" -m "$((MEM < 768 ? 768 : MEM))" -smp 2 \
  -nodefaults -no-user-config -nographic -serial stdio -monitor none -no-reboot -nic none \
  -bios /usr/share/qemu/qboot.rom -kernel "$Q/vmlinux" -initrd "$Q/initrd.img" \
  -append "console=ttyS0 quiet loglevel=1 panic=-1 rw ivm.moddir=$Q/kroot/lib/modules ivm.io=$IO ivm.stage2=$HERE/stage2.sh ivm.modules=$MODULES ivm.rw=$RW_CSV" \
  "${FS[@]}" </dev/null >"$IO/console" 2>&1
set -e
finish
