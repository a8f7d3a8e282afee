#pragma once

#include "Event.h"

#include <QSet>
#include <QTimer>
#include <QWidget>

#include <memory>
#include <vector>

class LogModel;
class LogFilterProxy;
class QAction;
class QMenu;
namespace Ui {
class LogView;
}

// The log panel: the table, its filters and search, auto-scroll that pauses while the user
// looks back, copy, clear and export (CSV and NDJSON, the CLI's schema).
class LogView : public QWidget
{
    Q_OBJECT
  public:
    explicit LogView(QWidget *parent = nullptr);
    ~LogView() override;

    LogModel *model() const;
    LogFilterProxy *proxy() const;
    void append(const QList<socklab::Event> &batch);

    bool exportCsv(const QString &path, QString *error) const;
    bool exportNdjson(const QString &path, QString *error) const;

    // The height this panel needs to show `rows` rows of the table, as it is laid out now.
    int heightForRows(int rows) const;
    // Whether the selected event's detail pane is open (selecting an event opens it).
    bool isDetailOpen() const;
    // Closes it (the rows get its height back); selecting an event opens it again.
    void closeDetail();

    // True while new events scroll the table to the bottom; false once the user scrolled up.
    bool isFollowing() const { return m_following; }

  public slots:
    void clear();
    // A new page: clear() and no search text or socket filter left from the last page, which
    // would hide its events (the kinds shown are a preference, and stay).
    void clearForNewPage();
    void copySelection() const;
    // Jumps to the newest event and resumes auto-scroll.
    void followNewest();
    // Asks for a file name, then exports; a failure is shown in a message box.
    void exportWithDialog(bool csv);

  signals:
    void followingChanged(bool following);

  protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void changeEvent(QEvent *event) override;

  private:
    // Puts "Paused: follow" in the table's bottom-right corner, over the rows.
    void placeFollowButton();

    std::unique_ptr<Ui::LogView> m_ui;
    LogModel *m_model = nullptr;
    LogFilterProxy *m_proxy = nullptr;
    QMenu *m_kindsMenu = nullptr;
    std::vector<QAction *> m_kindActions; // indexed by int(EventKind)
    QAction *m_copyAction = nullptr;
    QTimer m_scrollTimer; // throttles auto-scroll so a flood does not scroll per batch
    QTimer m_searchTimer; // waits for a pause in typing before re-filtering a large log
    QTimer m_detailTimer; // fills the detail pane a slice at a time: a 1 MiB payload is long
    QString m_detailRest; // what the pane has still to show
    qsizetype m_detailPos = 0;
    QSet<QString> m_sockets;
    QString m_lastExportDir;
    bool m_following = true;
    bool m_scrollingToBottom = false;
    bool m_columnsSized = false;

    void setupKindsMenu();
    void setupExportMenu();
    void setupTable();
    void syncKindActions();
    void addSocketLabel(const QString &label);
    void setFollowing(bool following);
    void scheduleScroll();
    void scrollToNewest();
    void onScrollValueChanged(int value);
    void sizeColumnsOnce();
    void showDetail(const QModelIndex &current);
    void appendDetailSlice();
};
