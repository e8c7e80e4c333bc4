#pragma once
// The reference x_0 the main window runs from and compares with, one part of the window: where it comes from
// (a dataset item, an image file, a drawing, or none), made for the current model, or taken from an opened
// run. The image file is read once (choosing it again costs nothing); a drawing is kept while the model's
// image size stays.
#include "app/logic/model.h"
#include "widgets/types.h"

#include <QObject>

namespace difflens::gui {

class ReferenceSelection final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReferenceSelection)

public:
    /** What the control panel chose, its source parsed once from the panel's settings. */
    struct Choice
    {
        widgets::ReferenceSource source = widgets::ReferenceSource::None;
        int index = 0; ///< the dataset item
        QString file;  ///< the image file

        bool operator==(const Choice& o) const
        {
            return source == o.source && index == o.index && file == o.file;
        }
        bool operator!=(const Choice& o) const { return !(*this == o); }
    };
    static Choice choiceOf(const widgets::RunSettings& settings);

    explicit ReferenceSelection(QObject* parent = nullptr);
    ~ReferenceSelection() override;

    /** A new model: its file reference is read again and a drawing of another size is dropped. The
     *  reference itself is made by the next select(). */
    void setModel(const ModelHandle& model);
    /**
     * Makes the reference of `choice` for the model. A reference that cannot be made is reported with
     * failed() and left empty; changed() follows (nothing is emitted without a model).
     */
    void select(const Choice& choice);
    /** The drawing a Draw choice uses (select() makes the reference of it). */
    void setDrawing(const widgets::ImageData& drawing) { m_drawing = drawing; }
    /** An opened run's own x_0 (the run was made with it; the choice is the panel's business). */
    void setReference(const Reference& reference) { m_reference = reference; }

    const Reference& reference() const { return m_reference; }
    const Choice& choice() const { return m_choice; }
    /** What the draw dialog starts from: the last drawing, else the reference as an image (images only). */
    widgets::ImageData drawingStart() const;

Q_SIGNALS:
    void changed();
    /** The chosen reference cannot be made (an unreadable file, an item out of range). */
    void failed(const QString& message);
    /** Image files and drawings were chosen for a model of points: they do not apply there. */
    void imageSourceOnPoints();

private:
    ModelHandle m_model;
    Choice m_choice;
    Reference m_reference;
    widgets::ImageData m_drawing;
    QString m_filePath; ///< the file m_fileReference was read from
    Reference m_fileReference;
};

} // namespace difflens::gui
