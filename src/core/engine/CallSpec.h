#pragma once

#include "Options.h"

#include <optional>

namespace socklab {

// What a call runs with: its timeout (its own, or what is left of the socket's deadline),
// the mechanism, and the socket's total deadline if it has one.
struct CallSpec
{
    Timeout t;
    TimeoutMechanism m = TimeoutMechanism::Poll;
    std::optional<qint64> deadlineMs;
    bool fromDeadline = false; // t is the time left of the deadline, shorter than its own
    std::optional<int> synCnt; // connect(): the socket's own SYN budget, if it set one
};

} // namespace socklab
