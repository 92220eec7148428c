/**
 * GET /install.sh: installs (or removes) the Vigil agent on a director.
 *
 *   curl -fsSL https://CP/install.sh -o vigil-install.sh
 *   echo 'SHA256  vigil-install.sh' | sha256sum -c -        # from the enrollment-token response
 *   printf '%s\n' "$TOKEN" | sh vigil-install.sh --token-stdin --cluster web --director lb1
 *   sh vigil-install.sh --uninstall
 *
 * The enrollment-token response carries this exact command with the script's checksum (and the
 * certificate's public-key pin when the control plane's certificate is self-signed), so the
 * script is verified before it runs even if it travelled over an untrusted path; the script in
 * turn checks the agent bundle against the SHA-256 it embeds.
 *
 * Needs a POSIX shell, curl, tar and node >= 20, and root. Secrets never appear on a command
 * line (visible to every user in /proc): the enrollment token comes on stdin or from a
 * root-only file, and both it and the agent credential reach curl through `-K -` on stdin.
 * Writes /etc/vigil/agent.json (0600); installs a hardened systemd unit and starts it, or,
 * without systemd, starts the agent directly and says so.
 */
import { shellQuote } from './public-url.ts';

export interface InstallScriptInput {
  /** Base URL of the control plane (already checked by public-url.ts). */
  url: string;
  /** SHA-256 (hex) of the agent bundle. */
  sha256: string;
  /** `sha256//<base64>` of the certificate's public key, when the server is HTTPS. */
  tlsPin?: string;
  /** The certificate is self-signed: curl skips CA verification and relies on the pin. */
  selfSigned?: boolean;
  /** The self-signed certificate (PEM): the agent trusts it as its CA (NODE_EXTRA_CA_CERTS). */
  caPem?: string;
}

