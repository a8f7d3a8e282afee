#include "RunPage.h"

#include <algorithm>

QList<socklab::Event> RunPage::filter(const QList<socklab::Event> &batch) const
{
    const auto admitted = [this](const socklab::Event &e) { return admits(e); };
    if (std::all_of(batch.cbegin(), batch.cend(), admitted))
        return batch; // shares the data: no copy in the common case
    QList<socklab::Event> out;
    std::copy_if(batch.cbegin(), batch.cend(), std::back_inserter(out), admitted);
    return out;
}
