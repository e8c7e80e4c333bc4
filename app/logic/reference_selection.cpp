#include "app/logic/reference_selection.h"

#include "core/errors.h"

namespace difflens::gui {

using widgets::ReferenceSource;

ReferenceSelection::Choice ReferenceSelection::choiceOf(const widgets::RunSettings& settings)
{
    return {widgets::parseReferenceSource(settings.referenceSource).value_or(ReferenceSource::None),
            settings.referenceIndex, settings.referenceFile};
}

ReferenceSelection::ReferenceSelection(QObject* parent) : QObject(parent) {}

ReferenceSelection::~ReferenceSelection() = default;

void ReferenceSelection::setModel(const ModelHandle& model)
{
    m_model = model;
    m_filePath.clear();
    if (model && (m_drawing.width != model->info.width || m_drawing.height != model->info.height))
        m_drawing = widgets::ImageData();
}

void ReferenceSelection::select(const Choice& choice)
{
    m_choice = choice;
    m_reference = Reference();
    if (!m_model) return;
    const ModelInfo& info = m_model->info;
    try {
        switch (choice.source) {
        case ReferenceSource::Dataset:
            if (info.referenceCount > 0) m_reference = datasetReference(*m_model, choice.index);
            break;
        case ReferenceSource::File:
            if (choice.file.isEmpty()) break;
            if (choice.file != m_filePath) {
                m_fileReference = imageFileReference(*m_model, choice.file);
                m_filePath = choice.file;
            }
            m_reference = m_fileReference;
            break;
        case ReferenceSource::Draw:
            m_reference = drawingReference(*m_model, m_drawing);
            break;
        case ReferenceSource::None:
            break;
        }
    } catch (const std::exception& e) {
        Q_EMIT failed(QString::fromStdString(describeException(e)));
    }
    if (!info.isImage && (choice.source == ReferenceSource::File || choice.source == ReferenceSource::Draw))
        Q_EMIT imageSourceOnPoints();
    Q_EMIT changed();
}

widgets::ImageData ReferenceSelection::drawingStart() const
{
    if (m_drawing.isValid() || !m_model || !m_reference.isValid()) return m_drawing;
    return referenceImage(*m_model, m_reference);
}

} // namespace difflens::gui
