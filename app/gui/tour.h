#pragma once
// Help > Tour: a few short steps over the main window's panels. An overlay dims the window except the panel a
// step is about and shows a bubble beside it with Back / Next / Skip; Escape skips. The window decides the
// steps and whether the tour was shown before (a typed settings key); the overlay only walks through them.
#include "widgets/types.h"

#include <QPointer>
#include <QString>
#include <QVector>
#include <QWidget>

#include <functional>

class QLabel;
class QPushButton;

namespace difflens::gui {

struct TourStep
{
    QPointer<QWidget> target;      ///< the panel highlighted (null: the whole window)
    QString title, text;
    std::function<void()> prepare; ///< run before the step shows (e.g. bring a tab to the front)
};

/**
 * The one line above the views on what to try next, for the run shown: how mu~ relates to the run (true
 * step or step toward x_0) and the next thing worth trying.
 */
QString nextStepHint(bool isImage, const widgets::RunSettings& run, bool hasReference);

class Tour final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Tour)

public:
    /** Covers `window` (its child) and starts at the first step. */
    Tour(QWidget* window, QVector<TourStep> steps);
    ~Tour() override;

    int currentStep() const { return m_current; }
    int stepCount() const { return m_steps.size(); }
    QString currentTitle() const;
    /** The highlighted rectangle in the window's coordinates (empty: none). */
    QRect highlight() const;

public Q_SLOTS:
    void next();
    void back();
    void skip();

Q_SIGNALS:
    /** Emitted once when the tour closes; completed: every step was seen (false: skipped). */
    void finished(bool completed);

protected:
    void paintEvent(QPaintEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    void showStep(int step);
    void finish(bool completed);
    void layoutBubble();

    QVector<TourStep> m_steps;
    int m_current = -1;
    QWidget* m_bubble = nullptr;
    QLabel* m_title = nullptr;
    QLabel* m_text = nullptr;
    QLabel* m_counter = nullptr;
    QPushButton* m_back = nullptr;
    QPushButton* m_next = nullptr;
    bool m_closed = false;
};

} // namespace difflens::gui
