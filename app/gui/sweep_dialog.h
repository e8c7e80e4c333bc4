#pragma once
// View > Steps versus quality…: for the current model, each chosen sampler at each number of model calls
// (NFE), the distance of its samples to the data against the data floor, on a worker (SweepJob). With an
// exact denoiser of the model's dataset beside it (dashed), the gap between a model's curve and its exact
// twin is the network's error; the exact curve alone is the solver's: the error budget.
#include "app/logic/sweep_job.h"

#include <QDialog>

class QCheckBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace difflens::widgets {
class NfePlot;
}

namespace difflens::gui {

class SweepDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SweepDialog)

public:
    /** samplers: (--sampler name, label) the model can use; all are offered, the default set is checked. */
    SweepDialog(const QString& modelSpec, const QList<QPair<QString, QString>>& samplers, bool isImage,
                QWidget* parent = nullptr);
    ~SweepDialog() override;

    void setNfes(const QString& list);
    void setSamples(int samples);
    void setSamplers(const QStringList& names);
    /** Starts the sweep with the dialog's settings; false (and the reason shown) when they are invalid. */
    bool run();
    void cancel();
    bool isRunning() const;
    const SweepResult& result() const { return m_result; }
    widgets::NfePlot* plot() const { return m_plot; }
    QTableWidget* table() const { return m_table; }
    QString status() const;

Q_SIGNALS:
    void sweepFinished(bool ok);

private:
    void onFinished(bool ok, bool cancelled, const QString& message, const SweepResult& result);
    void showResult();

    QString m_model;
    bool m_isImage = false;
    SweepJob* m_job = nullptr;
    SweepResult m_result;
    QVector<QPair<QString, QCheckBox*>> m_samplerBoxes;
    QLineEdit* m_nfes = nullptr;
    QSpinBox* m_samples = nullptr;
    QCheckBox* m_exact = nullptr;
    QPushButton* m_run = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    widgets::NfePlot* m_plot = nullptr;
    QTableWidget* m_table = nullptr;
};

} // namespace difflens::gui
