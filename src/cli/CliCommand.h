#pragma once

#include "CodeExport.h"
#include "Profile.h"
#include "Step.h"

#include <QStringList>

class QCommandLineParser;
class QCommandLineOption;

namespace socklab::cli {

// --network: where the experiment runs. Auto: the lab for an experiment that needs nothing
// outside SockLab (a built-in peer, a lesson), the host's network otherwise.
enum class NetworkChoice
{
    Auto,
    Lab,
    Host
};
QCommandLineOption networkOption();
QCommandLineOption pcapOption();
// Reads --network from p: false, with the error naming the value and the allowed ones, for a
// bad value.
bool readNetwork(const QCommandLineParser &p, NetworkChoice *out, QString *error);

// A command line turned into an experiment, or the reason it cannot be one.
struct Command
{
    enum class Kind
    {
        Connect,
        Listen,
        Serve,
        Code, // print a program (profile, language) instead of running anything
        Run,  // a program of the user's own in the lab (its exit status is the CLI's)
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
    NetworkChoice network = NetworkChoice::Auto;
    QString pcapPath;      // --pcap: where to write the lab's capture at the end
    bool usesPeer = false; // connect --peer: nothing outside SockLab is needed
};

// Parses argv (including argv[0]). Never touches the network.
Command parse(const QStringList &arguments);

// The commands' help, where the man page (socklab-man) reads it too: usage() is the overview
// that `socklab-cli --help` prints, commands() the commands that have a --help of their own.
QString usage();
QStringList commands();
// p's help text, naming the program as a user types it ("Usage: socklab-cli connect [options]
// HOST PORT"): QCommandLineParser names it by this process's argv[0], a path, without the
// command.
QString commandHelp(const QCommandLineParser &p, const QString &command);

} // namespace socklab::cli
