#include "TimelineWidget.h"

#include "ErrnoText.h"
#include "TimelineStyle.h"

#include <QContextMenuEvent>
#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>
#include <QScrollBar>
#include <QStyle>
#include <QTimer>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <climits>
#include <cmath>
#include <numeric>
#include <utility>

using socklab::Event;
using socklab::EventKind;
using Span = TimelineModel::Span;
using Mark = TimelineModel::Mark;
using Band = TimelineModel::Band;
using Lane = TimelineModel::Lane;
using ProbeResult = TimelineModel::ProbeResult;

namespace {

constexpr int kFrameMs = 33; // ~30 fps while something runs

using namespace timelineStyle;

// Which of several calls squeezed into one pixel column shows: the most alarming.
int severity(TimelineModel::Outcome o)
{
    switch (o) {
    case TimelineModel::Outcome::Ok:
        return 0;
    case TimelineModel::Outcome::Cancelled:
    case TimelineModel::Outcome::Abandoned:
        return 1;
    case TimelineModel::Outcome::PeerClosed:
        return 2;
    case TimelineModel::Outcome::Timeout:
        return 3;
    case TimelineModel::Outcome::Error:
        return 4;
    case TimelineModel::Outcome::Running:
        return 5;
    }
    return 0;
}

QColor outcomeColor(TimelineModel::Outcome o, const QPalette &pal)
{
    switch (o) {
    case TimelineModel::Outcome::Ok:
        return kOk;
    case TimelineModel::Outcome::Timeout:
        return kTimeout;
    case TimelineModel::Outcome::Error:
        return kError;
    case TimelineModel::Outcome::Cancelled:
    case TimelineModel::Outcome::Abandoned:
        return kGrey;
    case TimelineModel::Outcome::PeerClosed:
        return kPeerClosed;
    case TimelineModel::Outcome::Running:
        break;
    }
    return pal.color(QPalette::Highlight);
}

QColor markColor(EventKind kind)
{
    switch (kind) {
    case EventKind::Timeout:
        return kTimeout;
    case EventKind::Cancelled:
        return kGrey;
    case EventKind::PeerClosed:
        return kPeerClosed;
    default:
        return kError;
    }
}

QString secs(double s)
{
    return QString::number(s, 'f', 3);
}

QString secsNs(qint64 ns)
{
    return secs(ns / 1e9);
}

// 1, 2 or 5 times a power of ten, at least `raw`.
double niceStep(double raw)
{
    const double p = std::pow(10.0, std::floor(std::log10(raw)));
    for (const double m : {1.0, 2.0, 5.0, 10.0}) {
        if (m * p >= raw * (1 - 1e-9))
            return m * p;
    }
    return 10 * p;
}

bool isHold(const Span &s)
{
    return s.op == QLatin1String("hold");
}

} // namespace

TimelineWidget::TimelineWidget(QWidget *parent)
    : QWidget(parent), m_hbar(new QScrollBar(Qt::Horizontal, this)),
      m_vbar(new QScrollBar(Qt::Vertical, this)), m_timer(new QTimer(this))
{
    setAttribute(Qt::WA_OpaquePaintEvent);
    setMouseTracking(true);
    setFocusPolicy(Qt::WheelFocus);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    m_vbar->hide();
    m_timer->setInterval(kFrameMs);
    connect(m_timer, &QTimer::timeout, this, &TimelineWidget::onTick);
    connect(m_hbar, &QScrollBar::valueChanged, this, &TimelineWidget::onHorizontalScroll);
    connect(m_vbar, &QScrollBar::valueChanged, this, [this] { update(); });
    layoutScrollBars();
    syncScrollBars();
}

TimelineWidget::~TimelineWidget() = default;

// --- data -------------------------------------------------------------------------------------

void TimelineWidget::append(const QList<Event> &batch)
{
    const size_t rowsBefore = m_rows.size();
    const int stripBefore = faultStrip();
    const quint32 drawnBefore = drawn();
    m_model.append(batch);
    if (drawn() != drawnBefore)
        emit drawnChanged(drawn());
    layoutRows();
    if (faultStrip() != stripBefore)
        layoutScrollBars(); // the lanes end higher: the faults' names have a strip of their own
    if (m_rows.size() != rowsBefore) {
        layoutScrollBars();
        // Following live time, a new socket's lane comes into view (lanes go in order of
        // appearance: the newest is the last, or its wire under it).
        if (m_follow && !m_vbar->isHidden())
            m_vbar->setValue(m_vbar->maximum());
        ensureLaneVisible(m_selected); // but the socket the actions act on before all
    }
    syncScrollBars();
    updateAnimation();
    update();
}

void TimelineWidget::setClock(std::function<qint64()> nowNs)
{
    m_clock = std::move(nowNs);
    updateAnimation();
    update();
}

void TimelineWidget::clear()
{
    const quint32 drawnBefore = m_model.drawn();
    m_model.clear();
    layoutRows();
    if (drawnBefore)
        emit drawnChanged(0);
    m_viewStart = 0;
    // A new page starts at the usual zoom, not at the last run's framing.
    if (!qFuzzyCompare(m_pps, kDefaultPixelsPerSecond)) {
        m_pps = kDefaultPixelsPerSecond;
        emit pixelsPerSecondChanged(m_pps);
    }
    setFollowInternal(true);
    layoutScrollBars();
    syncScrollBars();
    updateAnimation();
    update();
}

qint64 TimelineWidget::nowNs() const
{
    return m_clock ? std::max(m_clock(), qint64(0)) : m_model.lastEventNs();
}

qint64 TimelineWidget::spanEndNs(const Span &s) const
{
    return s.running() ? std::max(nowNs(), s.startNs) : s.endNs;
}

bool TimelineWidget::isAnimating() const
{
    return m_timer->isActive();
}

int TimelineWidget::laneCount() const
{
    return m_model.laneCount();
}

QStringList TimelineWidget::lanes() const
{
    return m_model.laneNames();
}

int TimelineWidget::spanCount(const QString &lane) const
{
    const int li = m_model.laneIndex(lane);
    return li < 0 ? 0 : int(m_model.lane(li).spans.size());
}

TimelineWidget::SpanInfo TimelineWidget::span(const QString &lane, int index) const
{
    const int li = m_model.laneIndex(lane);
    if (li < 0 || index < 0 || index >= spanCount(lane))
        return {};
    const Span &s = m_model.lane(li).spans[size_t(index)];
    SpanInfo info;
    info.op = s.op;
    info.outcome = s.outcome;
    info.startNs = s.startNs;
    info.endNs = spanEndNs(s);
    info.running = s.running();
    if (s.timeout >= 0)
        info.timeout = s.timeout;
    info.timeoutNone = s.timeoutNone;
    return info;
}

int TimelineWidget::markCount(const QString &lane, EventKind kind) const
{
    const int li = m_model.laneIndex(lane);
    if (li < 0)
        return 0;
    const auto &marks = m_model.lane(li).marks;
    return int(std::count_if(marks.begin(), marks.end(),
                             [kind](const Mark &m) { return m.kind == kind; }));
}

QStringList TimelineWidget::probeSchedules(const QString &lane) const
{
    QStringList out;
    const int li = m_model.laneIndex(lane);
    if (li < 0)
        return out;
    const Lane &l = m_model.lane(li);
    for (int i = 0; i < int(l.marks.size()); ++i) {
        if (l.marks[size_t(i)].kind != EventKind::ProbeSent)
            continue;
        qint64 since = 0;
        QString label;
        out << (probeSchedule(l, i, &since, &label) ? label : QString());
    }
    return out;
}

QRectF TimelineWidget::spanRect(const QString &lane, int index) const
{
    const int li = m_model.laneIndex(lane);
    if (li < 0 || index < 0 || index >= spanCount(lane))
        return {};
    const Metrics m = metrics();
    const QRect plot = plotRect();
    const int top = laneTop(li, m);
    if (top + m.lane <= plot.top() || top >= plot.bottom())
        return {};
    const Span &s = m_model.lane(li).spans[size_t(index)];
    const double x1 = xForNs(s.startNs, plot);
    const double x2 = xForNs(spanEndNs(s), plot);
    return QRectF(x1, top + m.barTop, std::max(x2 - x1, 1.0), m.bar);
}

// --- geometry ---------------------------------------------------------------------------------

