#!/usr/bin/env bash
# Regenerates the screenshots in docs/screenshots/ from real experiments: it starts the real
# window under Xvfb (a fresh HOME, so no saved settings interfere), presses the same keyboard
# shortcuts a user would, and captures the screen with ImageMagick's import. The README's set
# is taken on a 1280x720 screen (a classroom projector); the dead peer and presenter mode again
# on 1920x1080 (the files ending in -1080).
#
#   bash scripts/screenshots.sh
#
# Needs xvfb, xdotool and imagemagick (installed with apt-get when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [[ "${1:-}" != --inner ]]; then
    bash scripts/setup.sh
    missing=()
    command -v xvfb-run >/dev/null || missing+=(xvfb)
    command -v xdotool >/dev/null || missing+=(xdotool)
    command -v import >/dev/null || missing+=(imagemagick)
    if ((${#missing[@]})); then
        sudo=""
        [[ $(id -u) -eq 0 ]] || sudo=sudo
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
    fi
    xvfb-run -a -s "-screen 0 1280x720x24" bash "$0" --inner 1280x720
    exec xvfb-run -a -s "-screen 0 1920x1080x24" bash "$0" --inner 1920x1080
fi
suffix=""
[[ $2 == 1280x720 ]] || suffix=-1080

gui=$root/build/src/app/socklab
cli=$root/build/src/cli/socklab-cli
out=$root/docs/screenshots
mkdir -p "$out"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
export HOME=$work XDG_CONFIG_HOME=$work/config XDG_RUNTIME_DIR=$work/run
mkdir -p "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME/SockLab"
chmod 700 "$XDG_RUNTIME_DIR"

# Starts the window on a profile with one option tab in front (0 timeouts, 1 reuse,
# 2 keepalive, 3 more, 4 faults), plus any further socklab arguments, and waits until it is
# mapped.
start() {
    printf '[window]\noptionsTab=%s\n' "$2" >"$XDG_CONFIG_HOME/SockLab/SockLab.conf"
    "$gui" "$1" "${@:3}" >"$work/gui.log" 2>&1 &
    gui_pid=$!
    win=$(xdotool search --sync --onlyvisible --name SockLab | head -n1)
    # Xvfb has no window manager to maximize it: the whole screen, as a teacher would have it.
    xdotool windowmove --sync "$win" 0 0 windowsize --sync "$win" 100% 100%
    xdotool windowfocus --sync "$win"
    sleep 1 # let the first layout and paint settle
}
keys() { xdotool key --clearmodifiers --window "$win" "$@"; }
shoot() {
    import -window root "$out/$1.png"
    echo "wrote docs/screenshots/$1.png"
    kill "$gui_pid"
    wait "$gui_pid" 2>/dev/null || true
}

# 1. TCP keepalive finds a dead peer: the built-in peer turns into a blackhole (every segment
#    dropped, nothing ACKed); idle 2 s, a probe every 1 s, 3 probes; recv() has no timeout and
#    only keepalive ends it, with ETIMEDOUT.
cat >"$work/deadpeer.json" <<'EOF'
{"socklab_profile": 1, "role": "client+peer", "peer": {"behavior": "blackhole"},
 "options": {"timeouts": {"connect": "none", "recv": "none", "send": "none", "accept": "none"},
             "keepalive": true, "keepidle": 2, "keepintvl": 1, "keepcnt": 3}}
EOF
for theme in light dark; do
    start "$work/deadpeer.json" 2 --theme "$theme"
    keys ctrl+Return
    sleep 0.5
    keys ctrl+r
    sleep 6.5
    if [[ $theme == light ]]; then shoot keepalive-dead-peer$suffix; else shoot keepalive-dead-peer-dark; fi
    [[ -z $suffix ]] || break # the dark theme once is enough
done

# 4. A lesson in presenter mode, as on a projector: timeout versus keepalive on the same dead
#    peer, run step by step (F8), judged against the kernel.
cat >"$work/timeout.json" <<'EOF'
{"socklab_profile": 1, "role": "client+peer", "peer": {"behavior": "silent"},
 "options": {"timeouts": {"connect": 0.5, "recv": 0.5, "send": 0.5, "accept": 0.5},
             "mechanism": "sockopt"}}
EOF
start "$work/timeout.json" 0 --lesson timeout-vs-keepalive --presenter
for wait in 0.5 0.5 1.7 3.0; do # each step runs to its end before the next (F8)
    keys F8
    sleep "$wait"
done
shoot lesson-presenter$suffix
[[ -z $suffix ]] || exit 0

# 2. A server restarted while its old connection sits in TIME_WAIT, without SO_REUSEADDR:
#    bind() fails with EADDRINUSE and the socket table shows the TIME_WAIT countdown.
port=$((40000 + RANDOM % 20000))
cat >"$work/restart.json" <<EOF
{"socklab_profile": 1, "role": "server", "host": "127.0.0.1", "port": $port,
 "options": {"timeouts": {"connect": 10, "recv": 10, "send": 10, "accept": 10}}}
EOF
start "$work/restart.json" 1
keys ctrl+shift+Return # Listen, then accept
sleep 0.5
"$cli" connect 127.0.0.1 "$port" --recv 100 --recv-timeout 5 >/dev/null &
sleep 1
keys ctrl+w # the server closes first: its side of the connection goes to TIME_WAIT
sleep 1
keys ctrl+shift+r # Restart server
sleep 1.5
shoot timewait-restart-refused

# 3. A per-call timeout: recv() on a silent peer with a 0.5 s timeout enforced by the kernel
#    (SO_RCVTIMEO), called three times.
start "$work/timeout.json" 0
keys ctrl+Return
sleep 0.5
for _ in 1 2 3; do
    keys ctrl+r
    sleep 0.8
done
shoot recv-timeout

# 5. Keep this run: a server restarted over its TIME_WAIT without SO_REUSEADDR (EADDRINUSE),
#    kept (Ctrl+K); then the same steps with SO_REUSEADDR ticked (the Reuse tab is in front,
#    the box its first line), drawn above it on the same time axis.
port=$((40000 + RANDOM % 20000))
sed "s/\"port\": [0-9]*/\"port\": $port/" "$work/restart.json" >"$work/restart2.json"
start "$work/restart2.json" 1
restart_demo() {
    keys ctrl+shift+Return # Listen, then accept
    sleep 0.5
    "$cli" connect 127.0.0.1 "$port" --recv 100 --recv-timeout 5 >/dev/null &
    sleep 1
    keys ctrl+w # the server's end closes first: TIME_WAIT on its side
    sleep 1
    keys ctrl+shift+r # Restart server
    sleep 1.5
}
restart_demo
keys ctrl+k
sleep 0.5
# A fresh port: the first run's TIME_WAIT was left by a listener without SO_REUSEADDR, and
# Linux lets a new bind pass a TIME_WAIT only if both had it.
port=$((port + 1))
xdotool mousemove --window "$win" 240 176 click --repeat 3 1 # Port
xdotool type --window "$win" "$port"
xdotool mousemove --window "$win" 32 373 click 1 # SO_REUSEADDR, on the Reuse tab
sleep 0.3
restart_demo
shoot compare-reuseaddr

# 6. A pulled cable, in the lab: the lesson pulled-cable step by step (F8). The data sent while
#    the cable is out is resent into silence for 2 s; plugged back in, the next resend gets
#    through and the echo arrives.
start "$work/timeout.json" 4 --lesson pulled-cable
# F8 is not taken while a step still runs: pressed every 0.2 s, each step starts as soon as
# the one before it has ended, whatever the machine's pace (a slow lab set-up swallowed the
# fixed schedule's presses).
for _ in $(seq 40); do
    keys F8
    sleep 0.2
done
shoot pulled-cable

# 7. Faults that answer and one that does not: a lost route (ENETUNREACH at once), a firewall
#    that rejects (ECONNREFUSED at once), one that drops (the SYN resent until the 3 s connect
#    timeout), the lesson route-and-firewall run whole.
start "$work/timeout.json" 4 --lesson route-and-firewall
# Its nine steps, each as soon as the one before it has ended (as above); one more F8 after the
# last does nothing.
for _ in $(seq 40); do
    keys F8
    sleep 0.2
done
shoot connect-timeout-firewall
