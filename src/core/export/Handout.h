#pragma once

#include "Event.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QString>

#include <optional>
#include <vector>

// A finished experiment or lesson as one self-contained HTML file (no external resources):
// the explanation, the options as applied (requested and effective), the timeline as an
// image, and the event log. Everything that came from the network or the user is escaped.
//
// The markup is also well-formed XML (XHTML syntax under <!DOCTYPE html>), so tools and tests
// can read it with an XML parser. The result is text: write it as UTF-8 (the document says so).
namespace socklab::handout {

struct Verdict
{
    bool passed = false;
    QString predicted; // what the lesson predicted, one or more sentences
    QString observed;  // what really happened
};

struct Input
{
    QString title;       // e.g. the lesson's title, or "Experiment"
    QString explanation; // plain text; blank lines separate paragraphs
    std::optional<Verdict> verdict;
    QByteArray timelinePng; // may be empty: then the handout says there is no picture
    QList<Event> events;    // in order; option events fill the options table
    QString machine;        // e.g. "Linux 6.1.0 x86_64"; may be empty

    // Extensions (defaults keep the original contract):
    QDateTime generated;   // shown in the header; invalid: the current local time
    int maxLogRows = 5000; // the log table's cap (first half and last half); <= 0: none

    // Runs kept to compare with this one (the window's "Keep this run"), each shown after it
    // in full: its title, verdict, options, picture (on the same time axis) and events.
    std::vector<Input> compared;
};

QString html(const Input &in);

} // namespace socklab::handout
