#pragma once

#include <QDialog>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

namespace Ui {
class RunProgramDialog;
}

// Experiment → Run a program…: the command line, and whether strace shows its calls (offered
// only where strace is installed; the box says why not).
class RunProgramDialog : public QDialog
{
    Q_OBJECT
  public:
    explicit RunProgramDialog(QWidget *parent = nullptr);
    ~RunProgramDialog() override;

    void setCommand(const QString &command);
    QString command() const;
    QStringList argv() const; // split as a shell would, without a shell; empty if it cannot be
    // Splits a command line into words as a POSIX shell does (quotes and backslashes, no
    // expansions); nullopt with `error` set when a quote is left open.
    static std::optional<QStringList> split(const QString &line, QString *error = nullptr);
    void setTrace(bool trace);
    bool trace() const; // asked for, and strace is there

    static bool straceAvailable();

  private:
    std::unique_ptr<Ui::RunProgramDialog> m_ui;
};
