#pragma once

#include "Options.h"

#include <QWidget>

class QCheckBox;
class QDoubleSpinBox;
class QSlider;

// Edits one per-call timeout: a log-scale slider for quick choices, a spin box in seconds for
// exact values, and a "none" check box for blocking forever. The three stay in sync.
class TimeoutEditor : public QWidget
{
    Q_OBJECT
  public:
    // Slider positions 0..kLogSteps cover 10 ms .. 2 min on a log scale; one more means none.
    static constexpr int kLogSteps = 1000;
    static constexpr int kForeverPosition = kLogSteps + 1;
    static constexpr qint64 kMinSliderMs = 10;
    static constexpr qint64 kMaxSliderMs = 120000;

    explicit TimeoutEditor(QWidget *parent = nullptr);

    socklab::Timeout timeout() const;
    // Shows t without emitting changed(): loading a profile is not an edit.
    void setTimeout(const socklab::Timeout &t);

    QSlider *slider() { return m_slider; }
    QDoubleSpinBox *spin() { return m_spin; }
    QCheckBox *noneCheck() { return m_none; }

    // The milliseconds a (finite) slider position stands for, snapped to two significant
    // digits so dragging shows 1.1 s rather than 1.095 s; and the nearest position for ms.
    static qint64 msForPosition(int position);
    static int positionForMs(qint64 ms);

  signals:
    void changed();

  private:
    void onSliderMoved(int position);
    void onSpinChanged(double seconds);
    void onNoneToggled(bool none);
    void updateEnabled();

    QSlider *m_slider = nullptr;
    QDoubleSpinBox *m_spin = nullptr;
    QCheckBox *m_none = nullptr;
};
