#pragma once

#include "Event.h"

#include <QString>

// The log's detail pane text for one event: every field by name, its sentence, and for
// received data every byte kept (escaped, one line per line received), with what was not
// kept counted and why.
// payloadReleased: the log let go of the bytes to stay within logBudget bytes.
QString eventDetailText(const socklab::Event &e, bool payloadReleased, qint64 logBudget);
