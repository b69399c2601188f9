// The browser tests drive Debian's Chromium: Playwright's own browser
// download cannot reach its servers from these machines. Installs it with
// apt-get when it is missing (CI runs as root on a fresh clone).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (existsSync(CHROMIUM)) process.exit(0);

console.log(`${CHROMIUM} is missing: installing Debian's chromium with apt-get`);
const run = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
if (!run(['install', '-y', '--no-install-recommends', 'chromium'])) {
  // A fresh machine may not have the package lists yet.
  if (!run(['update']) || !run(['install', '-y', '--no-install-recommends', 'chromium'])) {
    console.error('Could not install chromium (apt-get install -y chromium, as root); set CHROMIUM_PATH to a Chromium binary instead.');
    process.exit(1);
  }
}
