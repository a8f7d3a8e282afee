#include "CancelToken.h"

#include "Platform.h"

#include <sys/socket.h>
#include <unistd.h>

namespace socklab {

CancelToken::CancelToken() : m_wakeFd(platform::wakeFdCreate()) {}

CancelToken::~CancelToken()
{
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
}

void CancelToken::cancel()
{
    m_cancelled.store(true, std::memory_order_release);
    platform::wakeFdSignal(m_wakeFd);
    kick();
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

} // namespace socklab
