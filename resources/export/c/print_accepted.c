static void print_accepted(const struct sockaddr_storage *peer, socklen_t len, double elapsed)
{
    char where[ADDRESS_TEXT_SIZE];
    address_text((const struct sockaddr *)peer, len, where, sizeof where);
    printf("accepted a connection from %s in %.3f s\n", where, elapsed);
}
