// Run first by `npm test`: names any system tool the suites need that this machine lacks, and
// the one command that installs them, within a second instead of after minutes of tests.
// Only PATH is searched for commands, as the tests themselves start them.
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const INSTALL = 'bash .ci/install-apt.sh';
const INCLUDE_DIRS = ['/usr/include', '/usr/local/include'];

function onPath(command) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}

const header = (path) => INCLUDE_DIRS.some((dir) => existsSync(join(dir, path)));

/** What the suites start or compile, each with the tests that need it. */
const NEEDS = [
  {
    tool: 'Chromium at /usr/bin/chromium',
    usedBy: 'tests/browser',
    present: () => existsSync('/usr/bin/chromium'),
  },
  { tool: 'mosquitto', usedBy: 'tests/deploy (a broker of its own)', present: () => onPath('mosquitto') },
  { tool: 'g++', usedBy: 'tests/firmware', present: () => onPath('g++') },
  { tool: 'cmake', usedBy: 'tests/firmware', present: () => onPath('cmake') },
  { tool: 'flock', usedBy: 'tests/firmware (firmware/build.sh)', present: () => onPath('flock') },
  { tool: 'mosquitto.h (libmosquitto-dev)', usedBy: 'tests/firmware', present: () => header('mosquitto.h') },
  {
    tool: 'doctest/doctest.h (doctest-dev)',
    usedBy: 'tests/firmware',
    present: () => header('doctest/doctest.h'),
  },
  {
    tool: 'nlohmann/json.hpp (nlohmann-json3-dev)',
    usedBy: 'tests/firmware',
    present: () => header('nlohmann/json.hpp'),
  },
  // Only the Redis suites start a redis-server of their own, and only when REDIS_URL is set.
  {
    tool: 'redis-server',
    usedBy: 'tests/realtime (REDIS_URL is set)',
    present: () => !process.env.REDIS_URL || onPath('redis-server'),
  },
];

const missing = NEEDS.filter((need) => !need.present());
if (missing.length > 0) {
  const lines = missing.map((need) => `  - ${need.tool}, for ${need.usedBy}`);
  console.error(
    `npm test needs system tools that this machine lacks:\n${lines.join('\n')}\n` +
      `Install them (Debian, as root) with:\n  ${INSTALL}\n`,
  );
  process.exit(1);
}

const [major] = process.versions.node.split('.').map(Number);
if (major !== 22 && major < 24) {
  console.warn(`Node ${process.versions.node}: Umeme supports Node 22 and 24 (see .nvmrc); tests may fail.`);
}
