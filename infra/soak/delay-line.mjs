#!/usr/bin/env node
/**
 * A delay line for the soak: every packet an nftables rule in this network namespace queues
 * (`queue num QUEUE`) is held DELAY_MS and then accepted, in the order it came. It speaks
 * nfnetlink_queue (linux/netfilter/nfnetlink_queue.h) directly: this kernel has no sch_netem,
 * and a verdict given later is a real delay in the kernel's own output path.
 *
 *   ip netns exec NS node infra/soak/delay-line.mjs QUEUE DELAY_MS
 *
 * Prints "ready" once bound. The kernel drops what is still queued when the listener goes
 * away, so the caller removes its rule first and stops this DELAY_MS later.
 */
import netlink from 'netlink/dist/netlink.js';

const [queueArg, delayArg] = process.argv.slice(2);
if (!/^\d{1,5}$/.test(queueArg ?? '') || !/^\d{1,6}$/.test(delayArg ?? '') || Number(queueArg) > 65535) {
  process.stderr.write('usage: delay-line.mjs QUEUE(0-65535) DELAY_MS\n');
  process.exit(2);
}
const queue = Number(queueArg);
const delayMs = Number(delayArg);

const NETLINK_NETFILTER = 12;
const NFNL_SUBSYS_QUEUE = 3;
const type = (msg) => (NFNL_SUBSYS_QUEUE << 8) | msg;
const NFQNL_MSG_PACKET = 0;
const NFQNL_MSG_VERDICT = 1;
const NFQNL_MSG_CONFIG = 2;
const NFQA_CFG_CMD = 1;
const NFQA_CFG_PARAMS = 2;
const NFQA_PACKET_HDR = 1;
const NFQA_VERDICT_HDR = 2;
const NFQNL_CFG_CMD_BIND = 1;
const NFQNL_COPY_META = 1;
const NF_ACCEPT = 1;
const NLM_F_REQUEST = 1;
const NLM_F_ACK = 4;
const AF_UNSPEC = 0;
const AF_INET = 2;

/** struct nfgenmsg: family, version 0, res_id (the queue number, big-endian). */
function nfgen(resId) {
  const b = Buffer.alloc(4);
  b[0] = AF_UNSPEC;
  b.writeUInt16BE(resId, 2);
  return b;
}

/** A netlink attribute (struct nlattr), padded to 4 bytes. */
function attr(t, payload) {
  const len = 4 + payload.length;
  const b = Buffer.alloc((len + 3) & ~3);
  b.writeUInt16LE(len, 0);
  b.writeUInt16LE(t, 2);
  payload.copy(b, 4);
  return b;
}

function* attrs(buf, off) {
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) return;
    yield { type: buf.readUInt16LE(off + 2) & 0x3fff, value: buf.subarray(off + 4, off + len) };
    off += (len + 3) & ~3;
  }
}

const sock = netlink.createNetlink(NETLINK_NETFILTER, { ref: true });
sock.on('error', (e) => { process.stderr.write(`delay-line: ${e.message}\n`); process.exit(1); });

function verdict(id) {
  const hdr = Buffer.alloc(8);
  hdr.writeUInt32BE(NF_ACCEPT, 0);
  hdr.writeUInt32BE(id, 4);
  sock.send(type(NFQNL_MSG_VERDICT), [nfgen(queue), attr(NFQA_VERDICT_HDR, hdr)], { flags: NLM_F_REQUEST });
}

sock.on('message', (msgs) => {
  const at = Date.now();
  for (const m of msgs) {
    if (m.type !== type(NFQNL_MSG_PACKET)) continue;
    for (const a of attrs(m.data, 4)) {
      if (a.type !== NFQA_PACKET_HDR || a.value.length < 4) continue;
      const id = a.value.readUInt32BE(0);
      setTimeout(verdict, Math.max(0, at + delayMs - Date.now()), id);
    }
  }
});

const cmd = Buffer.alloc(4);
cmd[0] = NFQNL_CFG_CMD_BIND;
cmd.writeUInt16BE(AF_INET, 2);
// struct nfqnl_msg_config_params is packed: be32 copy_range, u8 copy_mode. Metadata is enough.
const params = Buffer.alloc(5);
params.writeUInt32BE(0, 0);
params[4] = NFQNL_COPY_META;
try {
  await sock.request(type(NFQNL_MSG_CONFIG), [nfgen(queue), attr(NFQA_CFG_CMD, cmd)], { flags: NLM_F_REQUEST | NLM_F_ACK, timeout: 5000 });
  await sock.request(type(NFQNL_MSG_CONFIG), [nfgen(queue), attr(NFQA_CFG_PARAMS, params)], { flags: NLM_F_REQUEST | NLM_F_ACK, timeout: 5000 });
} catch (e) {
  process.stderr.write(`delay-line: binding queue ${queue}: ${e.message}\n`);
  process.exit(1);
}
process.stdout.write('ready\n');
process.on('SIGTERM', () => { sock.close(); process.exit(0); });