QFont TimelineWidget::smallFont() const
{
    QFont f = font();
    if (f.pointSizeF() > 0)
        f.setPointSizeF(f.pointSizeF() * 0.85);
    else if (f.pixelSize() > 0)
        f.setPixelSize(std::max(6, int(f.pixelSize() * 0.85)));
    return f;
}

TimelineWidget::Metrics TimelineWidget::metrics() const
{
    const QFontMetrics fm(font());
    const QFontMetrics sm(smallFont());
    Metrics m;
    m.line = fm.height();
    m.small = sm.height();
    // The time axis; a kept run on screen has none of its own (the live run's above is its
    // axis), only a rule that sets it apart from the run above.
    m.axis = m_ruler ? m.line + m.line / 2 + 4 : 1;
    m.barTop = std::max(3, m.line / 5);
    m.bar = m.line + 4;
    m.track = std::max(3, m.line / 4);
    m.caption = m.barTop + m.bar + 2 + m.track + 2;
    m.lane = m.caption + m.small + 3;
    m.gutter = fm.horizontalAdvance(QStringLiteral("peer00")) + m.line;
    m.scroll = style()->pixelMetric(QStyle::PM_ScrollBarExtent, nullptr, this);
    return m;
}

QRect TimelineWidget::plotRect() const
{
    const Metrics m = metrics();
    const int right = width() - (m_vbar->isHidden() ? 0 : m.scroll);
    // A kept run has no horizontal scroll bar of its own: the lanes go down to the bottom.
    const int bottom = height() - (m_axis ? 0 : m.scroll) - faultStrip();
    return QRect(QPoint(m.gutter, m.axis), QPoint(right - 1, bottom - 1));
}

QRect TimelineWidget::faultNameArea() const
{
    const QRect plot = plotRect();
    return QRect(plot.left(), plot.bottom() + 1, plot.width(), faultStrip());
}

int TimelineWidget::faultStrip() const
{
    const int rows = std::min<int>(3, int(m_model.faults().size()));
    return rows == 0 ? 0 : rows * (QFontMetrics(font()).height() + 2) + 2;
}

double TimelineWidget::xForNs(qint64 tNs, const QRect &plot) const
{
    return plot.left() + (tNs / 1e9 - viewStart()) * pps();
}

qint64 TimelineWidget::nsForX(double x, const QRect &plot) const
{
    return qint64(std::llround((viewStart() + (x - plot.left()) / pps()) * 1e9));
}

int TimelineWidget::rowTop(int row, const Metrics &m) const
{
    const int scrolled = m_vbar->isHidden() ? 0 : m_vbar->value();
    return m.axis + row * m.lane - scrolled;
}

int TimelineWidget::rowAt(int y, const Metrics &m) const
{
    if (y < m.axis)
        return -1;
    const int scrolled = m_vbar->isHidden() ? 0 : m_vbar->value();
    const int row = (y - m.axis + scrolled) / m.lane;
    return row < int(m_rows.size()) ? row : -1;
}

int TimelineWidget::laneTop(int lane, const Metrics &m) const
{
    return rowTop(m_laneRow[size_t(lane)], m);
}

int TimelineWidget::laneAt(int y, const Metrics &m) const
{
    const int row = rowAt(y, m);
    return row < 0 ? -1 : m_rows[size_t(row)].lane;
}

int TimelineWidget::wireOwner(int wire) const
{
    // Under the end that sent first (the client's SYN: c1, a program's p1), else the other.
    const Wire &w = m_model.wires().wire(wire);
    const int a = w.nameA.isEmpty() ? -1 : m_model.laneIndex(w.nameA);
    return a >= 0 ? a : (w.nameB.isEmpty() ? -1 : m_model.laneIndex(w.nameB));
}

void TimelineWidget::layoutRows()
{
    const int lanes = m_model.laneCount();
    std::vector<std::vector<int>> under(size_t(lanes) + 1); // the last: wires of no lane
    if (m_showWire) {
        for (int w = 0; w < m_model.wires().count(); ++w) {
            const int owner = wireOwner(w);
            under[owner < 0 ? size_t(lanes) : size_t(owner)].push_back(w);
        }
    }
    // A kept run shows the page's own sockets first and the built-in peer's after: where it
    // has room for a lane or two (four runs kept on a projector), those are what is compared.
    std::vector<int> order(static_cast<size_t>(lanes));
    std::iota(order.begin(), order.end(), 0);
    if (m_axis) {
        std::stable_partition(order.begin(), order.end(), [this](int l) {
            return !m_model.lane(l).name.startsWith(QLatin1String("peer"));
        });
    }
    m_rows.clear();
    m_laneRow.assign(size_t(lanes), 0);
    for (const int l : order) {
        m_laneRow[size_t(l)] = int(m_rows.size());
        m_rows.push_back({l, -1});
        for (int w : under[size_t(l)])
            m_rows.push_back({l, w});
    }
    for (int w : under[size_t(lanes)])
        m_rows.push_back({-1, w});
}

quint32 TimelineWidget::drawn() const
{
    // The legend names only what is on screen: not the wire's arrows while it is hidden.
    constexpr quint32 wire = TimelineModel::DrawnWireSegment | TimelineModel::DrawnWireResent |
                             TimelineModel::DrawnWireKeepalive | TimelineModel::DrawnWireReset |
                             TimelineModel::DrawnWireLost;
    return m_showWire ? m_model.drawn() : m_model.drawn() & ~wire;
}

void TimelineWidget::setShowWire(bool show)
{
    if (show == m_showWire)
        return;
    const quint32 before = drawn();
    m_showWire = show;
    if (drawn() != before)
        emit drawnChanged(drawn());
    layoutRows();
    layoutScrollBars();
    syncScrollBars();
    update();
}

QStringList TimelineWidget::rows() const
{
    QStringList out;
    for (const Row &r : m_rows) {
        if (r.wire < 0) {
            out << m_model.lane(r.lane).name;
            continue;
        }
        const Wire &w = m_model.wires().wire(r.wire);
        const bool upperIsA = wireUpperIsA(r);
        const QString upper = upperIsA ? w.nameA : w.nameB;
        const QString lower = upperIsA ? w.nameB : w.nameA;
        out << QStringLiteral("wire %1 %2")
                   .arg(upper.isEmpty() ? QStringLiteral("?") : upper,
                        lower.isEmpty() ? QStringLiteral("?") : lower);
    }
    return out;
}

bool TimelineWidget::wireUpperIsA(const Row &row) const
{
    return row.lane < 0 || m_model.wires().wire(row.wire).nameA == m_model.lane(row.lane).name;
}

WireRow TimelineWidget::wireRow(const Row &row, int top, const QRect &plot, const Metrics &m) const
{
    WireRow::Geometry g;
    g.plot = plot;
    g.top = top;
    g.height = m.lane;
    g.gutter = m.gutter;
    g.viewStartS = viewStart();
    g.pps = pps();
    g.font = smallFont();
    g.palette = palette();
    g.nowNs = nowNs();
    return WireRow(m_model.wires(), row.wire, wireUpperIsA(row), g);
}

QPointF TimelineWidget::segmentPoint(int wire, int segment) const
{
    const Metrics m = metrics();
    const QRect plot = plotRect();
    for (size_t row = 0; row < m_rows.size(); ++row) {
        if (m_rows[row].wire != wire)
            continue;
        const int top = rowTop(int(row), m);
        if (top + m.lane <= plot.top() || top >= plot.bottom())
            return {};
        return wireRow(m_rows[row], top, plot, m).arrowAt(segment);
    }
    return {};
}

QSize TimelineWidget::sizeHint() const
{
    if (m_axis) { // a kept run: as tall as its lanes (four at most; more scroll)
        const Metrics m = metrics();
        return QSize(600, m.axis + std::clamp(int(m_rows.size()), 1, 4) * m.lane);
    }
    return QSize(600, std::max(200, minimumSizeHint().height()));
}

QSize TimelineWidget::minimumSizeHint() const
{
    const Metrics m = metrics();
    if (m_axis) // a kept run: one lane at least, the rest scrolls
        return QSize(m.gutter + 10 * m.line, m.axis + m.lane);
    return QSize(m.gutter + 10 * m.line, m.axis + m.lane + m.scroll); // the rest scrolls
}

// --- scrolling and zoom -----------------------------------------------------------------------

double TimelineWidget::pixelsPerSecond() const
{
    return m_pps;
}

