#pragma once

#include "Handout.h"

#include <QList>
#include <QWidget>

#include <vector>

class QLabel;
class QScrollArea;
class QVBoxLayout;
class TimelineModel;
class TimelineWidget;

// The runs kept for comparison ("Keep this run"), drawn under the live timeline on its time
// axis: its zoom and scrolling, each from its own zero. The newest is nearest the live run;
// each has a one-line bar that says what it was (a lesson's verdict, a manual run's time
// limits and options) and a button that forgets it alone. At most kMaxKept: keeping one more
// lets the oldest go, and keep() says which.
class KeptRuns : public QWidget
{
    Q_OBJECT

  public:
    static constexpr int kMaxKept = 4;
    // The most of the screen's height the kept runs ask for (%): beyond it, they scroll. Four
    // runs at one lane each fit in the default; presenter mode's larger text asks for less.
    static constexpr int kMaxScreenShare = 45;
    static constexpr int kPresenterScreenShare = 25;
    void setMaxScreenShare(int percent);

    explicit KeptRuns(QWidget *parent = nullptr);
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

    // The live timeline whose axis the kept runs are drawn on (and repainted with).
    void setAxis(TimelineWidget *live);

    // What tells a run apart, for its bar: a lesson's title and verdict; a manual run's
    // calls' time limits and the options its own sockets had set.
    static QString describe(const socklab::handout::Input &run);

    // Keeps a run (its picture `model`, its page `run`) nearest the live one. Returns the
    // description of the oldest run let go to make room, empty if none was.
    QString keep(const TimelineModel &model, const socklab::handout::Input &run);
    // Forgets the run at `index` (0: the newest), or all of them.
    void forget(int index);
    void forgetAll();

    int count() const { return int(m_runs.size()); }
    // 0 is the newest (nearest the live timeline).
    const socklab::handout::Input &run(int index) const { return m_runs[size_t(index)].run; }
    QList<TimelineWidget *> timelines() const;
    // The latest event of any kept run (ns from its zero): the live view reaches that far.
    qint64 lastEventNs() const;
    // What the kept runs draw (TimelineModel::drawn() bits), for the legend.
    quint32 drawn() const;
    void setShowWire(bool show);

  signals:
    // A run was kept or forgotten (count(), lastEventNs() and drawn() may have changed).
    void changed();
    // What a kept run draws changed (its wire shown or hidden).
    void drawnChanged();

  private:
    struct Kept
    {
        QWidget *box = nullptr; // its bar and its timeline
        QLabel *label = nullptr;
        TimelineWidget *timeline = nullptr;
        socklab::handout::Input run;
    };
    void removeAt(int index);
    void renumber();                   // object names follow the order
    int maxHeight(int fallback) const; // the screen's share (fallback: no screen)

    QScrollArea *m_scroll = nullptr;
    QWidget *m_inner = nullptr; // the runs, in the scroll area
    QVBoxLayout *m_layout = nullptr;
    TimelineWidget *m_axis = nullptr;
    std::vector<Kept> m_runs; // newest first
    bool m_showWire = true;
    int m_maxShare = kMaxScreenShare;
};
