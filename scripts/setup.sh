#!/usr/bin/env bash
# Installs what SockLab needs on Debian 12 (if missing) and builds it into build/: every target,
# or only the ones named (bash scripts/setup.sh socklab socklab-cli, as launch.sh does).
# SOCKLAB_DEPS_ONLY=1: installs only; SOCKLAB_EXTRA_PACKAGES="a b": installs those too.
# zlib1g-dev lets SockLab read /proc/config.gz; libqt6svg6 brings the SVG icon plugin that
# draws the app icon (CMake refuses to configure without it); python3 and gcc (cc) run the
# programs SockLab exports. python3 is also the outside judge several tests compare SockLab
# with, strace the one that compares the system calls of generated programs with
# socklab-cli's, tcpdump the one that checks probes, retransmissions and resets against the
# frames on lo. libmnl-dev (with pkg-config, which finds it) is the netlink library the lab's
# helper makes its network with, libnftables-dev the one it makes the network's faults with
# (firewall, loss, a pulled cable); libpcap-dev writes the lab's capture as a pcap file, and
# tshark (Wireshark) is the judge that reads it back. dpkg-dev and file let CPack build the
# Debian package (dpkg-shlibdeps names the libraries it links); desktop-file-utils and
# appstream are the judges of its desktop file and AppStream metainfo.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake make g++ gcc pkg-config qt6-base-dev qt6-base-dev-tools libgl-dev zlib1g-dev libqt6svg6
    python3 strace tcpdump libmnl-dev libnftables-dev libpcap-dev tshark dpkg-dev file
    desktop-file-utils appstream)
read -ra extra <<<"${SOCKLAB_EXTRA_PACKAGES:-}"
packages+=("${extra[@]}")
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "Installing: ${missing[*]}"
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[[ ${SOCKLAB_DEPS_ONLY:-0} == 1 ]] && exit 0
cmake -S . -B build -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build -j"$(nproc)" "${targets[@]}"