void TimelineWidget::showKept(const TimelineModel &model, const TimelineWidget *axis)
{
    m_axis = axis;   // first: a kept run's rows are laid out as such
    m_ruler = false; // the live timeline above draws the axis they share
    m_model = model;
    layoutRows();
    emit drawnChanged(drawn());
    m_clock = {};
    setFocusPolicy(Qt::NoFocus);
    // Its lanes when there is room, sharing it with the live run; down to one lane (the rest
    // scrolls) when there is not.
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    updateGeometry();
    m_follow = false;
    m_hbar->hide();
    m_timer->stop();
    layoutScrollBars();
    update();
}

void TimelineWidget::setMinimumExtent(qint64 ns)
{
    m_extentNs = ns;
    syncScrollBars();
    update();
}

double TimelineWidget::followStart() const
{
    const double visible = plotRect().width() / m_pps;
    qint64 end = m_model.lastEventNs();
    if (m_model.runningCount() > 0)
        end = std::max(end, nowNs());
    // Leave a tenth of the view after the newest event, so "now" is not glued to the edge.
    return std::max(0.0, end / 1e9 + visible * 0.1 - visible);
}

double TimelineWidget::maxViewStart() const
{
    // A kept run drawn under this one may reach further: the view can go there too.
    const double visible = plotRect().width() / m_pps;
    return std::max(followStart(), m_extentNs / 1e9 + visible * 0.1 - visible);
}

void TimelineWidget::syncScrollBars()
{
    const double maxStart = maxViewStart();
    if (m_follow)
        m_viewStart = followStart();
    m_viewStart = std::clamp(m_viewStart, 0.0, maxStart);
    const QRect plot = plotRect();
    m_syncing = true;
    const auto toPx = [this](double s) {
        return int(std::min(std::round(s * m_pps), double(INT_MAX / 2)));
    };
    m_hbar->setRange(0, toPx(maxStart));
    m_hbar->setPageStep(std::max(1, plot.width()));
    m_hbar->setSingleStep(std::max(1, plot.width() / 20));
    // Following sits exactly at the end, so that reading it back says "following".
    m_hbar->setValue(m_follow && m_viewStart >= maxStart ? m_hbar->maximum() : toPx(m_viewStart));
    m_syncing = false;
}

void TimelineWidget::layoutScrollBars()
{
    const Metrics m = metrics();
    const int available = std::max(0, height() - m.axis - (m_axis ? 0 : m.scroll) - faultStrip());
    const int total = int(m_rows.size()) * m.lane;
    const bool needV = total > available;
    m_vbar->setHidden(!needV);
    m_vbar->setRange(0, needV ? total - available : 0);
    m_vbar->setPageStep(std::max(1, available));
    m_vbar->setSingleStep(m.lane);
    const int right = width() - (needV ? m.scroll : 0);
    m_hbar->setGeometry(m.gutter, height() - m.scroll, std::max(0, right - m.gutter), m.scroll);
    m_vbar->setGeometry(width() - m.scroll, m.axis, m.scroll, available);
}

void TimelineWidget::onHorizontalScroll(int value)
{
    if (m_syncing)
        return;
    m_viewStart = value / m_pps;
    // The user took the view: back in time stops following, back to the end resumes it.
    setFollowInternal(value >= m_hbar->maximum() ||
                      std::abs(value - std::round(followStart() * m_pps)) <= 1);
    update();
}

void TimelineWidget::scrollToSeconds(double start)
{
    m_viewStart = std::max(0.0, start);
    syncScrollBars();
    update();
}

void TimelineWidget::zoomTo(double pps, double anchorX)
{
    pps = std::clamp(pps, kMinPixelsPerSecond, kMaxPixelsPerSecond);
    const QRect plot = plotRect();
    const double dx = std::clamp(anchorX, double(plot.left()), double(plot.right())) - plot.left();
    // Keep the time under the anchor where it is on screen.
    const double anchorT = m_viewStart + dx / m_pps;
    const bool changed = !qFuzzyCompare(pps, m_pps);
    m_pps = pps;
    scrollToSeconds(anchorT - dx / m_pps);
    if (changed)
        emit pixelsPerSecondChanged(m_pps);
}

void TimelineWidget::setPixelsPerSecond(double pps)
{
    const QRect plot = plotRect();
    double anchor = plot.center().x();
    if (m_follow) {
        const double nowX = xForNs(std::max(nowNs(), m_model.lastEventNs()), plot);
        if (nowX >= plot.left() && nowX <= plot.right())
            anchor = nowX;
    }
    zoomTo(pps, anchor);
}

void TimelineWidget::zoomIn()
{
    setPixelsPerSecond(m_pps * kZoomFactor);
}

void TimelineWidget::zoomOut()
{
    setPixelsPerSecond(m_pps / kZoomFactor);
}

std::pair<double, double> TimelineWidget::visibleSeconds() const
{
    return {m_viewStart, m_viewStart + plotRect().width() / m_pps};
}

void TimelineWidget::frame(qint64 fromNs, qint64 toNs)
{
    const double span = std::max((toNs - fromNs) / 1e9, 0.05);
    // A quarter of the span more than the span: the newest event then stands before the tenth
    // of the view that maxViewStart() leaves free, so nothing of the range is clamped away.
    const double pps = std::clamp(std::max(1, plotRect().width()) / (span * 1.25),
                                  kMinPixelsPerSecond, kMaxPixelsPerSecond);
    const bool changed = !qFuzzyCompare(pps, m_pps);
    m_pps = pps;
    setFollowInternal(false);
    scrollToSeconds(fromNs / 1e9 - span * 0.1);
    if (changed)
        emit pixelsPerSecondChanged(m_pps);
}

QPixmap TimelineWidget::grabRun(const QList<TimelineWidget *> &kept, QList<QPixmap> *keptPictures)
{
    const double pps = m_pps, start = m_viewStart;
    const bool follow = m_follow, hbar = m_hbar->isVisible();
    const QSignalBlocker block(this); // the zoom label and follow button stay as they are
    // The run, not the time since: to now only while something still runs.
    const qint64 end = m_model.runningCount() > 0 ? nowNs() : m_model.lastEventNs();
    frame(0, std::max(end, m_extentNs));
    m_hbar->hide(); // a scroll bar means nothing on paper
    const QString selected = std::exchange(m_selected, QString()); // nor the lane chosen
    const QPixmap picture = grab();
    m_selected = selected;
    if (keptPictures) {
        // Each reads this view's axis as it is now; on paper with a ruler of its own, and
        // every lane (the screen may have had room for one).
        for (TimelineWidget *k : kept) {
            const QRect screen = k->geometry();
            const int scrolled = k->m_vbar->value(); // the full height has no scroll bar
            k->m_ruler = true;
            const Metrics km = k->metrics();
            k->resize(k->width(), km.axis + int(k->m_rows.size()) * km.lane + k->faultStrip());
            *keptPictures << k->grab();
            k->m_ruler = false;
            k->setGeometry(screen);
            k->m_vbar->setValue(scrolled);
        }
    }
    m_hbar->setVisible(hbar);
    m_pps = pps;
    m_viewStart = start;
    m_follow = follow;
    syncScrollBars();
    updateAnimation();
    update();
    return picture;
}

void TimelineWidget::setFollowLive(bool follow)
{
    setFollowInternal(follow);
}

void TimelineWidget::setFollowInternal(bool follow)
{
    if (m_follow == follow)
        return;
    m_follow = follow;
    if (m_follow)
        syncScrollBars();
    updateAnimation();
    update();
    emit followLiveChanged(m_follow);
}

void TimelineWidget::updateAnimation()
{
    // Repaint on a timer only while a call or a TIME_WAIT band runs toward "now", or a segment
    // on the wire is drawn on its way; otherwise the view is static.
    const bool run = m_clock &&
                     (m_model.runningCount() > 0 || m_model.openBandCount() > 0 ||
                      (m_showWire && nowNs() < m_model.wires().onItsWayUntilNs())) &&
                     isVisible();
    if (run && !m_timer->isActive())
        m_timer->start();
    else if (!run && m_timer->isActive())
        m_timer->stop();
}

void TimelineWidget::onTick()
{
    syncScrollBars(); // the content grows with "now"; following keeps it in view
    update();
    updateAnimation();
}

// --- events -----------------------------------------------------------------------------------

