#pragma once
// File > Export…: format, panels, frames, size, fps, a live preview of the current step, and the export
// itself on a worker thread with progress and cancel. Uses the already recorded run: never samples again.
#include "app/logic/exporter.h"
#include "app/logic/job_runner.h"

#include <QDialog>

#include <functional>
#include <memory>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace difflens::gui {

class ExportDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ExportDialog)

public:
    ExportDialog(ModelHandle model, std::shared_ptr<const Trajectory> trajectory, QVector<StepSummary> summaries,
                 int currentStep, QWidget* parent = nullptr);
    explicit ExportDialog(ExportSource source, QWidget* parent = nullptr);
    ~ExportDialog() override;
    ExportOptions options() const;
    void setOptions(const ExportOptions& options);

public Q_SLOTS:
    void startExport();
    void cancelExport();

Q_SIGNALS:
    void exported(const QString& path, int frames, qint64 bytes);

protected:
    void reject() override;

private:
    ExportFormat format() const;
    FrameSelection frameSelection() const;
    void updatePreview();
    void updateEnabled();
    void browse();
    void finishExport(JobOutcome outcome, const QString& error);

    ExportSource m_source;
    QComboBox* m_format = nullptr;
    QVector<QCheckBox*> m_panels;
    QSpinBox* m_sample = nullptr;
    QComboBox* m_frameMode = nullptr;
    QSpinBox* m_frameCount = nullptr;
    QDoubleSpinBox* m_fps = nullptr;
    QSpinBox* m_scale = nullptr;
    QSpinBox* m_loop = nullptr;
    QDoubleSpinBox* m_hold = nullptr;
    QCheckBox* m_globalPalette = nullptr;
    QCheckBox* m_schedule = nullptr;
    QCheckBox* m_reverse = nullptr;
    QSpinBox* m_columns = nullptr;
    QLineEdit* m_path = nullptr;
    QLabel* m_preview = nullptr;
    QLabel* m_summary = nullptr;
    QProgressBar* m_progress = nullptr;
    QPushButton* m_exportButton = nullptr;
    QPushButton* m_cancelButton = nullptr;
    ExportResult m_written; ///< what the last export wrote
    /** Last: destroyed (cancelled and waited for) before the widgets its job reports to. */
    std::unique_ptr<JobRunner> m_runner = std::make_unique<JobRunner>(QStringLiteral("difflens export"));
};

} // namespace difflens::gui
