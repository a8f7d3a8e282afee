kernel_timeouts = {}  # (socket, option): microseconds it holds; a new socket has 0 (none)


def set_kernel_timeout(sock, option, name, timeout):
    """Gets sock ready for one call whose timeout the kernel enforces.

    SO_RCVTIMEO and SO_SNDTIMEO take a struct timeval in which 0 means no timeout at all, so
    a timeout of 0.0 makes just this call non-blocking instead. Otherwise the socket stays
    blocking and the kernel ends the call with EAGAIN (EINPROGRESS for connect()).
    """
    if timeout == 0:
        sock.setblocking(False)
        return
    sock.setblocking(True)
    usec = 0 if timeout is None else round(timeout * 1_000_000)
    # Like SockLab, set the option only when the value changes.
    if kernel_timeouts.get((sock, option), 0) == usec:
        return
    kernel_timeouts[(sock, option)] = usec
    timeval = struct.pack('ll', usec // 1_000_000, usec % 1_000_000)
    sock.setsockopt(socket.SOL_SOCKET, option, timeval)
    sec, usec = struct.unpack('ll', sock.getsockopt(socket.SOL_SOCKET, option, len(timeval)))
    effective = sec + usec / 1_000_000
    print(f'{name}: requested {seconds(timeout)}, effective {seconds(effective or None)}')


def timed_out(op, start, option, timeout, e):
    """The kernel ended the call when option ran out."""
    print(f'{op} timed out after {time.monotonic() - start:.3f} s '
          f'({option} {seconds(timeout)}: {errno.errorcode[e.errno]})')