bool TimelineWidget::event(QEvent *e)
{
    if (e->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(e);
        const QString text = toolTipAt(help->pos());
        if (text.isEmpty()) {
            QToolTip::hideText();
            e->ignore();
        } else {
            // Within a few pixels only, so moving on to the next bar or mark shows its own.
            QToolTip::showText(help->globalPos(), text, this,
                               QRect(help->pos() - QPoint(3, 3), QSize(7, 7)));
        }
        return true;
    }
    return QWidget::event(e);
}

void TimelineWidget::resizeEvent(QResizeEvent *e)
{
    QWidget::resizeEvent(e);
    layoutScrollBars();
    syncScrollBars();
}

void TimelineWidget::showEvent(QShowEvent *e)
{
    QWidget::showEvent(e);
    updateAnimation();
}

void TimelineWidget::hideEvent(QHideEvent *e)
{
    QWidget::hideEvent(e);
    updateAnimation();
}

void TimelineWidget::changeEvent(QEvent *e)
{
    QWidget::changeEvent(e);
    if (e->type() == QEvent::FontChange || e->type() == QEvent::StyleChange) {
        // Everything is measured in the font: the lanes, the gutter, the axis.
        updateGeometry();
        layoutScrollBars();
        syncScrollBars();
    }
    if (e->type() == QEvent::FontChange || e->type() == QEvent::PaletteChange ||
        e->type() == QEvent::StyleChange)
        update();
}

void TimelineWidget::keyPressEvent(QKeyEvent *e)
{
    const int page = std::max(1, plotRect().width() / 4);
    switch (e->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        zoomIn();
        break;
    case Qt::Key_Minus:
        zoomOut();
        break;
    case Qt::Key_Left:
        m_hbar->setValue(m_hbar->value() - page);
        break;
    case Qt::Key_Right:
        m_hbar->setValue(m_hbar->value() + page);
        break;
    case Qt::Key_Home:
        m_hbar->setValue(0);
        break;
    case Qt::Key_End:
        setFollowLive(true);
        break;
    default:
        QWidget::keyPressEvent(e);
        return;
    }
    e->accept();
}

void TimelineWidget::wheelEvent(QWheelEvent *e)
{
    if (m_axis) { // a kept run follows the live timeline's axis: move that one instead
        e->ignore();
        return;
    }
    const QPoint delta = e->angleDelta();
    const Metrics m = metrics();
    const QRect plot = plotRect();
    if (e->modifiers() & Qt::ControlModifier) {
        if (delta.y() == 0) {
            e->ignore();
            return;
        }
        zoomTo(m_pps * std::pow(kZoomFactor, delta.y() / 120.0), e->position().x());
        e->accept();
        return;
    }
    const bool overGutter = e->position().x() < plot.left();
    if (!m_vbar->isHidden() && (overGutter || (e->modifiers() & Qt::ShiftModifier))) {
        m_vbar->setValue(m_vbar->value() - qRound(delta.y() / 120.0 * m.lane));
        e->accept();
        return;
    }
    const int d = delta.x() != 0 ? delta.x() : delta.y();
    const int px = qRound(-d / 120.0 * plot.width() / 8.0);
    if (px == 0) {
        e->ignore();
        return;
    }
    // Through the scroll bar, so the same rule turns following off and on.
    m_hbar->setValue(m_hbar->value() + px);
    e->accept();
}

// --- painting ---------------------------------------------------------------------------------

void TimelineWidget::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    const QPalette &pal = palette();
    const Metrics m = metrics();
    const QRect plot = plotRect();
    const qint64 now = nowNs();

    p.fillRect(rect(), pal.color(QPalette::Base));
    p.fillRect(QRect(0, 0, m.gutter, height()), pal.color(QPalette::Window));

    if (m_model.laneCount() == 0) {
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(plot, Qt::AlignCenter | Qt::TextWordWrap,
                   tr("Run an experiment: each socket gets a lane here, its calls drawn as bars."));
    }

    const int scrolled = m_vbar->isHidden() ? 0 : m_vbar->value();
    const int firstRow = std::max(0, scrolled / m.lane);
    const int lastRow = std::min(int(m_rows.size()) - 1, (scrolled + plot.height()) / m.lane);
    p.save();
    p.setClipRect(QRect(0, plot.top(), width(), plot.height()));
    for (int i = firstRow; i <= lastRow; ++i) {
        // A wire is shaded as the lane it is under: they read as one. Lanes alternate in the
        // order drawn (a kept run draws its own sockets' first).
        const int lane = m_rows[size_t(i)].lane;
        if ((lane < 0 ? i : m_laneRow[size_t(lane)]) % 2)
            p.fillRect(QRect(plot.left(), rowTop(i, m), plot.width(), m.lane),
                       pal.color(QPalette::AlternateBase));
    }
    paintAxis(p, plot, m); // grid lines only, inside the clip
    paintFaults(p, plot, now);
    for (int i = firstRow; i <= lastRow; ++i) {
        const Row &row = m_rows[size_t(i)];
        if (row.wire < 0) {
            paintLane(p, row.lane, plot, m, now);
            continue;
        }
        const int top = rowTop(i, m);
        const WireRow wire = wireRow(row, top, plot, m);
        wire.paintNames(p);
        p.save();
        p.setClipRect(QRect(plot.left(), std::max(top, plot.top()), plot.width(), m.lane),
                      Qt::IntersectClip);
        wire.paint(p);
        p.restore();
        QColor sep = pal.color(QPalette::Mid);
        sep.setAlpha(90);
        p.setPen(sep);
        p.drawLine(0, top + m.lane - 1, plot.right(), top + m.lane - 1);
    }
    paintMarkers(p, plot, m);
    if (m_model.runningCount() > 0 && m_clock) {
        const double x = xForNs(now, plot);
        if (x >= plot.left() && x <= plot.right()) {
            p.setPen(QPen(pal.color(QPalette::Highlight), 1.5));
            p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
        }
    }
    p.restore();
    paintFaultNames(p, plot, now);

    // The axis strip above the lanes, with its labels.
    p.fillRect(QRect(0, 0, width(), m.axis), pal.color(QPalette::Window));
    if (m_ruler)
        paintAxis(p, QRect(plot.left(), 0, plot.width(), m.axis), m);
    if (m_model.runningCount() > 0 && m_clock) {
        const double x = xForNs(now, plot);
        if (x >= plot.left() && x <= plot.right()) {
            const double s = m.line / 3.0;
            const QPointF tri[3] = {{x - s, m.axis - s}, {x + s, m.axis - s}, {x, double(m.axis)}};
            p.setPen(Qt::NoPen);
            p.setBrush(pal.color(QPalette::Highlight));
            p.drawPolygon(tri, 3);
        }
    }
    p.setPen(pal.color(QPalette::Mid));
    p.drawLine(0, m.axis - 1, width(), m.axis - 1);
    p.drawLine(m.gutter - 1, 0, m.gutter - 1, height());
    // The corner under the vertical scroll bar's column and left of the horizontal one.
    p.fillRect(QRect(0, height() - m.scroll, m.gutter - 1, m.scroll), pal.color(QPalette::Window));
    emit viewPainted();
}

// Where a fault's band begins and ends in the plot (clipped to it); nullopt when it is out of
// view.
std::optional<std::pair<double, double>> TimelineWidget::faultX(const TimelineModel::FaultSpan &f,
                                                                const QRect &plot, qint64 now) const
{
    const double x0 = std::max(double(plot.left()), xForNs(f.startNs, plot));
    const double x1 = std::min(double(plot.right()),
                               xForNs(f.endNs == TimelineModel::kOpen ? now : f.endNs, plot));
    if (x1 < plot.left() || x0 > plot.right() || x1 < x0)
        return std::nullopt;
    return std::pair{x0, x1};
}

// A fault of the network concerns every socket: a tinted, dotted band behind all lanes from
// when it was made to when it was mended (or now), continued in the strip under the lanes,
// where it is named (paintFaultNames).
void TimelineWidget::paintFaults(QPainter &p, const QRect &plot, qint64 now) const
{
    const QRect withStrip = plot.adjusted(0, 0, 0, faultStrip());
    for (const TimelineModel::FaultSpan &f : m_model.faults()) {
        const auto xs = faultX(f, plot, now);
        if (!xs)
            continue;
        const auto [x0, x1] = *xs;
        const QRectF band(x0, withStrip.top(), std::max(2.0, x1 - x0), withStrip.height());
        p.fillRect(band, withAlpha(kFault, 28));
        p.fillRect(band, QBrush(withAlpha(kFault, 90), Qt::Dense6Pattern));
        p.setPen(QPen(kFault, 2));
        p.drawLine(QPointF(x0, withStrip.top()), QPointF(x0, withStrip.bottom()));
    }
}

