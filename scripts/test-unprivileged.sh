#!/usr/bin/env bash
# Runs the test suite again as an ordinary user (uid 65534 by default), on the tree that
# scripts/test.sh built: students and teachers are not root, and a suite run as root hides
# whatever needs a privilege. Tests whose subject needs one skip and say which (QSKIP); the
# rest must pass. Run as root (it drops to the user with setpriv), or as any ordinary user.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x build/tests/tst_peers ]] || bash scripts/setup.sh

if [[ $(id -u) -ne 0 ]]; then
    cd build && exec ctest --output-on-failure -j"$(nproc)"
fi

uid=${SOCKLAB_TEST_UID:-65534}
as_user=(setpriv --reuid="$uid" --regid="$uid" --clear-groups)
# The user must reach the build tree and the sources: give search (x) permission on each
# directory above the checkout that lacks it for others, and say so.
dir=$(pwd -P)
while [[ $dir != / ]]; do
    if ! "${as_user[@]}" test -x "$dir"; then
        echo "test-unprivileged: allowing others to traverse $dir (chmod o+x) so uid $uid reaches the tree"
        chmod o+x "$dir"
    fi
    dir=$(dirname "$dir")
done
if ! "${as_user[@]}" test -r build/CTestTestfile.cmake; then
    echo "test-unprivileged: uid $uid cannot read build/ (make it world-readable)" >&2
    exit 1
fi
home=$(mktemp -d)
chown "$uid:$uid" "$home"
trap 'rm -rf "$home"' EXIT
# ctest writes its logs here: let the user do so without owning the tree.
install -d -m 1777 build/Testing/Temporary
# The package test (package_deb) builds the .deb from this tree; CMake's install step writes its
# file list here whoever runs it.
touch build/install_manifest.txt
chmod 666 build/install_manifest.txt
rm -f build/Testing/Temporary/LastTest*.log
cd build
echo "Running the suite as uid $uid (not root)"
"${as_user[@]}" env HOME="$home" ctest --output-on-failure -j"$(nproc)"
