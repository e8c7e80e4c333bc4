#include "app/logic/model_loader.h"

#include "core/errors.h"

#include <QMetaObject>

namespace difflens::gui {

ModelLoader::ModelLoader(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<ModelHandle>();
    m_thread.setObjectName(QStringLiteral("difflens model loader"));
    m_worker = new QObject;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.start();
}

ModelLoader::~ModelLoader()
{
    m_thread.requestInterruption();
    m_thread.quit();
    m_thread.wait();
}

int ModelLoader::load(const QString& spec, const QString& device)
{
    const int request = ++m_next;
    ++m_pending;
    // The destructor waits for the worker, and events posted to a deleted object are dropped, so `this` is
    // safe.
    QMetaObject::invokeMethod(
        m_worker,
        [this, request, spec, device] {
            ModelHandle model;
            QString error;
            try {
                model = loadModel(spec, device);
            } catch (const std::exception& e) {
                error = QString::fromStdString(describeException(e));
            } catch (...) {
                error = QStringLiteral("an unknown error occurred while opening the model");
            }
            QMetaObject::invokeMethod(
                this,
                [this, request, spec, model, error] {
                    --m_pending;
                    if (model)
                        Q_EMIT loaded(request, spec, model);
                    else
                        Q_EMIT failed(request, spec, error);
                },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
    return request;
}

} // namespace difflens::gui
