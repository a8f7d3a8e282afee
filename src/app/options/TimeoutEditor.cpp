#include "TimeoutEditor.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QSignalBlocker>
#include <QSlider>

#include <algorithm>
#include <cmath>

using socklab::Timeout;

namespace {
constexpr double kRatio = double(TimeoutEditor::kMaxSliderMs) / TimeoutEditor::kMinSliderMs;

// Keeps two significant digits: 1095 -> 1100, 23456 -> 23000; below 100 ms every ms is nice.
qint64 snapNice(qint64 ms)
{
    if (ms < 100)
        return ms;
    qint64 unit = 1;
    while (ms / unit >= 100)
        unit *= 10;
    return ((ms + unit / 2) / unit) * unit;
}
} // namespace

qint64 TimeoutEditor::msForPosition(int position)
{
    const int p = std::clamp(position, 0, kLogSteps);
    const double raw = kMinSliderMs * std::pow(kRatio, double(p) / kLogSteps);
    return std::clamp(snapNice(std::llround(raw)), kMinSliderMs, kMaxSliderMs);
}

int TimeoutEditor::positionForMs(qint64 ms)
{
    if (ms <= kMinSliderMs)
        return 0;
    if (ms >= kMaxSliderMs)
        return kLogSteps;
    const double p = kLogSteps * std::log(double(ms) / kMinSliderMs) / std::log(kRatio);
    return std::clamp(int(std::lround(p)), 0, kLogSteps);
}

TimeoutEditor::TimeoutEditor(QWidget *parent) : QWidget(parent)
{
    m_slider = new QSlider(Qt::Horizontal, this);
    m_slider->setObjectName(QStringLiteral("slider"));
    m_slider->setRange(0, kForeverPosition);
    m_slider->setSingleStep(5);
    m_slider->setPageStep(100);
    m_slider->setToolTip(
        tr("Drag to pick a per-call timeout on a log scale from 10 ms to 2 min. The top position "
           "means none: the call blocks forever, which the course text warns against: always "
           "set a timeout."));

    m_spin = new QDoubleSpinBox(this);
    m_spin->setObjectName(QStringLiteral("spin"));
    m_spin->setDecimals(3);
    m_spin->setRange(0.0, double(socklab::ranges::TimeoutMaxMs) / 1000.0);
    m_spin->setSingleStep(0.1);
    m_spin->setSuffix(tr(" s"));
    // At 0 the call does not wait at all; saying so beats a bare "0.000 s".
    m_spin->setSpecialValueText(tr("0 (non-blocking)"));
    m_spin->setAccelerated(true);
    m_spin->setToolTip(
        tr("The deadline for each blocking call in seconds, to the millisecond. It is a per-call "
           "deadline, not a total for the connection: every connect(), recv(), send() or "
           "accept() gets it afresh. 0 means non-blocking: fail at once if the call would "
           "wait."));

    m_none = new QCheckBox(tr("none"), this);
    m_none->setObjectName(QStringLiteral("noneCheck"));
    m_none->setToolTip(
        tr("Block forever: no timeout at all, the kernel's default. A dead or silent peer then "
           "hangs the call indefinitely; the course text's advice is to always set a timeout."));

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_slider, 1);
    layout->addWidget(m_spin);
    layout->addWidget(m_none);
    setFocusProxy(m_spin);

    connect(m_slider, &QSlider::valueChanged, this, &TimeoutEditor::onSliderMoved);
    connect(m_spin, &QDoubleSpinBox::valueChanged, this, &TimeoutEditor::onSpinChanged);
    connect(m_none, &QCheckBox::toggled, this, &TimeoutEditor::onNoneToggled);

    // The course text's example: settimeout(10.0).
    setTimeout(Timeout::fromMs(10000));
}

Timeout TimeoutEditor::timeout() const
{
    if (m_none->isChecked())
        return Timeout::blockForever();
    return Timeout::fromMs(std::llround(m_spin->value() * 1000.0));
}

void TimeoutEditor::setTimeout(const Timeout &t)
{
    const QSignalBlocker bs(m_slider);
    const QSignalBlocker bp(m_spin);
    const QSignalBlocker bn(m_none);
    m_none->setChecked(t.isForever());
    if (t.isForever()) {
        m_slider->setValue(kForeverPosition);
    } else {
        m_spin->setValue(double(t.ms) / 1000.0);
        m_slider->setValue(positionForMs(t.ms));
    }
    updateEnabled();
}

void TimeoutEditor::onSliderMoved(int position)
{
    const QSignalBlocker bp(m_spin);
    const QSignalBlocker bn(m_none);
    const bool blockForever = position >= kForeverPosition;
    m_none->setChecked(blockForever);
    // The spin keeps its last finite value under "none", so unticking it brings that back.
    if (!blockForever)
        m_spin->setValue(double(msForPosition(position)) / 1000.0);
    updateEnabled();
    emit changed();
}

void TimeoutEditor::onSpinChanged(double seconds)
{
    const QSignalBlocker bs(m_slider);
    // The spin may hold a value between two slider steps; the slider shows the nearest one.
    m_slider->setValue(positionForMs(std::llround(seconds * 1000.0)));
    emit changed();
}

void TimeoutEditor::onNoneToggled(bool none)
{
    const QSignalBlocker bs(m_slider);
    m_slider->setValue(none ? kForeverPosition
                            : positionForMs(std::llround(m_spin->value() * 1000.0)));
    updateEnabled();
    emit changed();
}

void TimeoutEditor::updateEnabled()
{
    m_spin->setEnabled(!m_none->isChecked());
}
