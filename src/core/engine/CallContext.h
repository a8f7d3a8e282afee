#pragma once

#include "Event.h"

#include <QString>

namespace socklab {

class CancelToken;

// What the thread making a call belongs to: its token (what Stop and a Close cancel) and the
// run that issued the call. Each call thread and the engine thread set it for the scope of
// the work they do (CallScope); the steps read it instead of passing it down every call.
CancelToken &callToken();
CancelToken *callTokenOrNull();
quint64 callRun();

// Makes `token` and `run` the calling thread's for the scope.
class CallScope
{
  public:
    CallScope(CancelToken *token, quint64 run);
    ~CallScope();
    CallScope(const CallScope &) = delete;
    CallScope &operator=(const CallScope &) = delete;

  private:
    CancelToken *m_savedToken;
    quint64 m_savedRun;
};

// An event of `kind` on socket `sock` about call `op`, stamped when posted.
Event makeEvent(EventKind kind, const QString &sock, const QString &op = {});

// "1.234 s": the engine's texts give times in seconds to the millisecond.
QString secondsText(double s);

} // namespace socklab
