def show_option(sock, level, option, name, why):
    """Prints an option as the kernel reads it back."""
    print(f'{name}: {sock.getsockopt(level, option)} ({why})')
