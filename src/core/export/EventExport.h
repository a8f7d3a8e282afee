#pragma once

#include "Event.h"

#include <QByteArray>
#include <QString>

namespace socklab {

// Exports of events in the CLI's schema: the columns and names of Event::toJson, as CSV rows
// and as NDJSON lines.

// The CSV header line, without a line terminator (RFC 4180 rows end in CRLF; the writer adds it).
QString csvHeader();

// One CSV row, without a line terminator. Absent fields are empty cells, numbers are written as
// numbers, text is RFC 4180 quoted and guarded against spreadsheet formula injection.
QString toCsvRow(const Event &event);

// One NDJSON line: compact JSON of Event::toJson, without the newline.
QByteArray toNdjsonLine(const Event &event);

// Quotes one text cell for CSV (formula guard, then RFC 4180). Exposed for tests and callers
// that add their own columns.
QString csvTextCell(const QString &text);

} // namespace socklab
