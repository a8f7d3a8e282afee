#pragma once

#include <QWidget>

// What the timeline's shapes and colours mean, drawn with the timeline's own glyphs (see
// TimelineStyle): a row of samples under the picture that wraps to the width it gets.
class TimelineLegend : public QWidget
{
    Q_OBJECT
  public:
    explicit TimelineLegend(QWidget *parent = nullptr);

    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;
    // The entries' texts, in order (for tests and tooltips).
    QStringList entries() const;
    // Names only what is drawn (TimelineModel::drawn() bits): a page with no marks yet has no
    // legend, and a lesson's shows its few shapes in a row or two, which a projector's
    // height can spare.
    void setDrawn(quint32 drawn);
    // The entries shown now, in order.
    QStringList shownEntries() const;

  protected:
    void paintEvent(QPaintEvent *e) override;
    void changeEvent(QEvent *e) override;
    void resizeEvent(QResizeEvent *e) override;

  private:
    enum class Glyph
    {
        Returned,
        TimedOut,
        Failed,
        Cancelled,
        PeerClosed,
        NoTimeout,
        ProbeAcked,
        ProbeUnanswered,
        PeerDead,
        Resend,
        TimeWait,
        Stop,
        Fault,
        OptionChanged,
        KeepaliveTimer,
        WireSegment,
        WireResent,
        WireKeepalive,
        WireReset,
        WireLost
    };
    struct Entry
    {
        Glyph glyph;
        QString text;
        quint32 drawn; // the TimelineModel::drawn() bit it explains
    };
    QList<Entry> shown() const;
    // Lays the entries out in rows of `width`; returns the height used and, if `at` is
    // given, where each entry's glyph starts.
    int layout(int width, QList<QPoint> *at) const;
    void paintGlyph(QPainter &p, Glyph g, const QRectF &r) const;
    int glyphWidth() const;

    QList<Entry> m_entries;
    quint32 m_drawn = 0;
};
