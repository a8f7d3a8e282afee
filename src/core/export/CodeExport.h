#pragma once

#include "Profile.h"

#include <QString>

#include <optional>

// Turns an experiment's configuration into a complete, runnable program in Python or C that
// sets the same options and makes the same calls, printing what happened.
namespace socklab::code {

enum class Language
{
    Python,
    C
};

QString languageName(Language l); // "python", "c"
std::optional<Language> languageFromName(const QString &name);

// The program for this profile. Role Client and ClientWithPeer connect to profile.host and
// profile.port (the program also takes HOST PORT as optional arguments to override them);
// Server binds profile.host:profile.port, listens and accepts one connection. Empty, with
// *error set, if the profile cannot be expressed (error names the reason).
QString generate(Language lang, const Profile &profile, QString *error);

} // namespace socklab::code
