#pragma once
// What the parts of socklab-labd share: the lab's hosts, entered one at a time, and their
// rtnetlink sockets (main.cpp), and the faults of the network (Faults.cpp).
#include "LabProtocol.h"

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

} // namespace labd
