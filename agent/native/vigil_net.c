/*
 * vigil_net: the few socket features VRRP needs that Node does not have.
 *
 *   - raw IPv4 / IPv6 sockets for an IP protocol (112 = VRRP, 58 = ICMPv6), bound to a device,
 *     with multicast membership per ifindex, TTL / hop limit 255 on send, and the received
 *     TTL / hop limit, destination and ifindex reported per packet (IP header / ancillary data);
 *   - AF_PACKET SOCK_DGRAM sockets for gratuitous ARP (and for tests that watch the wire);
 *   - ICMP "ping" datagram sockets (SOCK_DGRAM + IPPROTO_ICMP/ICMPV6) for PING_CHECK: no IP
 *     header, the kernel owns the echo identifier and hands back only our replies; allowed to
 *     the groups in net.ipv4.ping_group_range (EACCES otherwise);
 *   - if_nametoindex and the hardware address of an interface;
 *   - the advert pacer: a thread that sends a master's periodic adverts at exact instants;
 *   - malloc_trim(3), so a long-running agent hands freed malloc memory back to the kernel.
 *
 * Receiving is event-driven: each socket owns a uv_poll handle on the agent's own event loop,
 * and the JS callback runs through napi_make_callback (so promise jobs drain after it). It never
 * blocks and never busy-polls; a readable event drains at most RX_BURST packets.
 *
 * Plain node_api.h (no node-addon-api), so the addon builds with only a C compiler and the
 * headers that ship with node (see build.mjs).
 */
#define NAPI_VERSION 8
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sched.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define RX_BUF_SIZE 65536
#define RX_BURST 64

enum kind { KIND_IP4 = 4, KIND_IP6 = 6, KIND_PACKET = 17, KIND_PING4 = 104, KIND_PING6 = 106 };

static int is_ping(int kind) { return kind == KIND_PING4 || kind == KIND_PING6; }

typedef struct {
  napi_env env;
  int fd;
  int kind;
  int protocol;
  int ifindex;
  uv_poll_t *poll;
  napi_ref cb;
  napi_ref self;
  napi_async_context actx;
  unsigned char *buf;
} sock_t;

/* ---------- small helpers ---------- */

#define CHECK(call)                                                                  \
  do {                                                                               \
    if ((call) != napi_ok) {                                                         \
      const napi_extended_error_info *info_;                                         \
      napi_get_last_error_info(env, &info_);                                         \
      bool pending_;                                                                 \
      napi_is_exception_pending(env, &pending_);                                     \
      if (!pending_)                                                                 \
        napi_throw_error(env, "ERR_VIGIL_NATIVE",                                    \
                         info_ && info_->error_message ? info_->error_message : #call); \
      return NULL;                                                                   \
    }                                                                                \
  } while (0)

static const char *errno_name(int e) {
  const char *n = strerrorname_np(e);
  return n ? n : "EUNKNOWN";
}

/* Throws an Error whose .code is the errno name, e.g. "EPERM", and whose message says what. */
static napi_value throw_errno(napi_env env, const char *what, int e) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s (%s)", what, strerror(e), errno_name(e));
  napi_throw_error(env, errno_name(e), msg);
  return NULL;
}

static napi_value make_errno_error(napi_env env, const char *what, int e) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s (%s)", what, strerror(e), errno_name(e));
  napi_value code, message, err;
  napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &err);
  return err;
}

static int get_int(napi_env env, napi_value v, int dflt) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return dflt;
  int32_t out;
  napi_get_value_int32(env, v, &out);
  return out;
}

/* Copies a JS string into buf; returns 0 when v is not a string. */
static int get_str(napi_env env, napi_value v, char *buf, size_t len) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return 0;
  size_t copied;
  napi_get_value_string_utf8(env, v, buf, len, &copied);
  return 1;
}

static napi_value str(napi_env env, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

static void format_mac(const unsigned char *a, int len, char *out) {
  char *p = out;
  *p = 0;
  for (int i = 0; i < len; i++) p += sprintf(p, i ? ":%02x" : "%02x", a[i]);
}

static int parse_mac(const char *s, unsigned char out[6]) {
  unsigned int b[6];
  if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6) return 0;
  for (int i = 0; i < 6; i++) {
    if (b[i] > 255) return 0;
    out[i] = (unsigned char)b[i];
  }
  return 1;
}

/* ---------- receive path ---------- */

