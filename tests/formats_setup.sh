#!/bin/sh
# Install Debian's ffmpeg for its ffprobe: the independent reader of the M4B and Opus files'
# chapters, duration and tags (tests/test_formats_av.py). Idempotent and quiet; never fails:
# without root or apt the ffprobe tests skip themselves (PyAV's demuxer and mutagen still read
# the files). sessiongen itself never runs ffmpeg: it encodes with PyAV's own libraries.
set -u
if command -v ffprobe >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "formats_setup.sh: ffprobe is missing and cannot be installed here (needs root and apt-get); its tests will be skipped"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null 2>&1; }; then
    echo "formats_setup.sh: installed $(ffprobe -version 2>/dev/null | head -1)"
else
    echo "formats_setup.sh: apt-get could not install ffmpeg; the ffprobe tests will be skipped"
fi
exit 0