export function installScript(o: InstallScriptInput): string {
  if (!/^[0-9a-f]{64}$/.test(o.sha256)) throw new Error('bundle checksum must be 64 hex digits');
  if (o.tlsPin !== undefined && !/^sha256\/\/[A-Za-z0-9+/=]{44}$/.test(o.tlsPin)) throw new Error('bad TLS pin');
  if (o.caPem !== undefined && !/^(-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n?)+$/.test(o.caPem)) throw new Error('bad CA certificate');
  return `#!/bin/sh
# Vigil agent installer, served by the control plane
set -eu

CP=${shellQuote(o.url)}
BUNDLE_SHA256=${shellQuote(o.sha256)}
CURL_PIN=${shellQuote(o.tlsPin ?? '')}
CURL_INSECURE=${o.selfSigned ? "'1'" : "''"}
CA_PEM=${shellQuote(o.caPem ?? '')}
PREFIX=/opt/vigil
CONF_DIR=/etc/vigil
STATE_DIR=/var/lib/vigil
UNIT=/etc/systemd/system/vigil-agent.service

say() { printf 'vigil-install: %s\\n' "$*"; }
die() { printf 'vigil-install: error: %s\\n' "$*" >&2; exit 1; }
# Every request to the control plane: pinned to its certificate's key when it has one.
cpcurl() {
  if [ -n "$CURL_PIN" ] && [ -n "$CURL_INSECURE" ]; then curl -k --pinnedpubkey "$CURL_PIN" "$@"
  elif [ -n "$CURL_PIN" ]; then curl --pinnedpubkey "$CURL_PIN" "$@"
  else curl "$@"; fi
}
# A bearer secret goes to curl as a config on stdin (printf is a shell builtin: no argv).
bearer() { printf 'header = "authorization: Bearer %s"\\n' "$1"; }

TOKEN= TOKEN_FROM= CLUSTER= DIRECTOR= LABELS= UNINSTALL=
while [ $# -gt 0 ]; do
  case "$1" in
    --token) die "the enrollment token never goes on the command line (every user can read it there): pipe it in with --token-stdin, or give a root-only file with --token-file FILE" ;;
    --token-stdin) TOKEN_FROM=stdin; shift ;;
    --token-file) TOKEN_FROM=\${2:?--token-file needs a path}; shift 2 ;;
    --cluster) CLUSTER=\${2:?--cluster needs a value}; shift 2 ;;
    --director) DIRECTOR=\${2:?--director needs a value}; shift 2 ;;
    --labels) LABELS=\${2:?--labels needs k=v,k=v}; shift 2 ;;
    --uninstall) UNINSTALL=1; shift ;;
    -h|--help) say "usage: printf '%s\\\\n' vge_... | sh install.sh --token-stdin --cluster NAME --director NAME [--labels k=v,...]  (or --token-file FILE) | --uninstall"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

[ "$(id -u)" = 0 ] || die "run as root (the agent needs raw sockets, addresses and IPVS)"
if [ "$TOKEN_FROM" = stdin ]; then
  IFS= read -r TOKEN || [ -n "$TOKEN" ] || die "--token-stdin: no token on stdin"
elif [ -n "$TOKEN_FROM" ]; then
  [ -f "$TOKEN_FROM" ] || die "--token-file $TOKEN_FROM: no such file"
  [ "$(stat -c %u "$TOKEN_FROM")" = 0 ] || die "--token-file $TOKEN_FROM: must be owned by root"
  case "$(stat -c %a "$TOKEN_FROM")" in 400|600) ;; *) die "--token-file $TOKEN_FROM: must be mode 0600 or 0400 (chmod 600 it)" ;; esac
  IFS= read -r TOKEN < "$TOKEN_FROM" || [ -n "$TOKEN" ] || die "--token-file $TOKEN_FROM: empty"
fi
if [ -n "$TOKEN" ]; then
  printf '%s' "$TOKEN" | grep -Eq '^vge_[A-Za-z0-9_-]{16,}$' || die "that is not an enrollment token (vge_...)"
fi
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
cpcurl -fsS "$CP/agent/vigil-agent.tar.gz" -o "$tmp/vigil-agent.tar.gz" || die "download failed"
got=$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write(c.createHash("sha256").update(f.readFileSync(process.argv[1])).digest("hex"))' "$tmp/vigil-agent.tar.gz")
[ "$got" = "$BUNDLE_SHA256" ] || die "checksum mismatch: expected $BUNDLE_SHA256, got $got (nothing was installed)"
tar -xzf "$tmp/vigil-agent.tar.gz" -C "$tmp"

# Enroll unless an existing credential still works.
mkdir -p "$CONF_DIR" "$STATE_DIR"
chmod 700 "$CONF_DIR"
# A self-signed control plane: the agent trusts exactly its certificate (embedded in this
# script, whose checksum the install command verified).
NODE_CA=
if [ -n "$CA_PEM" ]; then
  printf '%s\\n' "$CA_PEM" > "$CONF_DIR/control-plane.pem"
  chmod 644 "$CONF_DIR/control-plane.pem"
  NODE_CA="$CONF_DIR/control-plane.pem"
fi
enrolled=
if [ -f "$CONF_DIR/agent.json" ]; then
  cred=$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).credential||"")' "$CONF_DIR/agent.json" 2>/dev/null || true)
  if [ -n "$cred" ]; then
    code=$(bearer "$cred" | cpcurl -K - -s -o /dev/null -w '%{http_code}' "$CP/v1/agent/config" || true)
    case "$code" in 200|304|412) enrolled=1; say "already enrolled; keeping the credential" ;; esac
  fi
fi
if [ -z "$enrolled" ]; then
  [ -n "$TOKEN" ] || die "an enrollment token is required to enroll (--token-stdin or --token-file)"
  [ -n "$CLUSTER" ] || die "--cluster is required to enroll"
  [ -n "$DIRECTOR" ] || DIRECTOR=$(hostname -s 2>/dev/null || hostname)
  body=$(node -e '
    const [cluster, director, labels] = process.argv.slice(1);
    const l = {}; for (const kv of (labels || "").split(",").filter(Boolean)) { const i = kv.indexOf("="); if (i < 1) { console.error("bad label " + kv); process.exit(2); } l[kv.slice(0, i)] = kv.slice(i + 1); }
    process.stdout.write(JSON.stringify({ cluster, director, ...(Object.keys(l).length ? { labels: l } : {}) }));' "$CLUSTER" "$DIRECTOR" "$LABELS") || die "bad --labels (use k=v,k=v)"
  resp=$(bearer "$TOKEN" | cpcurl -K - -sS -w '\\n%{http_code}' -X POST -H 'content-type: application/json' --data "$body" "$CP/v1/agent/enroll") || die "enrollment request failed"
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
  if [ -n "$NODE_CA" ]; then UNIT_ENV="Environment=NODE_EXTRA_CA_CERTS=$NODE_CA"; else UNIT_ENV=; fi
  cat > "$UNIT" <<UNIT_EOF
[Unit]
Description=Vigil agent (VRRP + load balancing, managed)
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=/opt/vigil/bin/vigil agent --config /etc/vigil/agent.json --state-dir /var/lib/vigil
$UNIT_ENV
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
  if [ -n "$NODE_CA" ]; then export NODE_EXTRA_CA_CERTS="$NODE_CA"; fi
  nohup "$PREFIX/bin/vigil" agent --config "$CONF_DIR/agent.json" --state-dir "$STATE_DIR" >>"$STATE_DIR/agent.log" 2>&1 </dev/null &
  say "no systemd here: started the agent directly (pid $!, log $STATE_DIR/agent.log); start it from your init system at boot"
fi
`;
}
