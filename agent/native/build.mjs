// Builds agent/native/build/vigil_net.node with the system C compiler and the node headers that
// ship next to the running node binary (<prefix>/include/node). Run by the root `install`
// script, so `npm ci` builds it.
//
// Why not node-gyp: it downloads headers from nodejs.org unless `nodedir` is configured, and
// these machines (and CI) reach only package registries. One C file needs one compiler call.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'build', 'vigil_net.node');

if (process.platform !== 'linux') {
  console.warn(`vigil native addon: skipped on ${process.platform} (VRRP sockets need Linux)`);
  process.exit(0);
}

const candidates = [
  process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node'),
  join(dirname(process.execPath), '..', 'include', 'node'),
  join(process.env.HOME ?? '/root', '.cache', 'node-gyp', process.versions.node, 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
].filter(Boolean);
const include = candidates.find((dir) => existsSync(join(dir, 'node_api.h')) && existsSync(join(dir, 'uv.h')));
if (!include) {
  console.error(
    `vigil native addon: node headers not found (looked for node_api.h and uv.h in ${candidates.join(', ')}).\n` +
      'Install the headers of this node version (Debian: apt-get install libnode-dev or nodejs from NodeSource, which ships them) or set npm_config_nodedir.',
  );
  process.exit(1);
}

const cc = process.env.CC || 'cc';
mkdirSync(join(here, 'build'), { recursive: true });
const args = [
  '-std=gnu11', '-O2', '-pthread', '-Wall', '-Wextra', '-Wno-unused-parameter', '-fPIC', '-shared',
  '-DNODE_GYP_MODULE_NAME=vigil_net', `-I${include}`,
  join(here, 'vigil_net.c'), '-o', out,
];
try {
  execFileSync(cc, args, { stdio: 'inherit' });
} catch {
  console.error(`vigil native addon: '${cc} ${args.join(' ')}' failed. Install a C compiler (Debian: apt-get install build-essential).`);
  process.exit(1);
}
console.log(`vigil native addon: built ${out}`);
