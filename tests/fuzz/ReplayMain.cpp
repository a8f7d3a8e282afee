// main() for the fuzz targets in the normal (GCC) build: feeds every file named on the command
// line, or every file in a directory named there, to LLVMFuzzerTestOneInput once, as
// libFuzzer does with -runs=0. ctest runs it over the seed corpus (fuzz_corpus_replay_*).
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cstdint>
#include <cstdio>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    int replayed = 0;
    for (int i = 1; i < argc; ++i) {
        const QFileInfo arg(QString::fromLocal8Bit(argv[i]));
        QStringList files;
        if (arg.isDir()) {
            const QDir dir(arg.filePath());
            for (const QString &f : dir.entryList(QDir::Files, QDir::Name))
                files << dir.filePath(f);
        } else {
            files << arg.filePath();
        }
        for (const QString &f : files) {
            QFile file(f);
            if (!file.open(QIODevice::ReadOnly)) {
                std::fprintf(stderr, "%s: %s\n", qPrintable(f), qPrintable(file.errorString()));
                return 1;
            }
            const QByteArray data = file.readAll();
            LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(data.constData()),
                                   size_t(data.size()));
            ++replayed;
        }
    }
    std::printf("%d inputs replayed\n", replayed);
    return replayed > 0 ? 0 : 1;
}