static void deliver(sock_t *s, napi_value err, napi_value args_rest[6]) {
  napi_env env = s->env;
  napi_value cb, recv, argv[7], result;
  if (napi_get_reference_value(env, s->cb, &cb) != napi_ok || cb == NULL) return;
  /* napi_make_callback converts the receiver with ToObject: undefined would throw. */
  napi_get_global(env, &recv);
  if (err) {
    argv[0] = err;
    for (int i = 1; i < 7; i++) napi_get_undefined(env, &argv[i]);
  } else {
    napi_get_null(env, &argv[0]);
    for (int i = 0; i < 6; i++) argv[i + 1] = args_rest[i];
  }
  napi_status st = napi_make_callback(env, s->actx, recv, cb, 7, argv, &result);
  if (st == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
  }
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  sock_t *s = (sock_t *)handle->data;
  if (s == NULL) return;
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);

  if (status < 0) {
    deliver(s, make_errno_error(env, "poll", -status), NULL);
    napi_close_handle_scope(env, scope);
    return;
  }

  for (int burst = 0; burst < RX_BURST && s->fd >= 0 && handle->data; burst++) {
    struct sockaddr_storage from;
    char control[512];
    struct iovec iov = {.iov_base = s->buf, .iov_len = RX_BUF_SIZE};
    struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov,
                         .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t n = recvmsg(s->fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      deliver(s, make_errno_error(env, "recvmsg", errno), NULL);
      break;
    }

    char src[INET6_ADDRSTRLEN + 1] = "", dst[INET6_ADDRSTRLEN + 1] = "";
    int ttl = -1, ifindex = 0;
    /* How long ago the kernel received it (SO_TIMESTAMPNS, CLOCK_REALTIME): the VRRP timers
     * start from the reception, not from when this callback got to run. -1 = unknown. */
    double age_ms = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        struct timespec ts, now;
        memcpy(&ts, CMSG_DATA(c), sizeof ts);
        clock_gettime(CLOCK_REALTIME, &now);
        double age = (double)(now.tv_sec - ts.tv_sec) * 1e3 + (double)(now.tv_nsec - ts.tv_nsec) / 1e6;
        if (age >= 0 && age < 1000) age_ms = age;
      }
    }
    const unsigned char *payload = s->buf;
    size_t len = (size_t)n;

    if (is_ping(s->kind)) {
      /* Ping sockets deliver the ICMP message alone; the sender is the datagram's source. */
      if (from.ss_family == AF_INET) inet_ntop(AF_INET, &((struct sockaddr_in *)&from)->sin_addr, src, sizeof src);
      else inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&from)->sin6_addr, src, sizeof src);
    } else if (s->kind == KIND_IP4) {
      /* Raw IPv4 sockets deliver the IP header (options included; a fragmented datagram
       * reassembled, with the first fragment's header): TTL, source and destination come from
       * it, for every packet. The kernel never delivers a header shorter than its IHL. */
      if (len < 20) continue;
      size_t ihl = (size_t)(s->buf[0] & 0x0f) * 4;
      if (ihl < 20 || ihl > len) continue;
      ttl = s->buf[8];
      inet_ntop(AF_INET, s->buf + 12, src, sizeof src);
      inet_ntop(AF_INET, s->buf + 16, dst, sizeof dst);
      payload = s->buf + ihl;
      len -= ihl;
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
          struct in_pktinfo pi;
          memcpy(&pi, CMSG_DATA(c), sizeof pi);
          ifindex = pi.ipi_ifindex;
        }
      }
    } else if (s->kind == KIND_IP6) {
      /* Raw IPv6 sockets strip the header: hop limit and destination come as ancillary data
       * (IPV6_RECVHOPLIMIT, IPV6_RECVPKTINFO), for every packet. One the kernel did not report
       * (a truncated control buffer) stays unknown: ttl -1 and dst "", which the receive checks
       * drop ('ttl' / 'dst') instead of guessing. */
      struct sockaddr_in6 *f = (struct sockaddr_in6 *)&from;
      inet_ntop(AF_INET6, &f->sin6_addr, src, sizeof src);
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c && !(msg.msg_flags & MSG_CTRUNC); c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != IPPROTO_IPV6) continue;
        if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len == CMSG_LEN(sizeof(int))) {
          memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
        } else if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len == CMSG_LEN(sizeof(struct in6_pktinfo))) {
          struct in6_pktinfo pi;
          memcpy(&pi, CMSG_DATA(c), sizeof pi);
          inet_ntop(AF_INET6, &pi.ipi6_addr, dst, sizeof dst);
          ifindex = (int)pi.ipi6_ifindex;
        }
      }
    } else {
      /* AF_PACKET: source is the sender's MAC, destination says how the frame was addressed. */
      struct sockaddr_ll *ll = (struct sockaddr_ll *)&from;
      format_mac(ll->sll_addr, ll->sll_halen > 8 ? 8 : ll->sll_halen, src);
      const char *pkttype = ll->sll_pkttype == PACKET_BROADCAST   ? "broadcast"
                            : ll->sll_pkttype == PACKET_MULTICAST ? "multicast"
                            : ll->sll_pkttype == PACKET_HOST      ? "host"
                            : ll->sll_pkttype == PACKET_OUTGOING  ? "outgoing"
                                                                  : "otherhost";
      snprintf(dst, sizeof dst, "%s", pkttype);
      ifindex = ll->sll_ifindex;
    }

    napi_value rest[6];
    void *data;
    napi_create_buffer_copy(env, len, payload, &data, &rest[0]);
    rest[1] = str(env, src);
    rest[2] = str(env, dst);
    napi_create_int32(env, ttl, &rest[3]);
    napi_create_int32(env, ifindex, &rest[4]);
    napi_create_double(env, age_ms, &rest[5]);
    deliver(s, NULL, rest);
  }
  napi_close_handle_scope(env, scope);
}

/* ---------- lifecycle ---------- */

static void free_poll(uv_handle_t *h) { free(h); }

static void pace_remove(sock_t *s, int id);

static void sock_shutdown(sock_t *s) {
  pace_remove(s, -1);
  if (s->poll) {
    uv_poll_stop(s->poll);
    s->poll->data = NULL;
    uv_close((uv_handle_t *)s->poll, free_poll);
    s->poll = NULL;
  }
  if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
}

static void sock_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  sock_t *s = (sock_t *)data;
  sock_shutdown(s);
  if (s->cb) napi_delete_reference(env, s->cb);
  if (s->actx) napi_async_destroy(env, s->actx);
  free(s->buf);
  free(s);
}

static int set_int_opt(int fd, int level, int name, int val) {
  return setsockopt(fd, level, name, &val, sizeof val);
}

