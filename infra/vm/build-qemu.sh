#!/usr/bin/env bash
# One-time preparation of the qemu backend (idempotent; run by run-in-qemu.sh on first use):
# Debian's stock kernel (linux-image-amd64's current dependency) downloaded and unpacked into
# $VIGIL_VM_CACHE/qemu (never /boot or /lib/modules), pruned, depmod'ed; the uncompressed
# vmlinux extracted for PVH boot (skips the bzImage decompressor: ~1.7 s under TCG); and a
# small initramfs (static busybox + virtio/9p/overlay modules + init). Needs apt (root).
# VIGIL_VM_KERNEL picks another kernel meta-package (e.g. linux-image-6.12-amd64, which has
# ip_vs_twos); each gets its own cache dir.
set -euo pipefail
VM_CACHE=${VIGIL_VM_CACHE:-/tmp/vigil-vm-cache}
HERE=$(cd "$(dirname "$0")" && pwd)
META=${VIGIL_VM_KERNEL:-linux-image-amd64}
Q=$VM_CACHE/qemu; [ "$META" = linux-image-amd64 ] || Q=$VM_CACHE/qemu-$META
[ -s "$Q/ready" ] && exit 0
mkdir -p "$Q" && cd "$Q"
PKG=$(apt-cache depends "$META" | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -1)
[ -n "$PKG" ] || { echo "build-qemu.sh: cannot resolve $META (apt-get update?)" >&2; exit 1; }
ls ./"$PKG"_*.deb >/dev/null 2>&1 || apt-get download "$PKG" >&2
rm -rf kroot && dpkg -x ./"$PKG"_*.deb kroot
KVER=$(ls kroot/lib/modules | head -1)
# Drop module trees a headless test VM never loads (~400 MB -> ~120 MB).
for d in sound drivers/gpu drivers/media drivers/net/wireless drivers/infiniband drivers/staging drivers/iio drivers/hid drivers/input drivers/bluetooth net/bluetooth net/mac80211 net/wireless drivers/scsi drivers/usb; do
  rm -rf "kroot/lib/modules/$KVER/kernel/$d"
done
depmod -b kroot "$KVER"
# vmlinux: the payload inside the bzImage is an xz stream (FD 37 7A 58 5A 00) or, in newer
# kernels, zstd (28 B5 2F FD). Decompressors stop at the stream's end; trailing data is ignored.
OFF=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "kroot/boot/vmlinuz-$KVER" | head -1 | cut -d: -f1 || true)
if [ -n "$OFF" ]; then
  tail -c +$((OFF + 1)) "kroot/boot/vmlinuz-$KVER" | xz -dc --single-stream >vmlinux 2>/dev/null || true
else
  OFF=$(LC_ALL=C grep -obUaP '\x28\xb5\x2f\xfd' "kroot/boot/vmlinuz-$KVER" | head -1 | cut -d: -f1)
  tail -c +$((OFF + 1)) "kroot/boot/vmlinuz-$KVER" | zstd -dc >vmlinux 2>/dev/null || true
fi
[ "$(head -c 4 vmlinux | od -An -c | tr -d ' ')" = '177ELF' ] || { echo "build-qemu.sh: vmlinux extraction failed" >&2; exit 1; }
# initramfs
rm -rf initrd && mkdir -p initrd/bin initrd/mods initrd/proc initrd/sys initrd/dev initrd/lower initrd/rw initrd/newroot
cp /bin/busybox initrd/bin/busybox
: >initrd/modules.order
for ko in $(modprobe -a -d kroot -S "$KVER" --show-depends virtio_pci 9pnet_virtio 9p overlay | awk '$1 == "insmod" {print $2}'); do
  b=$(basename "$ko"); b=${b%.xz}; b=${b%.zst}
  [ -e "initrd/mods/$b" ] && continue
  case "$ko" in *.xz) xz -dc "$ko" >"initrd/mods/$b" ;; *.zst) zstd -dc "$ko" >"initrd/mods/$b" ;; *) cp "$ko" "initrd/mods/$b" ;; esac
  echo "$b" >>initrd/modules.order
done
cp "$HERE/qemu-init" initrd/init && chmod +x initrd/init
(cd initrd && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >initrd.img
rm -f ./*.deb # unpacked; a rebuild downloads it again
echo "$KVER" >ready
