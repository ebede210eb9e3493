#!/usr/bin/env bash
# The web console in Debian's chromium (headless, puppeteer-core from npm;
# no downloaded browser): log in, a failing channel, a message's attempts,
# retry and purge of dead letters, a test message, the config redacted, a
# phone's width, no secret anywhere. Screenshots: BUILD/console-screenshots.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/npm_peers.sh"
peers=$(npm_peers) || { echo "cannot install the npm test peers"; exit 1; }
command -v chromium >/dev/null || { echo "chromium is missing (scripts/setup installs it)"; exit 1; }
SHOTS=$NOTIBUS_BUILD_DIR/console-screenshots node "$peers/console_browser.mjs"
