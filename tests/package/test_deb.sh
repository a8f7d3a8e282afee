#!/usr/bin/env bash
# The Debian package, judged by Debian's own tools: CPack builds it from this build tree,
# dpkg-deb reads its control fields and unpacks it into a temporary directory,
# desktop-file-validate and appstreamcli check the desktop file and the AppStream metainfo,
# and the unpacked socklab-cli (finding the unpacked lab helper, not this tree's) runs a lesson
# and a recv() timeout; the unpacked socklab answers --help without a display.
#
#   test_deb.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd -P)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || fail "$1 is not installed ($2; scripts/setup.sh installs it)"; }
need cpack "cmake"
need dpkg-deb "dpkg"
need dpkg-shlibdeps "apt-get install dpkg-dev"
need desktop-file-validate "apt-get install desktop-file-utils"
need appstreamcli "apt-get install appstream"

echo "== cpack"
(cd "$work" && cpack --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1) ||
    { cat "$work/cpack.log" >&2; fail "cpack could not build the package"; }
debs=("$work"/out/socklab_*.deb)
[[ -f ${debs[0]} ]] || fail "no socklab_*.deb in $work/out: $(ls "$work/out")"
deb=${debs[0]}
echo "built $(basename "$deb"), $(du -k "$deb" | cut -f1) kB"

echo "== control fields"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
# Linked (found by dpkg-shlibdeps) and loaded (declared): a fresh Debian 12 gets them all.
for p in libqt6core6 libqt6gui6 libqt6widgets6 libqt6network6 libmnl0 libnftables1 libpcap0.8 \
    libqt6svg6 qt6-qpa-plugins; do
    [[ ",$depends," =~ [,\ ]$p[\ ,\(] ]] || fail "Depends does not name $p"
done
[[ $(dpkg-deb -f "$deb" Package) == socklab ]] || fail "Package is not socklab"

echo "== contents"
root=$work/root
dpkg-deb -x "$deb" "$root"
for f in usr/bin/socklab usr/bin/socklab-cli usr/libexec/socklab/socklab-labd \
    usr/share/applications/socklab.desktop usr/share/icons/hicolor/scalable/apps/socklab.svg \
    usr/share/metainfo/org.socklab.socklab.metainfo.xml usr/share/man/man1/socklab.1 \
    usr/share/man/man1/socklab-cli.1; do
    [[ -e $root/$f ]] || fail "the package has no /$f"
done
desktop-file-validate "$root/usr/share/applications/socklab.desktop" ||
    fail "desktop-file-validate refused socklab.desktop"
appstreamcli validate --no-net "$root/usr/share/metainfo/org.socklab.socklab.metainfo.xml" ||
    fail "appstreamcli refused the metainfo"

echo "== man pages: every option --help lists"
check_man() { # PAGE HELP-TEXT
    local page=$1 missing=()
    for o in $(grep -o -- '--[a-z][a-z-]*' <<<"$2" | sort -u); do
        grep -qF -- "${o//-/\\-}" "$page" || missing+=("$o")
    done
    ((${#missing[@]} == 0)) || fail "$(basename "$page") lacks ${missing[*]}"
}
check_man "$root/usr/share/man/man1/socklab.1" "$(env -u DISPLAY "$root/usr/bin/socklab" --help)"
for c in connect listen serve code run lesson lessons; do
    check_man "$root/usr/share/man/man1/socklab-cli.1" "$("$root/usr/bin/socklab-cli" "$c" --help)"
    grep -q "^\.SS \"$c\"" "$root/usr/share/man/man1/socklab-cli.1" || fail "socklab-cli.1 has no $c"
done

echo "== the unpacked programs"
cli=$root/usr/bin/socklab-cli
out=$(env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM "$root/usr/bin/socklab" --help) ||
    fail "socklab --help failed without a display"
grep -q -- "--presenter" <<<"$out" || fail "socklab --help does not list --presenter: $out"
"$cli" --help | grep -q "lesson NAME" || fail "socklab-cli --help lists no lesson command"
# The lesson runs in a lab made by the package's own helper (bin/../libexec/socklab comes
# before this build tree's): strace, the judge here, sees which one is started.
need strace "apt-get install strace"
# (LeakSanitizer cannot work under ptrace: in a sanitizer build its leak check is off here; the
# suite checks the CLI for leaks without strace.)
lesson=$(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    strace -f -qq -e trace=execve -o "$work/exec.log" "$cli" lesson restart-without-reuseaddr \
    --json) || fail "socklab-cli lesson exited $?"
grep -q "execve(\"$root/usr/libexec/socklab/socklab-labd\"" "$work/exec.log" ||
    fail "the lab's helper was not the package's: $(grep -o 'execve("[^"]*"' "$work/exec.log")"
grep -q '"kind":"lesson_result"' <<<"$lesson" || fail "no lesson_result: $lesson"
grep '"kind":"lesson_result"' <<<"$lesson" | grep -q '"passed":true' ||
    fail "the lesson did not pass: $(grep lesson_result <<<"$lesson")"
timeout=$("$cli" connect --peer silent --network host --recv-timeout 0.2 --recv 1 --json) ||
    fail "socklab-cli connect exited $?"
python3 - "$timeout" <<'PY' || fail "no recv() timeout of 0.2 s or more"
import json, sys
events = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
t = [e for e in events if e["kind"] == "timeout" and e.get("op") == "recv"]
assert t and t[0]["elapsed"] >= 0.2, events
print("recv() timed out after %.6f s" % t[0]["elapsed"])
PY
echo "PASS"
