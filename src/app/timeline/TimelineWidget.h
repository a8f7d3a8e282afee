#pragma once

#include "Event.h"
#include "TimelineModel.h"
#include "WireRow.h"

#include <QWidget>

#include <functional>
#include <optional>

class QScrollBar;
class QTimer;

// A picture of the experiment over time: one lane per socket; calls as bars from start to
// return, a running deadline as a bar filling toward its timeout, keepalive probes as marks
// (acked and unanswered distinct), the moment a peer is declared dead. Follows live time and
// zooms (Ctrl+wheel, zoomIn/zoomOut, +/-); a plain wheel, the arrow keys and the scroll bar move
// through time, and scrolling back stops following until the view is back at the end (End).
class TimelineWidget : public QWidget
{
    Q_OBJECT
  public:
    using Outcome = TimelineModel::Outcome;

    // One call as the tests and tooltips see it; a running call ends at "now".
    struct SpanInfo
    {
        QString op;
        Outcome outcome = Outcome::Running;
        qint64 startNs = 0;
        qint64 endNs = 0;
        bool running = false;
        std::optional<double> timeout;
        bool timeoutNone = false;
    };

    static constexpr double kMinPixelsPerSecond = 5;
    static constexpr double kMaxPixelsPerSecond = 20000;
    static constexpr double kZoomFactor = 1.5;
    static constexpr double kDefaultPixelsPerSecond = 100;

    explicit TimelineWidget(QWidget *parent = nullptr);
    ~TimelineWidget() override;

    void append(const QList<socklab::Event> &batch);
    // "Now" in the experiment's time (ns since its epoch), for calls still running.
    void setClock(std::function<qint64()> nowNs);
    double pixelsPerSecond() const;

    bool followLive() const { return m_follow; }
    // True while the view repaints on its own (something is running and shown).
    bool isAnimating() const;

    // What the model holds, for tests and for whoever embeds the widget.
    int laneCount() const;
    QStringList lanes() const;
    int spanCount(const QString &lane) const;
    SpanInfo span(const QString &lane, int index) const; // default SpanInfo if out of range
    int markCount(const QString &lane, socklab::EventKind kind) const;
    // The keepalive timer's bracket before each probe of the lane, in order ("idle 1 s",
    // "interval 1 s"; empty where it has no bracket).
    QStringList probeSchedules(const QString &lane) const;
    // Where a span is drawn, in widget coordinates (empty if its lane is scrolled away).
    QRectF spanRect(const QString &lane, int index) const;
    // The tooltip text for a point of the widget; empty where there is nothing.
    QString toolTipAt(const QPoint &pos) const;
    // The time shown at the left edge of the plot, seconds since the epoch.
    double viewStartSeconds() const { return m_viewStart; }
    // The range of time on screen, seconds since the epoch: [start, end].
    std::pair<double, double> visibleSeconds() const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

  public slots:
    void clear();
    void zoomIn();
    void zoomOut();
    void setPixelsPerSecond(double pps);
    void setFollowLive(bool follow);
    // Shows [fromNs, toNs] whole, with a margin either side (zooms and scrolls to it, and
    // stops following live time): a finished run, framed.
    void frame(qint64 fromNs, qint64 toNs);
    // Frames everything from time zero to now (a run that has just ended: its verdict, which
    // the picture does not draw, and its last events still on their way are within it).
    // A kept run drawn under this one is framed with it.
    void frameUntilNow() { frame(0, std::max({m_model.lastEventNs(), nowNs(), m_extentNs})); }
    // A picture of the whole run (from zero to now), whatever the view shows: for a handout.
    // With `kept` (runs kept under this one, see showKept()) their pictures too, on the same
    // time axis, into *keptPictures in the same order. The view is left as it was.
    QPixmap grabRun(const QList<TimelineWidget *> &kept = {},
                    QList<QPixmap> *keptPictures = nullptr);

    // --- a kept run, drawn under the live one for comparison ---
    // What the timeline holds now, to keep.
    TimelineModel snapshot() const { return m_model; }
    // Shows a finished run as it was: no clock of its own (nothing grows), no scroll bar of
    // its own, on the time axis of `axis` (the live timeline: its zoom and scrolling).
    void showKept(const TimelineModel &model, const TimelineWidget *axis);
    // How far the view reaches at least (a kept run's end, ns): both runs can be framed.
    void setMinimumExtent(qint64 ns);
    // What the lanes hold (TimelineModel::drawn() bits), for the legend.
    // (The wire's, only while it is shown.)
    quint32 drawn() const;
    // The time of the latest event drawn (ns since the run's zero).
    qint64 lastEventNs() const { return m_model.lastEventNs(); }

    // --- the wire: under each connection's lane, its segments as a sequence diagram ---
    // Shows or hides the wire rows (they are drawn where the lab's capture saw segments).
    void setShowWire(bool show);
    bool showWire() const { return m_showWire; }
    int wireCount() const { return m_model.wires().count(); }
    const WireBook &wires() const { return m_model.wires(); }
    // The rows top to bottom: a lane's name, or "wire c1 peer1" for the wire under c1.
    QStringList rows() const;
    // Where a segment's arrow is drawn (the middle of its shaft), widget coordinates; null if
    // its row is hidden or scrolled away.
    QPointF segmentPoint(int wire, int segment) const;

    // The lane drawn as chosen (its name highlighted): the socket the actions act on. It is
    // scrolled into view, and kept there as lanes come.
    void setSelectedLane(const QString &name);
    QString selectedLane() const { return m_selected; }
    // The lane at a point of the widget (its name), empty where there is none.
    QString laneNameAt(const QPoint &pos) const;

