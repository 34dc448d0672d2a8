#!/bin/sh
# Install what the browser tests need (the review page: tests/test_review.py; the studio: tests/test_studio_browser.py):
# - Debian's chromium (with apt, as root); Playwright drives this system browser; `playwright install` (a download) is never run.
# - axe-core, pinned, from the npm registry with npm where npm is present, into tests/browser/node_modules
#   (the accessibility checks read it from there and inject it; never a CDN). Without npm they skip, saying why.
# Idempotent and quiet; never fails: without root, apt or npm the tests that need them skip themselves.
set -u
AXE_VERSION=4.14.1
HERE=$(cd "$(dirname "$0")" && pwd)
if [ ! -f "$HERE/node_modules/axe-core/axe.min.js" ] || ! grep -q "\"version\": \"$AXE_VERSION\"" "$HERE/node_modules/axe-core/package.json" 2>/dev/null; then
    if command -v npm >/dev/null 2>&1; then
        if npm install --prefix "$HERE" --no-save --no-audit --no-fund --loglevel=error "axe-core@$AXE_VERSION" >/dev/null 2>&1; then
            echo "setup.sh: installed axe-core $AXE_VERSION"
        else
            echo "setup.sh: npm could not install axe-core; the accessibility checks will be skipped"
        fi
    else
        echo "setup.sh: no npm here; the accessibility checks (axe-core) will be skipped"
    fi
fi
if [ -x /usr/bin/chromium ]; then  # the path tests/conftest.py (the browser fixture) launches
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup.sh: chromium is missing and cannot be installed here (needs root and apt-get); the browser test will be skipped"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null 2>&1; }; then
    echo "setup.sh: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
else
    echo "setup.sh: apt-get could not install chromium; the browser test will be skipped"
fi
exit 0
