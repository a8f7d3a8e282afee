#pragma once

#include <QString>

// The window follows the system's palette (light or dark) unless the user picks one, e.g. a
// light theme for a projector in a bright room.
namespace theme {

enum class Choice
{
    System,
    Light,
    Dark
};

// Parses "system", "light" or "dark"; false (and *error names the value) otherwise.
bool parse(const QString &text, Choice *choice, QString *error);
// Applies the choice to the running QApplication (Fusion style with a light or dark palette,
// or nothing for System).
void apply(Choice choice);

} // namespace theme