// The faults' names, in the strip under the lanes, one row each (the last rows shared), so
// that faults made together stay readable and no lane's label is covered.
void TimelineWidget::paintFaultNames(QPainter &p, const QRect &plot, qint64 now) const
{
    const int strip = faultStrip();
    if (strip == 0)
        return;
    const QRect area(plot.left(), plot.bottom() + 1, plot.width(), strip);
    p.save();
    p.setClipRect(area);
    p.fillRect(area, palette().color(QPalette::Base));
    paintFaults(p, plot, now);
    const QFontMetrics fm(font());
    const int rows = std::max(1, (strip - 2) / (fm.height() + 2));
    int row = 0;
    for (const TimelineModel::FaultSpan &f : m_model.faults()) {
        const auto xs = faultX(f, plot, now);
        if (!xs)
            continue;
        const double x0 = xs->first;
        const QRectF label(x0 + 3, area.top() + 1 + (row % rows) * (fm.height() + 2),
                           fm.horizontalAdvance(f.text) + 6, fm.height());
        p.fillRect(label, withAlpha(palette().color(QPalette::Base), 220));
        p.setPen(QPen(kFault, 2));
        p.drawText(label, Qt::AlignLeft | Qt::AlignVCenter, f.text);
        ++row;
    }
    QColor sep = palette().color(QPalette::Mid);
    p.setPen(sep);
    p.drawLine(area.left(), area.top(), area.right(), area.top());
    p.restore();
}

// Stop and the plug pulled concern every socket: a dashed line across all lanes, named at the
// top of the plot.
void TimelineWidget::paintMarkers(QPainter &p, const QRect &plot, const Metrics &m) const
{
    const QFont bold = [this] {
        QFont f = font();
        f.setBold(true);
        return f;
    }();
    p.setFont(bold);
    const QFontMetrics fm(bold);
    for (const TimelineModel::Marker &mk : m_model.markers()) {
        const double x = xForNs(mk.tNs, plot);
        if (x < plot.left() - 1 || x > plot.right() + 1)
            continue;
        const QColor c = mk.text == QLatin1String("Stop") ? kError : kTimeWait;
        p.setPen(QPen(c, std::max(2.0, m.line / 8.0), Qt::DashLine));
        p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
        const QRectF label(x + 3, plot.top() + 2, fm.horizontalAdvance(mk.text) + 6, fm.height());
        p.fillRect(label, withAlpha(palette().color(QPalette::Base), 220));
        p.setPen(c);
        p.drawText(label, Qt::AlignLeft | Qt::AlignVCenter, mk.text);
    }
}

// With a plot rect spanning the lanes it draws the grid; with the axis strip, ticks and labels.
void TimelineWidget::paintAxis(QPainter &p, const QRect &area, const Metrics &m) const
{
    const QPalette &pal = palette();
    const QFontMetrics fm(font());
    const bool strip = area.top() == 0 && area.height() == m.axis;
    // Room for the widest label in view (late times have more digits), plus a gap.
    const double tEnd = viewStart() + area.width() / pps();
    const double minGap =
        fm.horizontalAdvance(QStringLiteral("%1 s").arg(std::max(tEnd, 100.0), 0, 'f', 3)) + m.line;
    const double step = niceStep(minGap / pps());
    const double mantissa = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
    const int minorPerMajor = std::lround(mantissa) == 2 ? 4 : 5;
    const int decimals = std::max(0, -int(std::floor(std::log10(step) + 1e-9)));
    const double t0 = viewStart();
    const double t1 = tEnd;
    const qint64 firstMinor = qint64(std::floor(t0 / step * minorPerMajor));
    const qint64 lastMinor = qint64(std::ceil(t1 / step * minorPerMajor));
    QColor grid = pal.color(QPalette::Mid);
    grid.setAlpha(70);
    if (strip)
        p.setFont(font());
    for (qint64 k = std::max<qint64>(0, firstMinor); k <= lastMinor; ++k) {
        const double t = double(k) * step / minorPerMajor;
        const double x = area.left() + (t - t0) * pps();
        if (x < area.left() - 1 || x > area.right() + 1)
            continue;
        const bool major = k % minorPerMajor == 0;
        if (!strip) {
            if (major) {
                p.setPen(grid);
                p.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()));
            }
            continue;
        }
        p.setPen(pal.color(major ? QPalette::WindowText : QPalette::Mid));
        const double len = major ? m.line / 2.5 : m.line / 5.0;
        p.drawLine(QPointF(x, m.axis - 1 - len), QPointF(x, m.axis - 1));
        if (!major)
            continue;
        // Below a second in milliseconds, which read more easily than 0.005 s.
        QString label;
        if (k == 0)
            label = QStringLiteral("0");
        else if (t < 1 && step < 1)
            label = tr("%1 ms").arg(t * 1000, 0, 'f', std::max(0, decimals - 3));
        else
            label = tr("%1 s").arg(t, 0, 'f', decimals);
        p.drawText(QPointF(x + 3, 2 + fm.ascent()), label);
    }
}

void TimelineWidget::paintLane(QPainter &p, int lane, const QRect &plot, const Metrics &m,
                               qint64 now) const
{
    const QPalette &pal = palette();
    const Lane &l = m_model.lane(lane);
    const int top = laneTop(lane, m);

    // The label, in the gutter; the chosen socket's on the highlight colour, in bold.
    QFont labelFont = font();
    const bool chosen = !m_selected.isEmpty() && l.name == m_selected;
    labelFont.setBold(chosen);
    const QFontMetrics fm(labelFont);
    p.setFont(labelFont);
    const QRect labelRect(m.line / 2, top + m.barTop, m.gutter - m.line, m.bar);
    if (chosen) {
        p.fillRect(QRect(0, top + m.barTop, m.gutter - 1, m.bar), pal.color(QPalette::Highlight));
        p.setPen(pal.color(QPalette::HighlightedText));
    } else {
        p.setPen(pal.color(QPalette::WindowText));
    }
    p.drawText(labelRect, Qt::AlignLeft | Qt::AlignVCenter,
               fm.elidedText(l.name, Qt::ElideRight, labelRect.width()));

    p.save();
    p.setClipRect(QRect(plot.left(), std::max(top, plot.top()), plot.width(), m.lane),
                  Qt::IntersectClip);

    // TIME_WAIT: the kernel keeps the connection (and its port) after close; a hatched band.
    const QFont small = smallFont();
    const QFontMetrics sm(small);
    for (const Band &b : l.bands) {
        const double x1 = std::max(xForNs(b.startNs, plot), plot.left() - 2.0);
        const qint64 end = b.endNs == TimelineModel::kOpen ? std::max(now, b.startNs) : b.endNs;
        const double x2 = std::min(xForNs(end, plot), plot.right() + 2.0);
        if (x2 < plot.left() || x1 > plot.right())
            continue;
        const QRectF r(x1, top + m.barTop, std::max(x2 - x1, 1.0), m.bar + 2 + m.track);
        p.fillRect(r, withAlpha(kTimeWait, 40));
        p.setBrushOrigin(QPointF(xForNs(b.startNs, plot), 0));
        p.fillRect(r, QBrush(withAlpha(kTimeWait, 130), Qt::BDiagPattern));
        const QString text = b.state;
        if (r.width() > sm.horizontalAdvance(text) + 8) {
            p.setFont(small);
            p.setPen(pal.color(QPalette::Text));
            p.drawText(r.adjusted(4, 0, -4, 0), Qt::AlignLeft | Qt::AlignVCenter, text);
        }
    }
    paintSpans(p, lane, top, plot, m, now);
    paintMarks(p, lane, top, plot, m);
    p.restore();

    QColor sep = pal.color(QPalette::Mid);
    sep.setAlpha(90);
    p.setPen(sep);
    p.drawLine(0, top + m.lane - 1, plot.right(), top + m.lane - 1);
}

