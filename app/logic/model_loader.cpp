#include "app/logic/model_loader.h"

namespace difflens::gui {

ModelLoader::ModelLoader(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<ModelHandle>();
    connect(&m_runner, &JobRunner::finished, this, [this](int job, JobOutcome outcome, const QString& message) {
        if (outcome == JobOutcome::Failed && job == m_runner.currentJob()) Q_EMIT failed(job, m_spec, message);
    });
}

ModelLoader::~ModelLoader() = default;

int ModelLoader::load(const QString& spec, const QString& device)
{
    m_spec = spec;
    return m_runner.start([this, spec, device](JobContext& ctx) -> JobRunner::Completion {
        const ModelHandle model = loadModel(spec, device);
        const int request = ctx.id();
        return [this, request, spec, model] { Q_EMIT loaded(request, spec, model); };
    });
}

} // namespace difflens::gui
