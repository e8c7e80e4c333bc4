#pragma once
// The run form: model, mode, sampler, steps, eta, seed, batch, t0, the class and guidance scale of
// class-conditional models, and the reference x_0, with Sample / Cancel and progress. It only emits plain
// RunSettings; the app decides what to run.
#include "widgets/types.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSlider;
class QSpinBox;
class QToolButton;

namespace difflens::widgets {

class ControlPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ControlPanel)

public:
    explicit ControlPanel(QWidget* parent = nullptr);
    ~ControlPanel() override;

    /** The models to choose from (names as the app knows them); keeps the selection when still listed. */
    void setModels(const QStringList& names);
    /**
     * The samplers the current model can use, as (name, label) pairs: name is what RunSettings::sampler holds
     * (the CLI's --sampler), label what the box shows. The choice is kept when still offered, else the first.
     */
    void setSamplers(const QList<QPair<QString, QString>>& samplers);
    /** T of the chosen model: bounds steps and t0. */
    void setTimesteps(int T);
    int timesteps() const { return m_T; }
    /** Number of dataset samples a reference index can pick (0: dataset references unavailable). */
    void setDatasetSize(int n);
    /**
     * The classes of a class-conditional model (empty: unconditional, and the class picker and guidance slider
     * are disabled). Keeps the chosen class when it is still in range.
     */
    void setClasses(const QStringList& names);
    /** The file the app opened after referenceFileRequested(); shown and stored in the settings. */
    void setReferenceFile(const QString& path);

    RunSettings settings() const;
    /** Fills every field (clamped to the current ranges: steps and t0 to 1..T, seed to 0..2^31-1)
        and emits settingsChanged once. */
    void setSettings(const RunSettings& settings);

    void setBusy(bool busy);
    bool isBusy() const { return m_busy; }
    void setProgress(int done, int total);

Q_SIGNALS:
    void sampleRequested(const difflens::widgets::RunSettings& settings);
    void cancelRequested();
    void settingsChanged(const difflens::widgets::RunSettings& settings);
    void openModelRequested();
    void referenceFileRequested();
    void drawReferenceRequested();

private:
    void onEdited();
    void onReferenceSourceChosen();
    void updateEnabled();
    ReferenceSource referenceSource() const;
    /** Asks the app for the image file or the drawing the chosen source needs. */
    void requestReference();

    QComboBox* m_model = nullptr;
    QToolButton* m_open = nullptr;
    QComboBox* m_mode = nullptr;
    QComboBox* m_sampler = nullptr;
    QSpinBox* m_steps = nullptr;
    QDoubleSpinBox* m_eta = nullptr;
    QDoubleSpinBox* m_sdeNoise = nullptr;
    QSpinBox* m_seed = nullptr;
    QToolButton* m_dice = nullptr;
    QSpinBox* m_batch = nullptr;
    QSlider* m_t0 = nullptr;
    QLabel* m_t0Label = nullptr;
    QComboBox* m_class = nullptr;
    QSlider* m_guidance = nullptr; // w in steps of 0.25: value / 4
    QLabel* m_guidanceLabel = nullptr;
    QCheckBox* m_clippedEps = nullptr;
    QComboBox* m_referenceSource = nullptr;
    QToolButton* m_referenceChoose = nullptr;
    QSpinBox* m_referenceIndex = nullptr;
    QLabel* m_referenceFile = nullptr;
    QString m_referenceFilePath;
    QLabel* m_warning = nullptr;
    QPushButton* m_sample = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    int m_T = 1000;
    int m_datasetSize = 0;
    bool m_busy = false;
};

} // namespace difflens::widgets
