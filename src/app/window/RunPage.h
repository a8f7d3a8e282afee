#pragma once

#include "Event.h"

#include <QList>

// Which events belong to the page the window's views show. A page begins at Reset or when a
// lesson starts, each after a Stop, and holds the runs issued after that Stop (a run is one
// press of a button, or a lesson's steps). What belongs to earlier runs never enters it: the
// Stop's own closes and cancellations, a late probe of a socket an earlier run made, the
// drip peer of the last lesson. Run ids only grow, so "after" is one comparison. A notice that
// events were dropped is always let in: what the views miss must be said.
class RunPage
{
  public:
    // The page holds the runs after `run` (a Stop's id; 0: every run), with no end yet.
    void beginAfter(quint64 run)
    {
        m_after = run;
        m_until = 0;
        m_untilNs = 0;
    }
    // A finished lesson's page: it holds nothing after its last run (the Stop that ends what
    // the lesson left running, a drip peer, is not part of it) nor anything observed after
    // its verdict (`monoNs`: the state changes that Stop causes on the lesson's own sockets).
    void endAt(quint64 run, qint64 monoNs)
    {
        m_until = run;
        m_untilNs = monoNs;
    }
    quint64 after() const { return m_after; }
    bool isEnded() const { return m_until != 0; }

    bool admits(const socklab::Event &e) const
    {
        return (e.run > m_after && (m_until == 0 || (e.run <= m_until && e.monoNs <= m_untilNs))) ||
               e.kind == socklab::EventKind::EventsDropped;
    }
    // The events of `batch` that belong to the page, in order (the batch itself when all do).
    QList<socklab::Event> filter(const QList<socklab::Event> &batch) const;

  private:
    quint64 m_after = 0;
    quint64 m_until = 0; // 0: open
    qint64 m_untilNs = 0;
};
