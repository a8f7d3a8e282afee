#pragma once

#include "CodeExport.h"
#include "Profile.h"
#include "Step.h"

#include <QStringList>

namespace socklab::cli {

// A command line turned into an experiment, or the reason it cannot be one.
struct Command
{
    enum class Kind
    {
        Connect,
        Listen,
        Serve,
        Code, // print a program (profile, language) instead of running anything
        Help,
        Version
    };
    Kind kind = Kind::Help;
    QList<Step> steps;
    bool json = false;
    bool showData = false; // connect --show-data: every received byte (up to 1 MiB an event)
    QString error;         // non-empty: invalid arguments (exit 2)
    QString help;          // text for --help
    Profile profile;       // Code: the experiment to turn into a program
    code::Language language = code::Language::Python;
};

// Parses argv (including argv[0]). Never touches the network.
Command parse(const QStringList &arguments);

} // namespace socklab::cli