/*
 * new Socket(kind, protocol, ifindex, device, groups, hopLimit, multicastLoop)
 *   kind: 4 | 6 | 17 (packet); protocol: IP protocol, or ethertype for packet sockets;
 *   ifindex: interface for multicast membership / egress (0 = none); device: SO_BINDTODEVICE name
 *   or null; groups: multicast groups to join on ifindex; hopLimit: TTL / hop limit for unicast
 *   and multicast; multicastLoop: whether our own multicast comes back to this host.
 *   Optional: bindAddress (string: bind(2) to that local address, e.g. a checker's bindto),
 *   mark (SO_MARK, a checker's fwmark; 0 = none).
 *   kind 104 / 106: ICMP datagram ("ping") socket for IPv4 / IPv6; protocol, groups, hopLimit
 *   and multicastLoop are ignored.
 */
static napi_value sock_new(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  if (argc < 7) {
    napi_throw_type_error(env, "ERR_VIGIL_NATIVE", "Socket(kind, protocol, ifindex, device, groups, hopLimit, loop)");
    return NULL;
  }
  int kind = get_int(env, argv[0], 0), protocol = get_int(env, argv[1], -1), ifindex = get_int(env, argv[2], 0);
  char device[IF_NAMESIZE + 1] = "";
  int has_device = get_str(env, argv[3], device, sizeof device);
  int hop = get_int(env, argv[5], 255);
  bool loop = false;
  napi_get_value_bool(env, argv[6], &loop);
  if ((kind != KIND_IP4 && kind != KIND_IP6 && kind != KIND_PACKET && !is_ping(kind)) || protocol < 0) {
    napi_throw_range_error(env, "ERR_VIGIL_NATIVE", "kind must be 4, 6, 17, 104 or 106 and protocol >= 0");
    return NULL;
  }
  char bind_addr[INET6_ADDRSTRLEN + 1] = "";
  int has_bind = argc > 7 && get_str(env, argv[7], bind_addr, sizeof bind_addr) && bind_addr[0];
  int mark = argc > 8 ? get_int(env, argv[8], 0) : 0;
  int family = (kind == KIND_IP6 || kind == KIND_PING6) ? AF_INET6 : AF_INET;
  struct sockaddr_storage bind_ss;
  socklen_t bind_len = 0;
  memset(&bind_ss, 0, sizeof bind_ss);
  if (has_bind) {
    if (family == AF_INET) {
      struct sockaddr_in *b = (struct sockaddr_in *)&bind_ss;
      b->sin_family = AF_INET;
      bind_len = sizeof *b;
      if (inet_pton(AF_INET, bind_addr, &b->sin_addr) != 1) bind_len = 0;
    } else {
      struct sockaddr_in6 *b = (struct sockaddr_in6 *)&bind_ss;
      b->sin6_family = AF_INET6;
      b->sin6_scope_id = (uint32_t)ifindex;
      bind_len = sizeof *b;
      if (inet_pton(AF_INET6, bind_addr, &b->sin6_addr) != 1) bind_len = 0;
    }
    if (bind_len == 0) {
      napi_throw_type_error(env, "ERR_VIGIL_NATIVE", "invalid bind address for the socket's family");
      return NULL;
    }
  }

  int fd;
  if (is_ping(kind)) {
    fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
  } else if (kind == KIND_PACKET) {
    fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons((uint16_t)protocol));
  } else {
    fd = socket(kind == KIND_IP4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  }
  if (fd < 0) return throw_errno(env, "socket", errno);

#define OPT(call, what)                   \
  if ((call) < 0) {                       \
    int e_ = errno;                       \
    close(fd);                            \
    return throw_errno(env, what, e_);    \
  }

  if (mark) OPT(set_int_opt(fd, SOL_SOCKET, SO_MARK, mark), "SO_MARK");
  if (has_bind && kind != KIND_PACKET) OPT(bind(fd, (struct sockaddr *)&bind_ss, bind_len), "bind");

  if (is_ping(kind)) {
    if (has_device && device[0]) {
      OPT(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, (socklen_t)strlen(device)), "SO_BINDTODEVICE");
    }
  } else if (kind == KIND_PACKET) {
    if (ifindex > 0) {
      struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_protocol = htons((uint16_t)protocol), .sll_ifindex = ifindex};
      OPT(bind(fd, (struct sockaddr *)&ll, sizeof ll), "bind(AF_PACKET)");
    }
  } else {
    if (has_device && device[0]) {
      OPT(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, (socklen_t)strlen(device)), "SO_BINDTODEVICE");
    }
    if (kind == KIND_IP4 || kind == KIND_IP6) OPT(set_int_opt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1), "SO_TIMESTAMPNS");
    if (kind == KIND_IP4) {
      /* IP_HDRINCL stays off: the kernel writes the IP header, we read it back on receive. */
      OPT(set_int_opt(fd, IPPROTO_IP, IP_TTL, hop), "IP_TTL");
      OPT(set_int_opt(fd, IPPROTO_IP, IP_MULTICAST_TTL, hop), "IP_MULTICAST_TTL");
      OPT(set_int_opt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, loop ? 1 : 0), "IP_MULTICAST_LOOP");
      OPT(set_int_opt(fd, IPPROTO_IP, IP_PKTINFO, 1), "IP_PKTINFO");
      /* Only multicast groups this socket joined, not every group some socket of the host joined
       * (the default, IP_MULTICAST_ALL=1): a unicast-only VRRP socket must not see 224.0.0.18. */
      OPT(set_int_opt(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0), "IP_MULTICAST_ALL");
      if (ifindex > 0) {
        struct ip_mreqn m = {.imr_ifindex = ifindex};
        OPT(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m), "IP_MULTICAST_IF");
      }
    } else {
      OPT(set_int_opt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, hop), "IPV6_UNICAST_HOPS");
      OPT(set_int_opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, hop), "IPV6_MULTICAST_HOPS");
      OPT(set_int_opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, loop ? 1 : 0), "IPV6_MULTICAST_LOOP");
      OPT(set_int_opt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1), "IPV6_RECVPKTINFO");
      OPT(set_int_opt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1), "IPV6_RECVHOPLIMIT");
      OPT(set_int_opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0), "IPV6_MULTICAST_ALL"); /* Linux >= 4.20 */
      /* VRRP computes its own checksum (the codec); ICMPv6 checksums are always the kernel's. */
      if (protocol != IPPROTO_ICMPV6) OPT(set_int_opt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, -1), "IPV6_CHECKSUM");
      if (ifindex > 0) OPT(set_int_opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex), "IPV6_MULTICAST_IF");
    }

    uint32_t ngroups = 0;
    bool is_array = false;
    napi_is_array(env, argv[4], &is_array);
    if (is_array) napi_get_array_length(env, argv[4], &ngroups);
    for (uint32_t i = 0; i < ngroups; i++) {
      napi_value g;
      char group[INET6_ADDRSTRLEN + 1];
      napi_get_element(env, argv[4], i, &g);
      if (!get_str(env, g, group, sizeof group)) continue;
      if (kind == KIND_IP4) {
        struct ip_mreqn m = {.imr_ifindex = ifindex};
        if (inet_pton(AF_INET, group, &m.imr_multiaddr) != 1) {
          close(fd);
          napi_throw_type_error(env, "ERR_VIGIL_NATIVE", "invalid IPv4 multicast group");
          return NULL;
        }
        OPT(setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m), "IP_ADD_MEMBERSHIP");
      } else {
        struct ipv6_mreq m = {.ipv6mr_interface = (unsigned)ifindex};
        if (inet_pton(AF_INET6, group, &m.ipv6mr_multiaddr) != 1) {
          close(fd);
          napi_throw_type_error(env, "ERR_VIGIL_NATIVE", "invalid IPv6 multicast group");
          return NULL;
        }
        OPT(setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &m, sizeof m), "IPV6_ADD_MEMBERSHIP");
      }
    }
  }
