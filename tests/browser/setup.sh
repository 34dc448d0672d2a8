#!/bin/sh
# Install Debian's chromium for the browser tests (the review page: tests/test_review.py; the studio: tests/test_studio_browser.py).
# Idempotent and quiet; never fails: without root or apt the browser test skips itself.
# Playwright drives this system browser; `playwright install` (a download) is never run.
set -u
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
