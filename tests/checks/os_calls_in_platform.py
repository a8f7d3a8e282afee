#!/usr/bin/env python3
"""Fails when code in src/core makes an operating-system call outside the platform layer.

docs/ARCHITECTURE.md says every OS call of the engine goes through src/core/platform (a second
system needs one new folder, the lab network one new SocketFactory). The built-in peers
(src/core/peers) are the one stated exception: a small POSIX server of their own. This keeps
the statement true: run with the source tree's root as the argument.
"""
import pathlib
import re
import sys

# System calls and libc wrappers the engine must not call directly (a qualified ::name( or a
# bare pthread_/prctl/clock_ call).
CALLS = re.compile(
    r"(?<![\w:.>])::(socket|bind|listen|connect|accept4?|send|sendmsg|recv|recvmsg|close|"
    r"shutdown|setsockopt|getsockopt|ioctl|fcntl|poll|ppoll|select|read|write|getsockname|"
    r"getpeername|fstat|stat|open|unshare|setns|fork|execve?)\s*\("
    r"|\b(pthread_[a-z_]+|prctl|clock_gettime|eventfd|timerfd_[a-z]+)\s*\(")
ALLOWED = {"platform", "peers"}


def main(root):
    core = pathlib.Path(root) / "src" / "core"
    found = []
    checked = 0
    for path in sorted(core.rglob("*")):
        if path.suffix not in (".cpp", ".h") or path.relative_to(core).parts[0] in ALLOWED:
            continue
        checked += 1
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("//", 1)[0]
            if CALLS.search(code):
                found.append(f"{path.relative_to(root)}:{n}: {line.strip()}")
    if checked == 0:
        print(f"no sources found under {core}", file=sys.stderr)
        return 1
    if found:
        print("OS calls outside src/core/platform (put them behind Platform.h or SocketOps.h):")
        print("\n".join(found))
        return 1
    print(f"{checked} files outside platform/ and peers/: no OS call")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