  signals:
    void followLiveChanged(bool follow);
    void pixelsPerSecondChanged(double pps);
    // A lane was clicked: the user chose its socket.
    void laneClicked(const QString &name);
    // A context menu was asked for on a lane (right click, the menu key), at `globalPos`.
    void laneMenuRequested(const QString &name, const QPoint &globalPos);
    // The view was drawn (a kept run on its time axis follows it).
    void viewPainted();
    // drawn() changed.
    void drawnChanged(quint32 drawn);

  protected:
    bool event(QEvent *e) override;
    void paintEvent(QPaintEvent *e) override;
    void resizeEvent(QResizeEvent *e) override;
    void keyPressEvent(QKeyEvent *e) override;
    void wheelEvent(QWheelEvent *e) override;
    void mousePressEvent(QMouseEvent *e) override;
    void contextMenuEvent(QContextMenuEvent *e) override;
    void showEvent(QShowEvent *e) override;
    void hideEvent(QHideEvent *e) override;
    void changeEvent(QEvent *e) override;

  private:
    // Sizes derived from the widget's font, so a projector zoom scales everything.
    struct Metrics
    {
        int line = 0;    // font line height
        int small = 0;   // small font line height
        int axis = 0;    // height of the time axis
        int lane = 0;    // height of one lane
        int barTop = 0;  // bar offset within a lane
        int bar = 0;     // bar height
        int track = 0;   // deadline track height
        int caption = 0; // caption row offset within a lane
        int gutter = 0;  // width of the label column
        int scroll = 0;  // scroll bar thickness
    };
    Metrics metrics() const;
    QRect plotRect() const;
    // Scrolls the lanes so that this one is in view (nothing if all are, or it has none).
    void ensureLaneVisible(const QString &name);
    // The strip under the lanes where the faults of the network are named (0 without any): a
    // name drawn over the lanes hid the last row's labels.
    int faultStrip() const;

  public:
    // Where the faults of the network are named: the strip under the lanes (empty without a
    // fault).
    QRect faultNameArea() const;

  private:
    QFont smallFont() const;

    qint64 nowNs() const;
    // The time axis drawn: this view's, or for a kept run the live timeline's.
    double pps() const { return m_axis ? m_axis->m_pps : m_pps; }
    double viewStart() const { return m_axis ? m_axis->m_viewStart : m_viewStart; }
    double xForNs(qint64 tNs, const QRect &plot) const;
    qint64 nsForX(double x, const QRect &plot) const;
    int laneTop(int lane, const Metrics &m) const;
    int laneAt(int y, const Metrics &m) const;
    // A row is a lane or, under it, the wire of one of its connections.
    struct Row
    {
        int lane = -1;
        int wire = -1;
    };
    void layoutRows();
    int rowTop(int row, const Metrics &m) const;
    int rowAt(int y, const Metrics &m) const;
    // The lane a wire is drawn under (the earlier of its two ends' lanes), -1 for none.
    int wireOwner(int wire) const;
    // A wire row's drawing; its owner lane is the row's, its socket on the upper rail.
    bool wireUpperIsA(const Row &row) const;
    WireRow wireRow(const Row &row, int top, const QRect &plot, const Metrics &m) const;
    qint64 spanEndNs(const TimelineModel::Span &s) const;

    void zoomTo(double pps, double anchorX);
    void scrollToSeconds(double start);
    double maxViewStart() const;
    double followStart() const; // where the view starts when it follows live time
    void syncScrollBars();
    void layoutScrollBars();
    void onHorizontalScroll(int value);
    void onTick();
    void updateAnimation();
    void setFollowInternal(bool follow);

    void paintAxis(QPainter &p, const QRect &plot, const Metrics &m) const;
    void paintLane(QPainter &p, int lane, const QRect &plot, const Metrics &m, qint64 now) const;
    void paintSpans(QPainter &p, int lane, int top, const QRect &plot, const Metrics &m,
                    qint64 now) const;
    void paintMarks(QPainter &p, int lane, int top, const QRect &plot, const Metrics &m) const;
    void paintFaults(QPainter &p, const QRect &plot, qint64 now) const;
    void paintFaultNames(QPainter &p, const QRect &plot, qint64 now) const;
    std::optional<std::pair<double, double>> faultX(const TimelineModel::FaultSpan &f,
                                                    const QRect &plot, qint64 now) const;
    void paintMarkers(QPainter &p, const QRect &plot, const Metrics &m) const;
    bool probeSchedule(const TimelineModel::Lane &l, int markIndex, qint64 *since,
                       QString *label) const;
    static QString laneNameToolTip(const QString &name);

    QString spanToolTip(const TimelineModel::Lane &lane, const TimelineModel::Span &s) const;
    QString markToolTip(const TimelineModel::Lane &lane, const TimelineModel::Mark &mk) const;
    QString bandToolTip(const TimelineModel::Lane &lane, const TimelineModel::Band &b) const;

    TimelineModel m_model;
    std::vector<Row> m_rows;    // layoutRows()
    std::vector<int> m_laneRow; // each lane's row
    bool m_showWire = true;
    QString m_selected;                     // setSelectedLane()
    const TimelineWidget *m_axis = nullptr; // showKept(): whose zoom and scrolling this follows
    bool m_ruler = true;   // draws its time axis (a kept run on screen: the live one's is above)
    qint64 m_extentNs = 0; // setMinimumExtent()
    std::function<qint64()> m_clock;
    double m_pps = kDefaultPixelsPerSecond; // zoom: pixels per second
    double m_viewStart = 0;                 // seconds at the plot's left edge
    bool m_follow = true;                   // keep "now" in view
    bool m_syncing = false; // the scroll bars are being set from the view, not the user
    QScrollBar *m_hbar = nullptr;
    QScrollBar *m_vbar = nullptr;
    QTimer *m_timer = nullptr;
};