#undef OPT

  sock_t *s = calloc(1, sizeof *s);
  s->env = env;
  s->fd = fd;
  s->kind = kind;
  s->protocol = protocol;
  s->ifindex = ifindex;
  s->buf = malloc(RX_BUF_SIZE);
  napi_value resource_name = str(env, "vigil:raw-socket");
  napi_async_init(env, self, resource_name, &s->actx);
  CHECK(napi_wrap(env, self, s, sock_finalize, NULL, NULL));
  return self;
}

static sock_t *unwrap(napi_env env, napi_value self) {
  sock_t *s = NULL;
  napi_unwrap(env, self, (void **)&s);
  return s;
}

/* socket.start(cb): cb(err, payload, src, dst, ttl, ifindex) for every packet, until close(). */
static napi_value sock_start(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  sock_t *s = unwrap(env, self);
  if (!s || s->fd < 0) return throw_errno(env, "start", EBADF);
  if (s->poll) {
    napi_throw_error(env, "ERR_VIGIL_NATIVE", "start() called twice");
    return NULL;
  }
  CHECK(napi_create_reference(env, argv[0], 1, &s->cb));
  /* Keep the wrapper alive while it is polling, so a dropped reference cannot free it mid-event. */
  CHECK(napi_create_reference(env, self, 1, &s->self));
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  s->poll = calloc(1, sizeof *s->poll);
  int rc = uv_poll_init(loop, s->poll, s->fd);
  if (rc < 0) {
    free(s->poll);
    s->poll = NULL;
    return throw_errno(env, "uv_poll_init", -rc);
  }
  s->poll->data = s;
  rc = uv_poll_start(s->poll, UV_READABLE, on_readable);
  if (rc < 0) return throw_errno(env, "uv_poll_start", -rc);
  return NULL;
}

/*
 * socket.send(buf, dst, ifindex, source, hopLimit) -> bytes sent, or -errno for a kernel refusal
 * (ENETUNREACH, ENETDOWN, ...): expected outcomes are results, not exceptions.
 *   ip4/ip6: dst is an address; ifindex/source go into IP(V6)_PKTINFO (source = local address the
 *   packet leaves from); hopLimit > 0 overrides the socket's TTL for this packet (IP_TTL /
 *   IPV6_HOPLIMIT cmsg). packet: dst is a MAC address, ifindex required.
 */
/* A message ready for sendmsg(): destination, ancillary data and payload, self-contained so the
 * pacer thread can keep one and send it again without touching JS values. */
typedef struct {
  struct sockaddr_storage to;
  socklen_t tolen;
  char control[128];
  size_t clen;
  unsigned char *payload; /* owned by the caller of prepare_msg */
  size_t len;
} prepared_t;

