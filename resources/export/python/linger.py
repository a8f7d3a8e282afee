def linger_text(sock):
    """SO_LINGER reads back as a struct linger {int l_onoff; int l_linger;}."""
    onoff, secs = struct.unpack('ii', sock.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8))
    return f'on {secs} s' if onoff else 'off'


def set_linger(sock, secs):
    """SO_LINGER on, with a time in seconds."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, secs))
    except OSError as e:
        print(f'error: setsockopt SO_LINGER {secs}: {error_text(e)}')
        raise
    print(f'SO_LINGER: requested on {secs} s, effective {linger_text(sock)}')
