// Fuzzes Profile::fromJson (src/core/model/Profile.cpp, JsonReader.h): the bytes are a profile file.
// Beyond not crashing: a refused file has a message, and the message shows no raw control
// characters; an accepted profile is valid (host, ranges, options) and survives a save and
// reopen unchanged, as File > Save profile then Open profile does.
#include "FuzzSupport.h"

#include "Profile.h"

using namespace socklab;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray json = fuzz::bytes(data, size);
    QString error;
    const std::optional<Profile> p = Profile::fromJson(json, &error);
    if (!p) {
        FUZZ_CHECK(!error.isEmpty(), QString::fromUtf8(json));
        FUZZ_CHECK(!fuzz::hasUnsafeChar(error), error);
        return 0;
    }
    FUZZ_CHECK(validateHost(p->host).isEmpty(), p->host);
    FUZZ_CHECK(p->options.validate().isEmpty(), p->options.validate());
    FUZZ_CHECK(p->recvBytes >= 1 && p->recvBytes <= 1048576, QString::number(p->recvBytes));
    FUZZ_CHECK(p->peer.intervalMs >= -1 && p->peer.intervalMs <= 3600000,
               QString::number(p->peer.intervalMs));

    // Save and reopen: the same profile, and the same bytes when saved again.
    const QByteArray saved = p->toJsonBytes();
    QString reopenError;
    const std::optional<Profile> back = Profile::fromJson(saved, &reopenError);
    FUZZ_CHECK(back, QStringLiteral("a saved profile does not reopen: %1\n%2")
                         .arg(reopenError, QString::fromUtf8(saved)));
    FUZZ_CHECK(*back == *p, QString::fromUtf8(saved) + QLatin1Char('\n') +
                                QString::fromUtf8(back->toJsonBytes()));
    FUZZ_CHECK(back->host == p->host && back->send == p->send && back->port == p->port &&
                   back->role == p->role &&
                   back->options.connectTimeout == p->options.connectTimeout &&
                   back->options.recvTimeout == p->options.recvTimeout &&
                   back->options.sendTimeout == p->options.sendTimeout &&
                   back->options.acceptTimeout == p->options.acceptTimeout,
               QString::fromUtf8(saved));
    FUZZ_CHECK(back->toJsonBytes() == saved, QString::fromUtf8(saved));
    return 0;
}