/* Builds `m` for socket `s`; returns NULL or a static error message (a TypeError for JS). */
static const char *prepare_msg(sock_t *s, const char *dst, int ifindex, const char *source, int hop, prepared_t *m) {
  memset(m->control, 0, sizeof m->control);
  memset(&m->to, 0, sizeof m->to);
  m->clen = 0;
  if (ifindex <= 0) ifindex = s->ifindex;
  int has_source = source && source[0];
  if (s->kind == KIND_PACKET) {
    struct sockaddr_ll *ll = (struct sockaddr_ll *)&m->to;
    ll->sll_family = AF_PACKET;
    ll->sll_protocol = htons((uint16_t)s->protocol);
    ll->sll_ifindex = ifindex;
    ll->sll_halen = 6;
    if (!parse_mac(dst, ll->sll_addr) || ifindex <= 0) return "send: packet sockets need a MAC destination and an ifindex";
    m->tolen = sizeof *ll;
    return NULL;
  }
  struct msghdr probe = {.msg_control = m->control, .msg_controllen = sizeof m->control};
  struct cmsghdr *c = CMSG_FIRSTHDR(&probe);
  if (s->kind == KIND_IP4 || s->kind == KIND_PING4) {
    struct sockaddr_in *to = (struct sockaddr_in *)&m->to;
    to->sin_family = AF_INET;
    if (inet_pton(AF_INET, dst, &to->sin_addr) != 1) return "send: invalid IPv4 destination";
    m->tolen = sizeof *to;
    if (has_source || ifindex > 0) {
      struct in_pktinfo pi = {.ipi_ifindex = ifindex};
      if (has_source && inet_pton(AF_INET, source, &pi.ipi_spec_dst) != 1) return "send: invalid IPv4 source";
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof pi);
      memcpy(CMSG_DATA(c), &pi, sizeof pi);
      m->clen += CMSG_SPACE(sizeof pi);
      c = (struct cmsghdr *)(m->control + m->clen);
    }
    if (hop > 0) {
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_TTL;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(c), &hop, sizeof hop);
      m->clen += CMSG_SPACE(sizeof(int));
    }
    return NULL;
  }
  struct sockaddr_in6 *to = (struct sockaddr_in6 *)&m->to;
  to->sin6_family = AF_INET6;
  if (inet_pton(AF_INET6, dst, &to->sin6_addr) != 1) return "send: invalid IPv6 destination";
  if (IN6_IS_ADDR_LINKLOCAL(&to->sin6_addr) || IN6_IS_ADDR_MULTICAST(&to->sin6_addr)) to->sin6_scope_id = (uint32_t)ifindex;
  m->tolen = sizeof *to;
  if (has_source || ifindex > 0) {
    struct in6_pktinfo pi = {.ipi6_ifindex = (unsigned)ifindex};
    if (has_source && inet_pton(AF_INET6, source, &pi.ipi6_addr) != 1) return "send: invalid IPv6 source";
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi);
    memcpy(CMSG_DATA(c), &pi, sizeof pi);
    m->clen += CMSG_SPACE(sizeof pi);
    c = (struct cmsghdr *)(m->control + m->clen);
  }
  if (hop > 0) {
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_HOPLIMIT;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &hop, sizeof hop);
    m->clen += CMSG_SPACE(sizeof(int));
  }
  return NULL;
}

/* sendmsg() of a prepared message: bytes sent or -errno. */
static ssize_t send_prepared(int fd, prepared_t *m) {
  struct iovec iov = {.iov_base = m->payload, .iov_len = m->len};
  struct msghdr msg = {.msg_name = &m->to, .msg_namelen = m->tolen, .msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = m->clen ? m->control : NULL, .msg_controllen = m->clen};
  ssize_t n = sendmsg(fd, &msg, 0);
  return n < 0 ? -errno : n;
}

/* Reads send()/pace() arguments (payload, dst, ifindex, source, hopLimit) into `m`; false if it threw. */
static bool read_send_args(napi_env env, sock_t *s, size_t argc, napi_value *argv, prepared_t *m) {
  void *data;
  size_t len;
  bool is_buf = false;
  napi_is_buffer(env, argv[0], &is_buf);
  if (!is_buf) {
    napi_throw_type_error(env, "ERR_VIGIL_NATIVE", "send: payload must be a Buffer");
    return false;
  }
  if (napi_get_buffer_info(env, argv[0], &data, &len) != napi_ok) return false;
  char dst[INET6_ADDRSTRLEN + 1] = "", source[INET6_ADDRSTRLEN + 1] = "";
  if (!get_str(env, argv[1], dst, sizeof dst)) {
    napi_throw_type_error(env, "ERR_VIGIL_NATIVE", "send: destination must be a string");
    return false;
  }
  int ifindex = argc > 2 ? get_int(env, argv[2], 0) : 0;
  if (argc > 3) get_str(env, argv[3], source, sizeof source);
  int hop = argc > 4 ? get_int(env, argv[4], 0) : 0;
  const char *err = prepare_msg(s, dst, ifindex, source, hop, m);
  if (err) {
    napi_throw_type_error(env, "ERR_VIGIL_NATIVE", err);
    return false;
  }
  m->payload = data;
  m->len = len;
  return true;
}

static napi_value sock_send(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], self, result;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  sock_t *s = unwrap(env, self);
  if (!s || s->fd < 0) return throw_errno(env, "send on a closed socket", EBADF);
  prepared_t m;
  if (!read_send_args(env, s, argc, argv, &m)) return NULL;
  ssize_t n = send_prepared(s->fd, &m);
  CHECK(napi_create_int64(env, (int64_t)n, &result));
  return result;
}

/* ---------- the advert pacer ----------
 *
 * A master's periodic adverts are sent by one native thread at absolute CLOCK_MONOTONIC
 * instants (first, first + period, ...), so a garbage collection or a slow callback on the JS
 * thread can never delay an advertisement (RFC 5798 §6.4.3: one every Advertisement_Interval).
 * JS keeps the protocol (pure state machine): it installs a job when it becomes master, replaces
 * it when the advert changes (priority, interval, source), and removes it when it leaves; any
 * advert the protocol sends at another instant (takeover, priority 0, a reply to a lower
 * priority) is still sent by JS. The thread's timer slack is 1 ns (default 50 us) and it sleeps
 * in pthread_cond_timedwait on CLOCK_MONOTONIC, so a changed job wakes it at once.
 */
typedef struct pace_job {
  struct pace_job *next;
  sock_t *sock;
  int fd;
  int id;
  prepared_t msg;
  uint64_t at_ns, period_ns;
  uint64_t sent;
  int last_error; /* -errno of the last failed send, 0 if the last one went out */
} pace_job_t;

