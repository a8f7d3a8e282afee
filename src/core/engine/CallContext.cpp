#include "CallContext.h"

#include <QtGlobal>

namespace socklab {

namespace {
thread_local CancelToken *t_token = nullptr;
thread_local quint64 t_run = 0;
} // namespace

CancelToken &callToken()
{
    Q_ASSERT(t_token);
    return *t_token;
}

CancelToken *callTokenOrNull()
{
    return t_token;
}

quint64 callRun()
{
    return t_run;
}

CallScope::CallScope(CancelToken *token, quint64 run) : m_savedToken(t_token), m_savedRun(t_run)
{
    t_token = token;
    t_run = run;
}

CallScope::~CallScope()
{
    t_token = m_savedToken;
    t_run = m_savedRun;
}

Event makeEvent(EventKind kind, const QString &sock, const QString &op)
{
    Event e;
    e.kind = kind;
    e.sock = sock;
    e.op = op;
    return e;
}

QString secondsText(double s)
{
    return QString::number(s, 'f', 3) + QStringLiteral(" s");
}

} // namespace socklab