void TimelineWidget::paintSpans(QPainter &p, int lane, int top, const QRect &plot, const Metrics &m,
                                qint64 now) const
{
    const QPalette &pal = palette();
    const Lane &l = m_model.lane(lane);
    const qint64 from = nsForX(plot.left() - 2, plot);
    const qint64 to = nsForX(plot.right() + 2, plot);
    const auto [first, last] = m_model.spansIn(lane, from, to);
    const QFontMetrics fm(font());
    p.setFont(font());
    const double barY = top + m.barTop;
    const double lo = plot.left() - 20.0;
    const double hi = plot.right() + 20.0;

    // Calls narrower than a couple of pixels pile up in one column when zoomed out: draw one
    // column per pixel, in the colour of its most alarming call, so 100k calls cost ~width rects.
    int column = INT_MIN;
    TimelineModel::Outcome columnOutcome = TimelineModel::Outcome::Ok;
    const auto flush = [&] {
        if (column == INT_MIN)
            return;
        p.fillRect(QRectF(column, barY, 1.5, m.bar), outcomeColor(columnOutcome, pal));
        column = INT_MIN;
    };

    for (int i = first; i < last; ++i) {
        const Span &s = l.spans[size_t(i)];
        const qint64 end = s.running() ? std::max(now, s.startNs) : s.endNs;
        if (end < from)
            continue;
        const double rawX1 = xForNs(s.startNs, plot);
        const double rawX2 = xForNs(end, plot);
        if (!s.running() && rawX2 - rawX1 < 2) {
            const int c = int(std::floor(rawX1));
            if (c != column) {
                flush();
                column = c;
                columnOutcome = s.outcome;
            } else if (severity(s.outcome) > severity(columnOutcome)) {
                columnOutcome = s.outcome;
            }
            continue;
        }
        flush();
        const double x1 = std::clamp(rawX1, lo, hi);
        const double x2 = std::clamp(rawX2, lo, hi);
        const QRectF bar(x1, barY, std::max(x2 - x1, 1.0), m.bar);
        const QColor c = outcomeColor(s.outcome, pal);
        const bool openEnded = s.running() && s.timeoutNone;
        if (openEnded) {
            // Open-ended and striped: nothing bounds this call.
            p.fillRect(bar, withAlpha(c, 50));
            p.setBrushOrigin(QPointF(rawX1, 0));
            p.fillRect(bar, QBrush(withAlpha(c, 150), Qt::BDiagPattern));
            const double a = bar.height() / 2;
            const QPointF arrow[3] = {
                {x2, barY}, {x2 + a * 0.8, barY + a}, {x2, barY + bar.height()}};
            p.setPen(Qt::NoPen);
            p.setBrush(c);
            p.drawPolygon(arrow, 3);
        } else {
            p.fillRect(bar, withAlpha(c, s.running() ? 70 : kTintAlpha));
        }
        p.setPen(QPen(c, 1));
        p.setBrush(Qt::NoBrush);
        p.drawRect(bar.adjusted(0.5, 0.5, -0.5, -0.5));

        // The op name in the bar when it fits; kept in view while scrolling through a long call.
        QString text = s.op;
        if (openEnded && !isHold(s))
            text = tr("%1 \u2014 no timeout").arg(s.op);
        const double textX = std::max(x1, double(plot.left())) + 4;
        const double room = x2 - textX - 4;
        if (room > fm.horizontalAdvance(text)) {
            p.setPen(pal.color(QPalette::Text));
            p.drawText(QRectF(textX, barY, room, bar.height()), Qt::AlignLeft | Qt::AlignVCenter,
                       text);
        } else if (openEnded && room > fm.horizontalAdvance(s.op)) {
            p.setPen(pal.color(QPalette::Text));
            p.drawText(QRectF(textX, barY, room, bar.height()), Qt::AlignLeft | Qt::AlignVCenter,
                       s.op);
        }

        // A running call with a deadline: a thin track below filling toward it.
        if (s.running() && !s.timeoutNone && s.timeout >= 0) {
            const qint64 deadline = s.startNs + qint64(s.timeout * 1e9);
            const double dx = std::clamp(xForNs(deadline, plot), lo, hi);
            const double trackY = barY + m.bar + 2;
            const QRectF track(x1, trackY, std::max(dx - x1, 1.0), m.track);
            const double fraction =
                s.timeout > 0 ? std::clamp((now - s.startNs) / (s.timeout * 1e9), 0.0, 1.0) : 1.0;
            const bool overdue = now >= deadline;
            p.fillRect(track, withAlpha(pal.color(QPalette::Mid), 60));
            const double fillRight = std::clamp(
                xForNs(s.startNs, plot) + fraction * (deadline - s.startNs) / 1e9 * pps(), lo, hi);
            p.fillRect(QRectF(x1, trackY, std::max(fillRight - x1, 0.0), m.track),
                       overdue ? kTimeout : pal.color(QPalette::Highlight));
            p.setPen(QPen(pal.color(QPalette::Text), std::max(1.5, m.line / 10.0)));
            p.drawLine(QPointF(dx, barY - 1), QPointF(dx, trackY + m.track + 1));
        }
    }
    flush();
}

// The keepalive timer at work, between the observations it explains: the silence from the
// last sign of life (a call that returned, an answered probe) to the first probe, with
// TCP_KEEPIDLE as the kernel read it back; from one unanswered probe to the next, with
// TCP_KEEPINTVL. Both ends are observed events: the picture sets the settings against what
// the kernel did. False where the lane lacks either end or the setting.
bool TimelineWidget::probeSchedule(const Lane &l, int markIndex, qint64 *since,
                                   QString *label) const
{
    const Mark &mk = l.marks[size_t(markIndex)];
    *since = -1;
    int setting = -1;
    if (mk.probe > 1) {
        for (int j = markIndex - 1; j >= 0; --j) {
            const Mark &prev = l.marks[size_t(j)];
            if (prev.kind == EventKind::ProbeSent) {
                *since = prev.tNs;
                break;
            }
        }
        setting = l.keepIntvlS;
        *label = tr("interval %1 s").arg(setting);
    } else {
        for (int j = int(l.spans.size()) - 1, seen = 0; j >= 0 && seen < 256; --j, ++seen) {
            const TimelineModel::Span &s = l.spans[size_t(j)];
            if (!s.running() && s.outcome == Outcome::Ok && s.endNs <= mk.tNs)
                *since = std::max(*since, s.endNs);
        }
        for (int j = markIndex - 1; j >= 0; --j) {
            const Mark &prev = l.marks[size_t(j)];
            if (prev.kind == EventKind::ProbeSent && prev.result == ProbeResult::Acked &&
                prev.resultNs <= mk.tNs) {
                *since = std::max(*since, prev.resultNs);
                break;
            }
        }
        setting = l.keepIdleS;
        *label = tr("idle %1 s").arg(setting);
    }
    return *since >= 0 && setting > 0;
}

