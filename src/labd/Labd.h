#pragma once
// What the parts of socklab-labd share: the lab's hosts, entered one at a time, and their
// rtnetlink sockets (main.cpp), and the faults of the network (Faults.cpp).
#include "LabProtocol.h"

#include <cstddef>
#include <cstdint>

struct nlmsghdr;

namespace labd {

// Moves this process into a host's network: 0 or errno.
int enter(uint32_t host);
// Sends one rtnetlink request in a host's network and waits for its acknowledgement: 0 or
// the kernel's errno.
int talk(uint32_t host, nlmsghdr *nlh);
// Makes or repairs one fault of the network (a Fault request): 0 or errno.
int fault(const socklab::lab::Request &q);
// Starts a program in a host's network (a Run request, Programs.cpp): 0 or errno, with its
// pid and a pidfd of it. Takes the three descriptors in every case (closes them, or gives
// them to the program and keeps the status socket until it has ended).
int startProgram(uint32_t host, int statusFd, int outFd, int errFd, const char *command,
                 size_t length, int *pid, int *pidfd);
// Sends each ended program's wait status to SockLab (on SIGCHLD).
void reapPrograms();

} // namespace labd
