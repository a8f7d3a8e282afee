#pragma once

#include "Lesson.h"

#include <QObject>
#include <QStringList>

class MainWindow;

// Runs lessons one after another in the window, exactly as Run all does (the same panel, the
// same runner, the same page), and writes a handout of each (DIR/NAME.html) once its verdict
// is in the log: `socklab --run-lessons NAME,... --handout-dir DIR`, for preparing a class.
class LessonBatch : public QObject
{
    Q_OBJECT
  public:
    // `names`: lesson names in order; "all" alone means every lesson.
    LessonBatch(MainWindow *window, QStringList names, QString handoutDir,
                QObject *parent = nullptr);

    // The names resolved against the catalogue ("all" expanded). Empty with *error set (the
    // bad name and the ones there are) when one is not a lesson.
    static QStringList resolve(const QStringList &names, QString *error);

    void start();

  signals:
    // Every lesson has been run and its handout written (or a step failed). `allRan`: every
    // lesson ran (whatever its verdict) and every handout was written.
    void done(bool allRan);

  private:
    void next();
    void onEvents(const QList<socklab::Event> &batch);

    MainWindow *m_window;
    QStringList m_names;
    QString m_dir;
    int m_index = -1;
    bool m_allRan = true;
    bool m_waitingForVerdict = false;
};
