#include "CancelToken.h"

#include "Platform.h"

#include <algorithm>

#include <sys/socket.h>
#include <unistd.h>

namespace socklab {

CancelToken::CancelToken()
    : m_wakeFd(platform::wakeFdCreate()), m_deadlineFd(platform::alarmFdCreate()),
      m_statFd(platform::threadStatOpen())
{
}

CancelToken::~CancelToken()
{
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
    if (m_deadlineFd >= 0)
        ::close(m_deadlineFd);
    if (m_statFd >= 0)
        ::close(m_statFd);
}

void CancelToken::cancel(const QString &who)
{
    {
        QMutexLocker lock(&m_mutex);
        m_who = who;
    }
    m_cancelled.store(true, std::memory_order_release);
    platform::wakeFdSignal(m_wakeFd);
    kick();
}

QString CancelToken::who() const
{
    QMutexLocker lock(&m_mutex);
    return m_who.isEmpty() ? QStringLiteral("Stop") : m_who;
}

void CancelToken::kick()
{
    if (!isCancelled())
        return;
    QMutexLocker lock(&m_mutex);
    if (m_blockingFd >= 0)
        ::shutdown(m_blockingFd, SHUT_RDWR);
}

void CancelToken::reset()
{
    m_cancelled.store(false, std::memory_order_release);
    platform::wakeFdDrain(m_wakeFd);
    QMutexLocker lock(&m_mutex);
    m_who.clear();
}

bool CancelToken::enterBlocking(int fd)
{
    QMutexLocker lock(&m_mutex);
    if (isCancelled())
        return false;
    m_blockingFd = fd;
    return true;
}

void CancelToken::leaveBlocking()
{
    QMutexLocker lock(&m_mutex);
    m_blockingFd = -1;
}

void CancelHub::add(CancelToken *t)
{
    std::lock_guard lock(m_mutex);
    m_tokens.push_back(t);
}

void CancelHub::remove(CancelToken *t)
{
    std::lock_guard lock(m_mutex);
    m_tokens.erase(std::remove(m_tokens.begin(), m_tokens.end(), t), m_tokens.end());
}

void CancelHub::cancelAll(const QString &who)
{
    std::lock_guard lock(m_mutex);
    for (CancelToken *t : m_tokens)
        t->cancel(who);
}

void CancelHub::kick()
{
    std::lock_guard lock(m_mutex);
    for (CancelToken *t : m_tokens)
        t->kick();
}

bool CancelHub::anyCancelled() const
{
    std::lock_guard lock(m_mutex);
    return std::any_of(m_tokens.begin(), m_tokens.end(),
                       [](const CancelToken *t) { return t->isCancelled(); });
}

} // namespace socklab
