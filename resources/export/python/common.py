def seconds(timeout):
    """A timeout as text: None blocks forever, 0 does not block at all."""
    if timeout is None:
        return 'none'
    return '0 (non-blocking)' if timeout == 0 else f'{timeout:.3f} s'


def error_text(e):
    """The errno's symbol and the C library's text, e.g. 'ECONNREFUSED (Connection refused)'."""
    if e.errno is None:
        return str(e)
    return f'{errno.errorcode.get(e.errno, e.errno)} ({os.strerror(e.errno)})'


def address_text(address):
    """'127.0.0.1:4000', or '[::1]:4000' for IPv6."""
    host, port = address[0], address[1]
    return f'[{host}]:{port}' if ':' in host else f'{host}:{port}'
