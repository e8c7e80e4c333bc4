#pragma once
// Opens models on a worker thread (a job of job_runner.h): reading a file, decoding a dataset and the probe
// pass take from a few ms to a few seconds, and the window keeps drawing meanwhile.
#include "app/logic/job_runner.h"
#include "app/logic/model.h"

#include <QObject>

namespace difflens::gui {

class ModelLoader final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ModelLoader)

public:
    explicit ModelLoader(QObject* parent = nullptr);
    ~ModelLoader() override;

    /**
     * Starts loading; returns the request's id (the signals carry it). A later request supersedes an earlier
     * one: the earlier one reports nothing (a load cannot stop half-way, so it finishes and is dropped).
     */
    int load(const QString& spec, const QString& device);
    bool isLoading() const { return m_runner.isRunning(); }
    const JobRunner& runner() const { return m_runner; }

Q_SIGNALS:
    void loaded(int request, const QString& spec, difflens::gui::ModelHandle model);
    void failed(int request, const QString& spec, const QString& message);

private:
    QString m_spec; ///< of the latest request
    JobRunner m_runner{QStringLiteral("difflens model loader")};
};

} // namespace difflens::gui

Q_DECLARE_METATYPE(difflens::gui::ModelHandle)
