#pragma once
// The step explained for a student, with this step's numbers: the forward formula, what the model predicts,
// the closed-form posterior q(x_{t-1} | x_t, x_0), the sampler's update, the KL, and why p_theta is needed.
#include "widgets/types.h"

#include <QTextBrowser>

namespace difflens::widgets {

class ExplanationPanel final : public QTextBrowser
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ExplanationPanel)

public:
    explicit ExplanationPanel(QWidget* parent = nullptr);
    ~ExplanationPanel() override;

    void setNumbers(const StepNumbers& numbers);
    const StepNumbers& numbers() const { return m_numbers; }
    bool hasNumbers() const { return m_hasNumbers; }
    /** Shows the introduction (what the panel will explain) instead of a step. */
    void clearNumbers();
    /** Text size in pixels; headings scale with it. Default: the widget's font. */
    void setFontPixelSize(int pixels);

    /** The rich text for a step, as setNumbers shows it (also for export and tests). */
    static QString html(const StepNumbers& numbers);
    /** The Gaussian-path view of an ODE/SDE step (numbers.path set). */
    static QString pathHtml(const StepNumbers& numbers);
    /** The rich text shown before any step. */
    static QString introductionHtml();

    QSize sizeHint() const override { return {420, 560}; }

private:
    StepNumbers m_numbers;
    bool m_hasNumbers = false;
};

} // namespace difflens::widgets
