/* Prints both ends of a connected socket. */
static void print_connected(int fd, double elapsed)
{
    struct sockaddr_storage peer, local;
    socklen_t peer_len = sizeof peer, local_len = sizeof local;
    char peer_text[ADDRESS_TEXT_SIZE], local_text[ADDRESS_TEXT_SIZE];
    getpeername(fd, (struct sockaddr *)&peer, &peer_len);
    getsockname(fd, (struct sockaddr *)&local, &local_len);
    address_text((struct sockaddr *)&peer, peer_len, peer_text, sizeof peer_text);
    address_text((struct sockaddr *)&local, local_len, local_text, sizeof local_text);
    printf("connected to %s from %s in %.3f s\n", peer_text, local_text, elapsed);
}
