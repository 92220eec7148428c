/**
 * GET /install.sh: installs (or removes) the Vigil agent on a director.
 *
 *   curl -fsSL https://CP/install.sh | sh -s -- --token vge_… --cluster web --director lb1
 *   curl -fsSL https://CP/install.sh | sh -s -- --uninstall
 *
 * Needs a POSIX shell, curl, tar and node >= 20 (what the README says a director needs), and
 * root. It downloads the agent bundle and checks it against the SHA-256 this control plane
 * published in the script; enrolls with the token (skipped when an existing credential still
 * works, so a re-run is harmless); writes /etc/vigil/agent.json (0600); installs a hardened
 * systemd unit and starts it, or, without systemd, starts the agent directly and says so.
 */
export function installScript(o: { url: string; sha256: string }): string {
  return `#!/bin/sh
# Vigil agent installer, served by the control plane at ${o.url}
set -eu

CP='${o.url}'
BUNDLE_SHA256='${o.sha256}'
PREFIX=/opt/vigil
CONF_DIR=/etc/vigil
STATE_DIR=/var/lib/vigil
UNIT=/etc/systemd/system/vigil-agent.service

say() { printf 'vigil-install: %s\\n' "$*"; }
die() { printf 'vigil-install: error: %s\\n' "$*" >&2; exit 1; }

TOKEN= CLUSTER= DIRECTOR= LABELS= UNINSTALL=
while [ $# -gt 0 ]; do
  case "$1" in
    --token) TOKEN=\${2:?--token needs a value}; shift 2 ;;
    --cluster) CLUSTER=\${2:?--cluster needs a value}; shift 2 ;;
    --director) DIRECTOR=\${2:?--director needs a value}; shift 2 ;;
    --labels) LABELS=\${2:?--labels needs k=v,k=v}; shift 2 ;;
    --uninstall) UNINSTALL=1; shift ;;
    -h|--help) say "usage: sh install.sh --token vge_... --cluster NAME --director NAME [--labels k=v,...] | --uninstall"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

[ "$(id -u)" = 0 ] || die "run as root (the agent needs raw sockets, addresses and IPVS)"
HAVE_SYSTEMD=
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then HAVE_SYSTEMD=1; fi

stop_agent() {
  if [ -n "$HAVE_SYSTEMD" ] && [ -f "$UNIT" ]; then systemctl disable --now vigil-agent.service >/dev/null 2>&1 || true; fi
  if [ -f "$STATE_DIR/vigil.pid" ]; then
    pid=$(cat "$STATE_DIR/vigil.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
    fi
  fi
}

if [ -n "$UNINSTALL" ]; then
  stop_agent
  rm -f "$UNIT" /usr/local/bin/vigil
  [ -n "$HAVE_SYSTEMD" ] && systemctl daemon-reload >/dev/null 2>&1 || true
  rm -rf "$PREFIX" "$CONF_DIR" "$STATE_DIR"
  say "removed the Vigil agent (unit, $PREFIX, $CONF_DIR, $STATE_DIR)"
  exit 0
fi

command -v curl >/dev/null 2>&1 || die "curl is required"
command -v tar >/dev/null 2>&1 || die "tar is required"
command -v node >/dev/null 2>&1 || die "node >= 20 is required (see the README: what a director needs)"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || die "node >= 20 is required, found $(node --version)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
say "downloading the agent from $CP"
curl -fsS "$CP/agent/vigil-agent.tar.gz" -o "$tmp/vigil-agent.tar.gz" || die "download failed"
got=$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write(c.createHash("sha256").update(f.readFileSync(process.argv[1])).digest("hex"))' "$tmp/vigil-agent.tar.gz")
[ "$got" = "$BUNDLE_SHA256" ] || die "checksum mismatch: expected $BUNDLE_SHA256, got $got (nothing was installed)"
tar -xzf "$tmp/vigil-agent.tar.gz" -C "$tmp"

# Enroll unless an existing credential still works.
mkdir -p "$CONF_DIR" "$STATE_DIR"
chmod 700 "$CONF_DIR"
enrolled=
if [ -f "$CONF_DIR/agent.json" ]; then
  cred=$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).credential||"")' "$CONF_DIR/agent.json" 2>/dev/null || true)
  if [ -n "$cred" ]; then
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "authorization: Bearer $cred" "$CP/v1/agent/config" || true)
    case "$code" in 200|304|412) enrolled=1; say "already enrolled; keeping the credential" ;; esac
  fi
fi
if [ -z "$enrolled" ]; then
  [ -n "$TOKEN" ] || die "--token is required to enroll"
  [ -n "$CLUSTER" ] || die "--cluster is required to enroll"
  [ -n "$DIRECTOR" ] || DIRECTOR=$(hostname -s 2>/dev/null || hostname)
  body=$(node -e '
    const [cluster, director, labels] = process.argv.slice(1);
    const l = {}; for (const kv of (labels || "").split(",").filter(Boolean)) { const i = kv.indexOf("="); if (i < 1) { console.error("bad label " + kv); process.exit(2); } l[kv.slice(0, i)] = kv.slice(i + 1); }
    process.stdout.write(JSON.stringify({ cluster, director, ...(Object.keys(l).length ? { labels: l } : {}) }));' "$CLUSTER" "$DIRECTOR" "$LABELS") || die "bad --labels (use k=v,k=v)"
  resp=$(curl -sS -w '\\n%{http_code}' -X POST -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' --data "$body" "$CP/v1/agent/enroll") || die "enrollment request failed"
  code=$(printf '%s' "$resp" | tail -n 1)
  json=$(printf '%s' "$resp" | sed '$d')
  [ "$code" = 201 ] || die "enrollment refused ($code): $json"
  umask 077
  printf '%s' "$json" | node -e '
    const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const conf = { controlPlane: process.argv[1], credential: r.credential, director: r.director.name, cluster: r.cluster.name, site: r.site.name };
    require("fs").writeFileSync(process.argv[2], JSON.stringify(conf, null, 2) + "\\n", { mode: 0o600 });' "$CP" "$CONF_DIR/agent.json"
  say "enrolled as director $DIRECTOR of cluster $CLUSTER"
fi

stop_agent
rm -rf "$PREFIX.new"
mv "$tmp/vigil" "$PREFIX.new"
rm -rf "$PREFIX"
mv "$PREFIX.new" "$PREFIX"
ln -sf "$PREFIX/bin/vigil" /usr/local/bin/vigil

if [ -n "$HAVE_SYSTEMD" ]; then
  cat > "$UNIT" <<'UNIT_EOF'
[Unit]
Description=Vigil agent (VRRP + load balancing, managed)
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=/opt/vigil/bin/vigil agent --config /etc/vigil/agent.json --state-dir /var/lib/vigil
Restart=always
RestartSec=1
# Raw sockets, addresses/routes/IPVS, the pacer thread's real-time priority, signalling hooks.
CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN CAP_SYS_NICE CAP_KILL CAP_SETUID CAP_SETGID
AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN CAP_SYS_NICE
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=/var/lib/vigil /etc/vigil /run
ProtectHome=yes
PrivateTmp=yes
ProtectKernelModules=no
ProtectControlGroups=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_NETLINK AF_PACKET AF_UNIX
LockPersonality=yes
MemoryDenyWriteExecute=no

[Install]
WantedBy=multi-user.target
UNIT_EOF
  systemctl daemon-reload
  systemctl enable --now vigil-agent.service
  say "installed and started vigil-agent.service"
else
  nohup "$PREFIX/bin/vigil" agent --config "$CONF_DIR/agent.json" --state-dir "$STATE_DIR" >>"$STATE_DIR/agent.log" 2>&1 </dev/null &
  say "no systemd here: started the agent directly (pid $!, log $STATE_DIR/agent.log); start it from your init system at boot"
fi
`;
}
