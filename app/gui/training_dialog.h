#pragma once
// "Train a point model": dataset, steps, batch, learning rate; the loss fills in live while the worker
// trains; the finished package is written to the user's models folder and offered in the model list.
#include <QDialog>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace difflens::widgets {
class LossPlot;
}

namespace difflens::gui {

class Settings;
class TrainingController;

class TrainingDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrainingDialog)

public:
    TrainingDialog(Settings& settings, const QString& device, QWidget* parent = nullptr);
    ~TrainingDialog() override;

    TrainingController* controller() const { return m_controller; }
    /** Starts training with the form's values (the Train button). */
    void startTraining();

Q_SIGNALS:
    /** A package was written; useIt: the user asked to switch to it. */
    void packageReady(const QString& dir, bool useIt);

private:
    void setRunning(bool running);

    Settings& m_settings;
    QString m_device;
    TrainingController* m_controller = nullptr;
    QComboBox* m_dataset = nullptr;
    QSpinBox* m_steps = nullptr;
    QSpinBox* m_batch = nullptr;
    QDoubleSpinBox* m_lr = nullptr;
    QSpinBox* m_hidden = nullptr;
    widgets::LossPlot* m_plot = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    QPushButton* m_train = nullptr;
    QPushButton* m_cancel = nullptr;
    QPushButton* m_use = nullptr;
    QString m_lastPackage;
};

} // namespace difflens::gui