static pthread_mutex_t pace_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pace_cv;
static pace_job_t *pace_jobs = NULL;
static bool pace_started = false;
/* Set (under pace_mu) whenever the jobs change and the thread is signalled. */
static bool pace_changed = false;

/* Early returns of the timed wait in a row after which the pacer sleeps instead. */
#define PACE_SPURIOUS_MAX 64

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *pace_main(void *arg) {
  (void)arg;
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  /* Real-time priority 1 for this thread only (keepalived's vrrp_rt_priority, applied to the
   * one thread that needs it): it runs a few microseconds per advert and otherwise sleeps, so
   * it costs the machine nothing, and health checks or other processes saturating the CPUs
   * cannot push an advert back. Without CAP_SYS_NICE this fails and the thread stays SCHED_OTHER. */
  struct sched_param sp = {.sched_priority = 1};
  pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
  pthread_mutex_lock(&pace_mu);
  unsigned spurious = 0;
  for (;;) {
    uint64_t now = mono_ns(), earliest = UINT64_MAX;
    for (pace_job_t *j = pace_jobs; j; j = j->next) {
      if (j->at_ns <= now) {
        ssize_t n = send_prepared(j->fd, &j->msg);
        j->last_error = n < 0 ? (int)n : 0;
        j->sent++;
        /* Drift-free: the next instant follows the schedule, not the send; a schedule that fell
         * behind (a suspended VM) skips the missed instants instead of bursting them. */
        j->at_ns += j->period_ns;
        if (j->at_ns <= now) j->at_ns = now + j->period_ns;
      }
      if (j->at_ns < earliest) earliest = j->at_ns;
    }
    if (earliest == UINT64_MAX) {
      spurious = 0;
      pthread_cond_wait(&pace_cv, &pace_mu);
    } else if (spurious >= PACE_SPURIOUS_MAX) {
      /* The timed wait does not wait on this system: sleep instead, in slices of at most 1 ms
       * so a changed job is still picked up within a millisecond. */
      uint64_t left = earliest > now ? earliest - now : 0;
      struct timespec d = {.tv_sec = 0, .tv_nsec = (long)(left < 1000000ull ? left : 1000000ull)};
      pthread_mutex_unlock(&pace_mu);
      nanosleep(&d, NULL);
      pthread_mutex_lock(&pace_mu);
    } else {
      struct timespec ts = {.tv_sec = (time_t)(earliest / 1000000000ull), .tv_nsec = (long)(earliest % 1000000000ull)};
      pace_changed = false;
      pthread_cond_timedwait(&pace_cv, &pace_mu, &ts);
      /* A return before the deadline that no job change explains: a timed wait that does not
       * wait (a preloaded clock library such as libfaketime converts the deadline to the wrong
       * clock). At real-time priority that loop would take a whole CPU, so after a run of them
       * the thread sleeps instead. */
      if (!pace_changed && mono_ns() + 100000ull < earliest) spurious++;
      else spurious = 0;
    }
  }
  return NULL;
}

static int pace_start_thread(void) {
  if (pace_started) return 0;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&pace_cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_t t;
  pthread_attr_t ta;
  pthread_attr_init(&ta);
  pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
  /* No JS signal handlers run here; keep every signal on the main thread. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&t, &ta, pace_main, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&ta);
  if (rc != 0) return rc;
  pace_started = true;
  return 0;
}

/* Removes (and frees) the jobs of `s`, or only job `id` when id >= 0. Caller holds pace_mu. */
static void pace_remove_locked(sock_t *s, int id) {
  pace_job_t **pp = &pace_jobs;
  while (*pp) {
    pace_job_t *j = *pp;
    if (j->sock == s && (id < 0 || j->id == id)) {
      *pp = j->next;
      free(j->msg.payload);
      free(j);
    } else {
      pp = &j->next;
    }
  }
}

static void pace_remove(sock_t *s, int id) {
  if (!pace_started) return;
  pthread_mutex_lock(&pace_mu);
  pace_remove_locked(s, id);
  pace_changed = true;
  pthread_cond_signal(&pace_cv);
  pthread_mutex_unlock(&pace_mu);
}

/*
 * socket.pace(id, payload, dst, ifindex, source, hopLimit, firstAtMs, periodMs): installs or
 * replaces job `id` of this socket: send `payload` (copied) at CLOCK_MONOTONIC firstAtMs and every
 * periodMs after. Times are monotonicMs() values (ms, fractional).
 */
static napi_value sock_pace(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_value self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  sock_t *s = unwrap(env, self);
  if (!s || s->fd < 0) return throw_errno(env, "pace on a closed socket", EBADF);
  if (argc < 8) {
    napi_throw_type_error(env, "ERR_VIGIL_NATIVE", "pace(id, payload, dst, ifindex, source, hopLimit, firstAtMs, periodMs)");
    return NULL;
  }
  int id = get_int(env, argv[0], -1);
  double first = 0, period = 0;
  napi_get_value_double(env, argv[6], &first);
  napi_get_value_double(env, argv[7], &period);
  if (id < 0 || !(period >= 1) || !(first > 0)) {
    napi_throw_range_error(env, "ERR_VIGIL_NATIVE", "pace: id >= 0, firstAtMs > 0 and periodMs >= 1 required");
    return NULL;
  }
  pace_job_t *j = calloc(1, sizeof *j);
  if (!read_send_args(env, s, 5, argv + 1, &j->msg)) {
    free(j);
    return NULL;
  }
  unsigned char *copy = malloc(j->msg.len);
  memcpy(copy, j->msg.payload, j->msg.len);
  j->msg.payload = copy;
  j->sock = s;
  j->fd = s->fd;
  j->id = id;
  j->at_ns = (uint64_t)(first * 1e6);
  j->period_ns = (uint64_t)(period * 1e6);
  int rc = pace_start_thread();
  if (rc != 0) {
    free(copy);
    free(j);
    return throw_errno(env, "pthread_create", rc);
  }
  pthread_mutex_lock(&pace_mu);
  pace_remove_locked(s, id);
  j->next = pace_jobs;
  pace_jobs = j;
  pace_changed = true;
  pthread_cond_signal(&pace_cv);
  pthread_mutex_unlock(&pace_mu);
  return NULL;
}

/* socket.unpace(id): stops job `id` (no-op if absent); unpace(-1) stops all of this socket's. */
static napi_value sock_unpace(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  sock_t *s = unwrap(env, self);
  if (!s) return NULL;
  pace_remove(s, argc > 0 ? get_int(env, argv[0], -1) : -1);
  return NULL;
}

/* socket.paced(id) -> { sent, lastError } or null when no such job. */
static napi_value sock_paced(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self, result, v;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  sock_t *s = unwrap(env, self);
  int id = argc > 0 ? get_int(env, argv[0], -1) : -1;
  uint64_t sent = 0;
  int last = 0;
  bool found = false;
  if (s && pace_started) {
    pthread_mutex_lock(&pace_mu);
    for (pace_job_t *j = pace_jobs; j; j = j->next)
      if (j->sock == s && j->id == id) {
        found = true;
        sent = j->sent;
        last = j->last_error;
      }
    pthread_mutex_unlock(&pace_mu);
  }
  if (!found) {
    CHECK(napi_get_null(env, &result));
    return result;
  }
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_double(env, (double)sent, &v));
  CHECK(napi_set_named_property(env, result, "sent", v));
  CHECK(napi_create_int32(env, last, &v));
  CHECK(napi_set_named_property(env, result, "lastError", v));
  return result;
}

