#pragma once
// Opens models on a worker thread: reading a file, decoding a dataset and the probe pass take from a few ms
// to a few seconds, and the window keeps drawing meanwhile.
#include "app/logic/model.h"

#include <QObject>
#include <QThread>

namespace difflens::gui {

class ModelLoader final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ModelLoader)

public:
    explicit ModelLoader(QObject* parent = nullptr);
    ~ModelLoader() override;

    /** Starts loading; returns the request's id (the signals carry it). Later requests supersede earlier
     * ones. */
    int load(const QString& spec, const QString& device);
    bool isLoading() const { return m_pending > 0; }

Q_SIGNALS:
    void loaded(int request, const QString& spec, difflens::gui::ModelHandle model);
    void failed(int request, const QString& spec, const QString& message);

private:
    QThread m_thread;
    QObject* m_worker = nullptr; // lives in m_thread; the jobs run as its queued calls
    int m_next = 0;
    int m_pending = 0;
};

} // namespace difflens::gui

Q_DECLARE_METATYPE(difflens::gui::ModelHandle)
