#include "LessonBatch.h"

#include "Engine.h"
#include "lessons/LessonsPanel.h"
#include "window/MainWindow.h"

#include <QDir>
#include <QTextStream>
#include <QTimer>

using socklab::Event;
using socklab::EventKind;

LessonBatch::LessonBatch(MainWindow *window, QStringList names, QString handoutDir, QObject *parent)
    : QObject(parent), m_window(window), m_names(std::move(names)), m_dir(std::move(handoutDir))
{
    connect(window->engine()->bus(), &socklab::EventBus::eventsReady, this, &LessonBatch::onEvents);
}

QStringList LessonBatch::resolve(const QStringList &names, QString *error)
{
    QStringList known;
    for (const socklab::Lesson &l : socklab::lessonCatalogue())
        known << l.name;
    if (names == QStringList{QStringLiteral("all")})
        return known;
    for (const QString &n : names) {
        if (!known.contains(n)) {
            *error = QStringLiteral("'%1' is not a lesson; use all, or some of %2.")
                         .arg(n, known.join(QStringLiteral(", ")));
            return {};
        }
    }
    if (names.isEmpty())
        *error = QStringLiteral("name at least one lesson, or all.");
    return names;
}

void LessonBatch::start()
{
    QTimer::singleShot(0, this, &LessonBatch::next);
}

void LessonBatch::next()
{
    ++m_index;
    if (m_index >= m_names.size()) {
        emit done(m_allRan);
        return;
    }
    const QString name = m_names.at(m_index);
    auto *panel = m_window->findChild<LessonsPanel *>(QStringLiteral("lessonsPanel"));
    if (!panel || !m_window->selectLesson(name)) {
        m_allRan = false;
        QTimer::singleShot(0, this, &LessonBatch::next);
        return;
    }
    QTextStream(stdout) << "socklab: running lesson " << name << "\n";
    m_waitingForVerdict = true;
    panel->runAll(); // the button's own path
}

// The verdict is the lesson page's last event: once the log has it (the window appends each
// batch before this slot sees it), the page is whole and the timeline framed.
void LessonBatch::onEvents(const QList<Event> &batch)
{
    if (!m_waitingForVerdict || m_index < 0 || m_index >= m_names.size())
        return;
    const QString name = m_names.at(m_index);
    for (const Event &e : batch) {
        if (e.kind != EventKind::LessonResult ||
            e.extra.value(QStringLiteral("lesson")).toString() != name)
            continue;
        m_waitingForVerdict = false;
        const bool ran = e.extra.value(QStringLiteral("ran")).toBool();
        QTimer::singleShot(0, this, [this, name, ran, detail = e.detail] {
            QString error;
            const QString path = QDir(m_dir).filePath(name + QStringLiteral(".html"));
            const bool written = m_window->exportHandout(path, &error);
            QTextStream(stdout) << "socklab: " << name << ": " << detail << "\n";
            if (!written)
                QTextStream(stderr) << "socklab: " << error << "\n";
            m_allRan = m_allRan && ran && written;
            next();
        });
        return;
    }
}