void TimelineWidget::paintMarks(QPainter &p, int lane, int top, const QRect &plot,
                                const Metrics &m) const
{
    const QPalette &pal = palette();
    const Lane &l = m_model.lane(lane);
    const QFont small = smallFont();
    const QFontMetrics sm(small);
    QFont bold = small;
    bold.setBold(true);
    // Marks left of the view may still have their caption in it.
    const double captionPx = 12.0 * sm.averageCharWidth();
    const auto [first, last] = m_model.marksIn(lane, nsForX(plot.left() - captionPx, plot),
                                               nsForX(plot.right() + m.line, plot));
    const double barMid = top + m.barTop + m.bar / 2.0;
    const double captionY = top + m.caption;
    const double r = m.bar * 0.42;
    const double thin = std::max(1.0, m.line / 14.0);
    p.setFont(small);
    p.setRenderHint(QPainter::Antialiasing, true);

    double lastX = -1e9;
    EventKind lastKind = EventKind::Info;
    double captionRight = -1e9; // captions do not overdraw each other: the later one yields
    double numberRight = -1e9;
    const auto caption = [&](double x, const QString &text, const QColor &color,
                             const QFont *f = nullptr) {
        if (x < captionRight)
            return;
        p.setFont(f ? *f : small);
        p.setPen(color);
        p.drawText(QPointF(x, captionY + sm.ascent()), text);
        captionRight = x + QFontMetrics(p.font()).horizontalAdvance(text) + 4;
        p.setFont(small);
    };

    for (int i = first; i < last; ++i) {
        const Mark &mk = l.marks[size_t(i)];
        const double x = xForNs(mk.tNs, plot);
        // Thousands of marks in one pixel look like one.
        if (mk.kind == lastKind && x - lastX < 1.0)
            continue;
        switch (mk.kind) {
        case EventKind::ProbeSent: {
            if (mk.result != ProbeResult::Pending) {
                const double rx = std::min(xForNs(mk.resultNs, plot), plot.right() + 20.0);
                QPen link(mk.result == ProbeResult::Acked ? kOk : kTimeout, thin);
                if (mk.result == ProbeResult::Unanswered)
                    link.setStyle(Qt::DashLine);
                p.setPen(link);
                p.drawLine(QPointF(x + r, barMid), QPointF(std::max(rx, x + r), barMid));
            }
            qint64 since = 0;
            QString label;
            if (probeSchedule(l, i, &since, &label)) {
                // A bracket in the caption row, from the last sign of life to this probe.
                // It starts after a caption still in the row (ESTABLISHED, say).
                const double sx = xForNs(since, plot);
                const double left = std::max(sx, captionRight);
                const double w = sm.horizontalAdvance(label);
                if (x - left >= w + 10) {
                    const double y = captionY + m.small / 2.0;
                    p.setPen(QPen(pal.color(QPalette::Mid), thin));
                    const double lx = (left + x - w) / 2;
                    p.drawLine(QPointF(left, y), QPointF(lx - 3, y));
                    p.drawLine(QPointF(lx + w + 3, y), QPointF(x, y));
                    if (left == sx)
                        p.drawLine(QPointF(sx, y - 3), QPointF(sx, y + 3));
                    p.drawLine(QPointF(x, y - 3), QPointF(x, y + 3));
                    caption(lx, label, pal.color(QPalette::Text));
                }
            }
            drawProbe(p, QPointF(x, barMid), r, thin, mk.result, pal);
            const QString n = QString::number(mk.probe);
            // Numbers only where the diamonds have room between them, or they run together.
            if (x - r >= numberRight) {
                p.setPen(pal.color(QPalette::Text));
                p.drawText(QPointF(x + r + 1, barMid - r / 2), n);
                numberRight = x + r + 1 + sm.horizontalAdvance(n) + 2;
            }
            break;
        }
        case EventKind::ProbeAcked:
        case EventKind::ProbeUnanswered:
            continue; // drawn on the probe they answer
        case EventKind::OptionSet: {
            // An option changed on a live socket: a flag on a staff above the bar.
            const QColor c = pal.color(QPalette::Highlight);
            p.setPen(QPen(c, thin * 1.5));
            p.drawLine(QPointF(x, top + 1), QPointF(x, captionY + m.small - 2));
            p.setBrush(c);
            p.drawRect(QRectF(x, top + 1, r, r * 0.8));
            p.setBrush(Qt::NoBrush);
            caption(x + 3, mk.text, c);
            break;
        }
        case EventKind::PeerDead: {
            p.setPen(QPen(kError, std::max(3.0, m.line / 6.0)));
            p.drawLine(QPointF(x, top + 2), QPointF(x, top + m.lane - 2));
            captionRight = -1e9; // this one matters more than any caption before it
            caption(x + 4, tr("peer dead"), kError, &bold);
            break;
        }
        case EventKind::Retransmit: {
            // A SYN or data sent again: a tick through the bar, numbered in its series (the
            // first SYN is the attempt itself, so its first resend is SYN 2).
            p.setPen(QPen(kTimeout, thin * 1.5));
            p.drawLine(QPointF(x, barMid - r), QPointF(x, barMid + r));
            caption(x + 3,
                    mk.text == QLatin1String("send") ? tr("resend %1").arg(mk.probe)
                                                     : tr("SYN %1").arg(mk.probe + 1),
                    kTimeout);
            break;
        }
        case EventKind::Info: {
            // A program's own word: what it printed (or that it started, and how it ended),
            // a tick on the bar and the line beside it.
            const QColor c = pal.color(QPalette::Text);
            p.setPen(QPen(c, thin));
            p.drawLine(QPointF(x, barMid - r), QPointF(x, barMid + r));
            if (x + 3 >= captionRight) {
                const double next =
                    i + 1 < last ? xForNs(l.marks[size_t(i + 1)].tNs, plot) : plot.right() + 1000.0;
                const QString line =
                    sm.elidedText(mk.text, Qt::ElideRight, int(std::max(0.0, next - x - 8)));
                if (!line.isEmpty() && line != QStringLiteral("…"))
                    caption(x + 3, line, c);
            }
            break;
        }
        case EventKind::State:
        case EventKind::Closed: {
            const bool timeWait = mk.text == QLatin1String("TIME_WAIT");
            const QColor c = timeWait ? kTimeWait : pal.color(QPalette::Text);
            p.setPen(QPen(c, thin));
            p.drawLine(QPointF(x, captionY - 2), QPointF(x, captionY + m.small - 2));
            caption(x + 3, mk.kind == EventKind::Closed ? tr("close") : mk.text, c);
            break;
        }
        default: {
            // An error (or timeout, cancel, FIN) outside any call: a small warning triangle.
            const QColor c = markColor(mk.kind);
            const QPointF tri[3] = {
                {x, barMid - r}, {x + r * 0.9, barMid + r * 0.7}, {x - r * 0.9, barMid + r * 0.7}};
            p.setPen(QPen(c.darker(120), thin));
            p.setBrush(withAlpha(c, 200));
            p.drawPolygon(tri, 3);
            if (mk.kind == EventKind::Error && !mk.text.isEmpty()) {
                // A failed call (EADDRINUSE from a restart, say) is the point of the picture:
                // its errno goes beside the mark, in bold, clear of the captions below.
                p.setFont(bold);
                p.setPen(c.darker(110));
                p.drawText(QPointF(x + r + 3, barMid + sm.ascent() / 2.0 - 1), mk.text);
                p.setFont(small);
            } else if (!mk.text.isEmpty()) {
                caption(x + 3, mk.text, c);
            }
            break;
        }
        }
        lastX = x;
        lastKind = mk.kind;
    }
    p.setRenderHint(QPainter::Antialiasing, false);
}

// --- choosing a lane ---------------------------------------------------------------------------

void TimelineWidget::setSelectedLane(const QString &name)
{
    if (name == m_selected)
        return;
    m_selected = name;
    ensureLaneVisible(name);
    update();
}

void TimelineWidget::ensureLaneVisible(const QString &name)
{
    const int li = name.isEmpty() ? -1 : m_model.laneIndex(name);
    if (li < 0 || m_vbar->isHidden())
        return;
    const int lane = metrics().lane;
    const int top = m_laneRow[size_t(li)] * lane; // in the scrolled content
    if (top < m_vbar->value())
        m_vbar->setValue(top);
    else if (top + lane > m_vbar->value() + m_vbar->pageStep())
        m_vbar->setValue(top + lane - m_vbar->pageStep());
}

QString TimelineWidget::laneNameAt(const QPoint &pos) const
{
    const Metrics m = metrics();
    if (pos.y() < plotRect().top() || pos.y() > plotRect().bottom())
        return {};
    const int li = laneAt(pos.y(), m);
    return li < 0 ? QString() : m_model.lane(li).name;
}

void TimelineWidget::mousePressEvent(QMouseEvent *e)
{
    if (e->button() == Qt::LeftButton) {
        if (const QString name = laneNameAt(e->position().toPoint()); !name.isEmpty())
            emit laneClicked(name);
    }
    QWidget::mousePressEvent(e);
}

void TimelineWidget::contextMenuEvent(QContextMenuEvent *e)
{
    QPoint pos = e->pos();
    QString name = laneNameAt(pos);
    if (e->reason() == QContextMenuEvent::Keyboard && !m_selected.isEmpty()) {
        name = m_selected; // the menu key: the chosen lane's menu, at its name
        const int li = m_model.laneIndex(name);
        if (li >= 0)
            pos = QPoint(metrics().line, laneTop(li, metrics()) + metrics().bar);
    }
    if (name.isEmpty())
        return QWidget::contextMenuEvent(e);
    emit laneMenuRequested(name, mapToGlobal(pos));
    e->accept();
}

// --- tooltips ---------------------------------------------------------------------------------