/* monotonicMs(): CLOCK_MONOTONIC in ms, the time base of pace(). */
static napi_value monotonic_ms(napi_env env, napi_callback_info info) {
  napi_value result;
  CHECK(napi_create_double(env, (double)mono_ns() / 1e6, &result));
  return result;
}

/*
 * mallocTrim(): glibc keeps memory that threads freed in its arenas (V8's compiler and GC
 * helpers, libuv's pool, a worker all malloc on their own threads), so an agent's RSS creeps up
 * for hours after its heap has stopped growing. malloc_trim(0) gives the free pages of every
 * arena back (madvise(MADV_DONTNEED) since glibc 2.8). In the soak lab one call on agents that
 * had run 9 minutes took RSS 96.7 -> 88.9 MB and 100.9 -> 86.6 MB. Returns whether anything
 * was released (false where the C library is not glibc: nothing to do there).
 */
static napi_value malloc_trim_fn(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
#ifdef __GLIBC__
  CHECK(napi_get_boolean(env, malloc_trim(0) == 1, &result));
#else
  CHECK(napi_get_boolean(env, false, &result));
#endif
  return result;
}

/* socket.close(): idempotent; stops polling and closes the fd. */
static napi_value sock_close(napi_env env, napi_callback_info info) {
  napi_value self;
  CHECK(napi_get_cb_info(env, info, NULL, NULL, &self, NULL));
  sock_t *s = unwrap(env, self);
  if (!s) return NULL;
  sock_shutdown(s);
  if (s->self) {
    napi_delete_reference(env, s->self);
    s->self = NULL;
  }
  return NULL;
}

/* ifIndex(name) -> ifindex or 0 (if_nametoindex, in the caller's network namespace). */
static napi_value if_index(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IF_NAMESIZE + 1] = "";
  get_str(env, argv[0], name, sizeof name);
  CHECK(napi_create_uint32(env, if_nametoindex(name), &result));
  return result;
}

/* hardwareAddress(name) -> "aa:bb:cc:dd:ee:ff" (SIOCGIFHWADDR); throws ENODEV for a missing link. */
static napi_value hw_addr(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  if (!get_str(env, argv[0], ifr.ifr_name, sizeof ifr.ifr_name)) {
    napi_throw_type_error(env, "ERR_VIGIL_NATIVE", "hardwareAddress: name must be a string");
    return NULL;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
  int e = errno;
  close(fd);
  if (rc < 0) return throw_errno(env, "SIOCGIFHWADDR", e);
  char mac[32];
  format_mac((unsigned char *)ifr.ifr_hwaddr.sa_data, 6, mac);
  return str(env, mac);
}

/*
 * A checker's fwmark (SO_MARK) and bind_if (SO_BINDTODEVICE) on a socket. Node cannot set
 * either, and both must be set before the socket connects (the route lookup uses them), so TCP
 * checker sockets are made here and adopted by Node; a UDP socket Node made gets them after
 * bind. Returns 0, or -1 with errno and *what naming the option that failed.
 */
static int checker_opts(int fd, int mark, const char *device, const char **what) {
  if (mark && set_int_opt(fd, SOL_SOCKET, SO_MARK, mark) < 0) {
    *what = "SO_MARK";
    return -1;
  }
  if (device && device[0] && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, (socklen_t)strlen(device)) < 0) {
    *what = "SO_BINDTODEVICE";
    return -1;
  }
  return 0;
}

/* streamSocket(family 4|6, mark, device|null) -> fd: a non-blocking TCP socket, not connected. */
static napi_value stream_socket(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int family = get_int(env, argv[0], 4);
  int mark = get_int(env, argv[1], 0);
  char device[IFNAMSIZ] = {0};
  if (argc > 2) get_str(env, argv[2], device, sizeof device);
  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return throw_errno(env, "socket", errno);
  const char *what = "";
  if (checker_opts(fd, mark, device, &what) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, what, e);
  }
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

