def settimeout_expired(e):
    """Whether e is settimeout()'s deadline passing. socket.timeout is TimeoutError since
    Python 3.10, and TimeoutError is also what a kernel ETIMEDOUT raises (keepalive or
    TCP_USER_TIMEOUT declared the peer dead): only the deadline's has no errno."""
    return isinstance(e, socket.timeout) and e.errno is None


def timed_out(op, start, timeout):
    """settimeout()'s deadline passed: Python raised socket.timeout."""
    print(f'{op} timed out after {time.monotonic() - start:.3f} s (timeout {seconds(timeout)})')