QString TimelineWidget::toolTipAt(const QPoint &pos) const
{
    const Metrics m = metrics();
    const QRect plot = plotRect();
    if (pos.y() >= plot.top() && pos.y() <= plot.bottom()) {
        const int row = rowAt(pos.y(), m);
        if (row >= 0 && m_rows[size_t(row)].wire >= 0 && pos.x() <= plot.right())
            return wireRow(m_rows[size_t(row)], rowTop(row, m), plot, m).toolTip(pos);
    }
    if (pos.x() < plot.left() && pos.y() >= plot.top()) {
        const int li = laneAt(pos.y(), m);
        return li < 0 ? QString() : laneNameToolTip(m_model.lane(li).name);
    }
    if (!plot.contains(pos))
        return {};
    for (const TimelineModel::Marker &mk : m_model.markers()) {
        if (std::abs(xForNs(mk.tNs, plot) - pos.x()) <= 3)
            return tr("%1 at %2 s\n%3").arg(mk.text, secsNs(mk.tNs), mk.detail);
    }
    for (const TimelineModel::FaultSpan &f : m_model.faults()) {
        if (std::abs(xForNs(f.startNs, plot) - pos.x()) <= 3)
            return f.endNs == TimelineModel::kOpen
                       ? tr("%1 from %2 s\n%3").arg(f.text, secsNs(f.startNs), f.detail)
                       : tr("%1 from %2 s to %3 s\n%4")
                             .arg(f.text, secsNs(f.startNs), secsNs(f.endNs), f.detail);
    }
    const int li = laneAt(pos.y(), m);
    if (li < 0)
        return {};
    const Lane &l = m_model.lane(li);
    const int top = laneTop(li, m);
    const double yIn = pos.y() - top;

    // Marks first: they sit on top of the bars.
    const double r = m.bar * 0.42 + 2;
    const auto [mf, ml] = m_model.marksIn(li, nsForX(pos.x() - r, plot), nsForX(pos.x() + r, plot));
    const Mark *best = nullptr;
    double bestDist = 1e9;
    for (int i = mf; i < ml; ++i) {
        const Mark &mk = l.marks[size_t(i)];
        if (mk.kind == EventKind::ProbeAcked || mk.kind == EventKind::ProbeUnanswered)
            continue;
        const double d = std::abs(xForNs(mk.tNs, plot) - pos.x());
        if (d < bestDist) {
            best = &mk;
            bestDist = d;
        }
    }
    if (best)
        return markToolTip(l, *best);

    if (yIn >= m.barTop - 1 && yIn <= m.barTop + m.bar + 2 + m.track + 1) {
        const double tol = 2;
        const qint64 t0 = nsForX(pos.x() - tol, plot);
        const qint64 t1 = nsForX(pos.x() + tol, plot);
        const auto [sf, sl] = m_model.spansIn(li, t0, t1);
        for (int i = sl - 1; i >= sf; --i) { // the latest call under the cursor
            const Span &s = l.spans[size_t(i)];
            if (spanEndNs(s) >= t0 && s.startNs <= t1)
                return spanToolTip(l, s);
        }
        const qint64 t = nsForX(pos.x(), plot);
        for (const Band &b : l.bands) {
            const qint64 end = b.endNs == TimelineModel::kOpen ? nowNs() : b.endNs;
            if (t >= b.startNs && t <= end)
                return bandToolTip(l, b);
        }
    }
    return {};
}

QString TimelineWidget::laneNameToolTip(const QString &name)
{
    const QChar kind = name.isEmpty() ? QChar() : name.front();
    QString what;
    if (name.startsWith(QLatin1String("peer")))
        what = name == QLatin1String("peer")
                   ? tr("the built-in peer's listening socket (the other end of the experiment)")
                   : tr("a connection the built-in peer accepted (peer1 the first, peer2 the "
                        "next)");
    else if (kind == u'c')
        what = tr("a client socket: Connect made it (c1 the first, c2 the next)");
    else if (kind == u'L')
        what = tr("a listening socket: Listen made it (L1 the first)");
    else if (kind == u'a')
        what = tr("a connection a listener accepted (a1 the first)");
    else
        what = tr("a socket of the experiment");
    return tr("%1: %2").arg(name, what);
}

QString TimelineWidget::spanToolTip(const Lane &lane, const Span &s) const
{
    const qint64 end = spanEndNs(s);
    const double took = !s.running() && s.elapsed >= 0 ? s.elapsed : (end - s.startNs) / 1e9;
    QString what;
    switch (s.outcome) {
    case Outcome::Running:
        what = tr("running for %1 s").arg(secs(took));
        break;
    case Outcome::Ok:
        if (isHold(s))
            what = tr("held for %1 s").arg(secs(took));
        else if (!s.note.isEmpty())
            what = tr("accepted %1 after %2 s").arg(s.note, secs(took));
        else
            what = tr("returned after %1 s").arg(secs(took));
        break;
    case Outcome::Timeout:
        what = tr("timed out after %1 s").arg(secs(took));
        break;
    case Outcome::Error:
        what = tr("failed with %1 after %2 s")
                   .arg(s.err ? socklab::errnoSymbol(s.err) : tr("an error"), secs(took));
        break;
    case Outcome::Cancelled:
        what = tr("cancelled after %1 s").arg(secs(took));
        break;
    case Outcome::PeerClosed:
        what = tr("the peer closed after %1 s").arg(secs(took));
        break;
    case Outcome::Abandoned:
        what = tr("ended without a result after %1 s").arg(secs(took));
        break;
    }

    QString config;
    if (s.timeoutNone) {
        config = isHold(s) ? tr("until stopped") : tr("no timeout");
    } else if (s.timeout >= 0) {
        if (isHold(s))
            config = tr("hold %1 s").arg(secs(s.timeout));
        else if (s.mechanism.isEmpty())
            config = tr("timeout %1 s").arg(secs(s.timeout));
        else
            config = tr("timeout %1 s, %2").arg(secs(s.timeout), s.mechanism);
        if (s.running()) {
            const double left = s.timeout - took;
            config += left >= 0 ? tr("; deadline in %1 s").arg(secs(left))
                                : tr("; %1 s past the deadline").arg(secs(-left));
        }
    }

    QString text = tr("%1 on %2: %3").arg(s.op, lane.name, what);
    if (!config.isEmpty())
        text += QStringLiteral(" (%1)").arg(config);
    if (s.running() && s.timeoutNone && !isHold(s))
        text += QLatin1Char('\n') + tr("It blocks until something arrives: with no timeout, a "
                                       "silent peer hangs the application.");
    if (!s.detail.isEmpty())
        text += QLatin1Char('\n') + s.detail;
    return text;
}

QString TimelineWidget::markToolTip(const Lane &lane, const Mark &mk) const
{
    const QString at = secsNs(mk.tNs);
    QString text;
    switch (mk.kind) {
    case EventKind::ProbeSent:
        switch (mk.result) {
        case ProbeResult::Acked:
            text = tr("keepalive probe %1 on %2 at %3 s: ACKed (seen %4 s later)")
                       .arg(mk.probe)
                       .arg(lane.name, at, secsNs(mk.resultNs - mk.tNs));
            break;
        case ProbeResult::Unanswered:
            text = tr("keepalive probe %1 on %2 at %3 s: unanswered (known %4 s later)")
                       .arg(mk.probe)
                       .arg(lane.name, at, secsNs(mk.resultNs - mk.tNs));
            break;
        case ProbeResult::Pending:
            text = tr("keepalive probe %1 on %2 at %3 s: no answer yet")
                       .arg(mk.probe)
                       .arg(lane.name, at);
            break;
        }
        break;
    case EventKind::PeerDead:
        text = tr("peer dead on %1 at %2 s").arg(lane.name, at);
        break;
    case EventKind::Retransmit:
        text = tr("SYN retransmission %1 on %2 at %3 s").arg(mk.probe).arg(lane.name, at);
        break;
    case EventKind::State:
        text = tr("%1 entered %2 at %3 s").arg(lane.name, mk.text, at);
        break;
    case EventKind::Closed:
        text = tr("%1 closed at %2 s").arg(lane.name, at);
        break;
    case EventKind::Info:
        text = tr("the program at %1 s").arg(at);
        break;
    default:
        text = tr("%1 on %2 at %3 s: %4").arg(socklab::kindName(mk.kind), lane.name, at, mk.text);
        break;
    }
    if (!mk.detail.isEmpty())
        text += QLatin1Char('\n') + mk.detail;
    return text;
}

QString TimelineWidget::bandToolTip(const Lane &lane, const Band &b) const
{
    if (b.endNs == TimelineModel::kOpen)
        return tr("%1 in %2 since %3 s: the kernel still holds its address and port")
            .arg(lane.name, b.state, secsNs(b.startNs));
    return tr("%1 in %2 from %3 s to %4 s (%5 s)")
        .arg(lane.name, b.state, secsNs(b.startNs), secsNs(b.endNs), secsNs(b.endNs - b.startNs));
}