/* socketOptions(fd, mark, device|null): the checker options on a socket Node opened. */
static napi_value socket_options(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd = get_int(env, argv[0], -1);
  int mark = get_int(env, argv[1], 0);
  char device[IFNAMSIZ] = {0};
  if (argc > 2) get_str(env, argv[2], device, sizeof device);
  if (fd < 0) {
    napi_throw_type_error(env, "ERR_VIGIL_NATIVE", "socketOptions: fd must be a file descriptor");
    return NULL;
  }
  const char *what = "";
  if (checker_opts(fd, mark, device, &what) < 0) return throw_errno(env, what, errno);
  return NULL;
}

/* A JS string as a malloc'd C string (NULL when v is not a string). */
static char *dup_str(napi_env env, napi_value v) {
  napi_valuetype t;
  size_t len;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return NULL;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *out = malloc(len + 1);
  if (out && napi_get_value_string_utf8(env, v, out, len + 1, &len) != napi_ok) {
    free(out);
    return NULL;
  }
  return out;
}

static void free_strv(char **v) {
  if (!v) return;
  for (char **p = v; *p; p++) free(*p);
  free(v);
}

/* A JS array of strings as a NULL-terminated, malloc'd vector (NULL when it is anything else). */
static char **dup_strv(napi_env env, napi_value v) {
  bool is_array;
  uint32_t n;
  if (napi_is_array(env, v, &is_array) != napi_ok || !is_array) return NULL;
  if (napi_get_array_length(env, v, &n) != napi_ok) return NULL;
  char **out = calloc((size_t)n + 1, sizeof *out);
  if (!out) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    if (napi_get_element(env, v, i, &e) != napi_ok || !(out[i] = dup_str(env, e))) {
      free_strv(out);
      return NULL;
    }
  }
  return out;
}

/*
 * exec(path, argv, env): execve(2), replacing this process's image and keeping its pid. For
 * `vigil control-plane`, which restarts itself under node's heap flags (V8 reads them only at
 * start, and NODE_OPTIONS refuses them) while whoever started it (systemd, a test) still holds
 * the right pid. libuv and node open every descriptor close-on-exec (stdio too, which is undone
 * here), so only stdio carries over.
 * Returns only on failure, by throwing with the errno.
 */
static napi_value exec_fn(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *path = argc > 0 ? dup_str(env, argv[0]) : NULL;
  char **args = argc > 1 ? dup_strv(env, argv[1]) : NULL;
  char **envp = argc > 2 ? dup_strv(env, argv[2]) : NULL;
  if (!path || !args || !args[0] || !envp) {
    free(path);
    free_strv(args);
    free_strv(envp);
    napi_throw_type_error(env, "ERR_VIGIL_NATIVE", "exec: a path, a non-empty array of argument strings and an array of NAME=value strings");
    return NULL;
  }
  /* node marks its stdio close-on-exec; the new image must keep them (its logs go there). */
  int fdflags[3];
  for (int fd = 0; fd < 3; fd++) {
    fdflags[fd] = fcntl(fd, F_GETFD);
    if (fdflags[fd] >= 0) fcntl(fd, F_SETFD, fdflags[fd] & ~FD_CLOEXEC);
  }
  execve(path, args, envp);
  int e = errno;
  for (int fd = 0; fd < 3; fd++) {
    if (fdflags[fd] >= 0) fcntl(fd, F_SETFD, fdflags[fd]);
  }
  free(path);
  free_strv(args);
  free_strv(envp);
  return throw_errno(env, "execve", e);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"start", NULL, sock_start, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, sock_send, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, sock_close, NULL, NULL, NULL, napi_default, NULL},
      {"pace", NULL, sock_pace, NULL, NULL, NULL, napi_default, NULL},
      {"unpace", NULL, sock_unpace, NULL, NULL, NULL, napi_default, NULL},
      {"paced", NULL, sock_paced, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls, f;
  CHECK(napi_define_class(env, "Socket", NAPI_AUTO_LENGTH, sock_new, NULL, 6, methods, &cls));
  CHECK(napi_set_named_property(env, exports, "Socket", cls));
  CHECK(napi_create_function(env, "ifIndex", NAPI_AUTO_LENGTH, if_index, NULL, &f));
  CHECK(napi_set_named_property(env, exports, "ifIndex", f));
  CHECK(napi_create_function(env, "hardwareAddress", NAPI_AUTO_LENGTH, hw_addr, NULL, &f));
  CHECK(napi_set_named_property(env, exports, "hardwareAddress", f));
  CHECK(napi_create_function(env, "monotonicMs", NAPI_AUTO_LENGTH, monotonic_ms, NULL, &f));
  CHECK(napi_set_named_property(env, exports, "monotonicMs", f));
  CHECK(napi_create_function(env, "mallocTrim", NAPI_AUTO_LENGTH, malloc_trim_fn, NULL, &f));
  CHECK(napi_set_named_property(env, exports, "mallocTrim", f));
  CHECK(napi_create_function(env, "streamSocket", NAPI_AUTO_LENGTH, stream_socket, NULL, &f));
  CHECK(napi_set_named_property(env, exports, "streamSocket", f));
  CHECK(napi_create_function(env, "socketOptions", NAPI_AUTO_LENGTH, socket_options, NULL, &f));
  CHECK(napi_set_named_property(env, exports, "socketOptions", f));
  CHECK(napi_create_function(env, "exec", NAPI_AUTO_LENGTH, exec_fn, NULL, &f));
  CHECK(napi_set_named_property(env, exports, "exec", f));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
