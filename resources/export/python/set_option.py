def set_option(sock, level, option, name, value):
    """Sets an option and prints what the kernel reads back, which can differ."""
    try:
        sock.setsockopt(level, option, value)
    except OSError as e:
        print(f'error: setsockopt {name} {value}: {error_text(e)}')
        raise
    print(f'{name}: requested {value}, effective {sock.getsockopt(level, option)}')
