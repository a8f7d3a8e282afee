#include "RunProgramDialog.h"

#include "ui_RunProgramDialog.h"

#include <QPushButton>
#include <QStandardPaths>

RunProgramDialog::RunProgramDialog(QWidget *parent)
    : QDialog(parent), m_ui(std::make_unique<Ui::RunProgramDialog>())
{
    m_ui->setupUi(this);
    if (!straceAvailable()) {
        m_ui->traceCheck->setChecked(false);
        m_ui->traceCheck->setEnabled(false);
        m_ui->traceCheck->setToolTip(
            tr("<p>strace is not installed here, so the program's own calls cannot be shown "
               "(Debian: <tt>sudo apt install strace</tt>). Its sockets, its wire and what it "
               "prints are shown all the same.</p>"));
    }
    const auto update = [this] {
        QString error;
        const auto words = split(command(), &error);
        m_ui->buttons->button(QDialogButtonBox::Ok)->setEnabled(words && !words->isEmpty());
        m_ui->problemLabel->setText(error);
        m_ui->problemLabel->setVisible(!error.isEmpty());
    };
    connect(m_ui->commandEdit, &QLineEdit::textChanged, this, update);
    update();
    resize(qMax(width(), 640), height());
}

RunProgramDialog::~RunProgramDialog() = default;

void RunProgramDialog::setCommand(const QString &command)
{
    m_ui->commandEdit->setText(command);
    m_ui->commandEdit->selectAll();
}

QString RunProgramDialog::command() const
{
    return m_ui->commandEdit->text().trimmed();
}

QStringList RunProgramDialog::argv() const
{
    return split(command()).value_or(QStringList());
}

std::optional<QStringList> RunProgramDialog::split(const QString &line, QString *error)
{
    QStringList words;
    QString word;
    bool inWord = false;
    QChar quote; // ' or " while inside one
    for (qsizetype i = 0; i < line.size(); ++i) {
        const QChar c = line.at(i);
        if (quote == u'\'') {
            if (c == u'\'')
                quote = QChar();
            else
                word += c;
        } else if (quote == u'"') {
            // Inside double quotes a backslash keeps its meaning only before these.
            if (c == u'\\' && i + 1 < line.size() &&
                QStringView(u"\"\\$`").contains(line.at(i + 1)))
                word += line.at(++i);
            else if (c == u'"')
                quote = QChar();
            else
                word += c;
        } else if (c == u'\'' || c == u'"') {
            quote = c;
            inWord = true;
        } else if (c == u'\\') {
            inWord = true;
            if (i + 1 < line.size())
                word += line.at(++i);
        } else if (c.isSpace()) {
            if (inWord)
                words << word;
            word.clear();
            inWord = false;
        } else {
            word += c;
            inWord = true;
        }
    }
    if (!quote.isNull()) {
        if (error)
            *error = tr("A %1 quote is not closed.")
                         .arg(quote == u'"' ? tr("double (\")") : tr("single (')"));
        return std::nullopt;
    }
    if (inWord)
        words << word;
    if (error)
        error->clear();
    return words;
}

void RunProgramDialog::setTrace(bool trace)
{
    m_ui->traceCheck->setChecked(trace && m_ui->traceCheck->isEnabled());
}

bool RunProgramDialog::trace() const
{
    return m_ui->traceCheck->isEnabled() && m_ui->traceCheck->isChecked();
}

bool RunProgramDialog::straceAvailable()
{
    return !QStandardPaths::findExecutable(QStringLiteral("strace")).isEmpty();
}
