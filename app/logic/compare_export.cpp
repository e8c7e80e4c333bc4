// Compare's export: A | B | their difference painted into one frame per timeline position, written as one
// GIF / MP4 / PNG frames / filmstrip (any thread), and the export dialog's source for it.
#include "app/logic/compare.h"

#include "app/logic/frame_builder.h"
#include "core/errors.h"
#include "core/export.h"
#include "widgets/palette.h"
#include "widgets/point_paint.h"

#include <QFileInfo>
#include <QFont>
#include <QFontMetrics>
#include <QObject>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace difflens::gui {

namespace {

QImage titled(const QImage& body, const QString& title, const QColor& color, int pixels)
{
    QFont font;
    font.setPixelSize(pixels);
    font.setBold(true);
    const int band = QFontMetrics(font).height() + 12;
    QImage out(body.width(), body.height() + band, QImage::Format_RGB32);
    out.fill(Qt::white);
    QPainter p(&out);
    p.setFont(font);
    p.setPen(color);
    p.drawText(QRect(8, 0, body.width() - 16, band), Qt::AlignVCenter | Qt::AlignLeft,
               QFontMetrics(font).elidedText(title, Qt::ElideRight, body.width() - 16));
    p.drawImage(0, band, body);
    return out;
}

} // namespace

QImage renderCompareFrame(const Frame& a, const Frame& b, const Frame& difference, const CompareSide& sideA,
                          const CompareSide& sideB, const ExportOptions& options)
{
    ExportOptions o = options;
    o.scheduleStrip = false;
    const QImage bodyA = renderExportFrame(a, o, sideA.model->info);
    const int px = std::clamp(bodyA.width() / 40, 13, 22);
    const QImage left = titled(bodyA, QStringLiteral("%1 · %2").arg(sideA.name, describeSide(sideA, true)),
                               widgets::palette::xt(), px);
    const QImage right = titled(renderExportFrame(b, o, sideB.model->info),
                                QStringLiteral("%1 · %2").arg(sideB.name, describeSide(sideB, true)),
                                widgets::palette::pairedRun(), px);
    QImage diff;
    if (difference.isValid()) {
        if (difference.isImage) {
            // The difference grid's rows line up with the sides' rows (the same samples).
            const ImageGridFrame& g = difference.grid;
            int imgW = 28;
            for (const auto& row : g.cells)
                for (const auto& cell : row)
                    if (!cell.isNull()) imgW = cell.width();
            const QSize size(std::max(300, 40 + 2 * (imgW * o.scale + 18) + 30), bodyA.height());
            diff = renderGridFrame(g, size);
        } else {
            widgets::PointPaintOptions po;
            po.maxArrows = 200;
            diff = widgets::renderPointFrame(difference.points, FrameBuilder::viewRange(sideA.model->info), po, o.pointSize);
        }
        diff = titled(diff, QStringLiteral("difference %1 − %2").arg(sideA.name, sideB.name), widgets::palette::difference(), px);
    }
    const int width = left.width() + right.width() + (diff.isNull() ? 0 : diff.width());
    const int height = std::max({left.height(), right.height(), diff.isNull() ? 0 : diff.height()});
    QImage out(width, height, QImage::Format_RGB32);
    out.fill(Qt::white);
    QPainter p(&out);
    p.drawImage(0, 0, left);
    p.drawImage(left.width(), 0, right);
    if (!diff.isNull()) p.drawImage(left.width() + right.width(), 0, diff);
    p.setPen(QPen(QColor(200, 200, 200), 2));
    p.drawLine(left.width(), 0, left.width(), height);
    if (!diff.isNull()) p.drawLine(left.width() + right.width(), 0, left.width() + right.width(), height);
    return out;
}

ExportResult runCompareExport(const CompareSide& a, const CompareSide& b, CompareAlign align, const ExportOptions& o,
                              const std::function<void(int, int)>& progress, const std::atomic_bool* cancel)
{
    const std::optional<ExportFormat> format = parseExportFormat(o.format);
    if (format == ExportFormat::Csv || format == ExportFormat::TrajectoryCsv)
        throw ConfigError("a comparison exports as gif, mp4, frames or filmstrip (export each run for its CSV)");
    const QString problem = validateExportOptions(o);
    if (!problem.isEmpty()) throw ConfigError(problem.toStdString());
    if (!a.isValid() || !b.isValid()) throw Error("a comparison needs two recorded runs");
    if (a.recorded() < 1 || b.recorded() < 1)
        throw Error("run B has no recorded steps yet: wait until it has sampled");

    FrameBuilder builders[2];
    const CompareSide* sides[2] = {&a, &b};
    for (int k = 0; k < 2; ++k) {
        builders[k].setModel(sides[k]->model);
        builders[k].setReverse(sides[k]->trajectory, sides[k]->trueStep);
        builders[k].appendSummaries(sides[k]->summaries);
        builders[k].setExactEnabled(false);
        builders[k].setMaxRows(o.sample >= 0 ? o.sample + 1 : o.maxRows);
    }
    const CompareTimeline timeline = alignRuns(a, b, align);
    const int available = availablePositions(timeline, a, b); // only what both runs have recorded
    if (available < 1) throw Error("the runs have no recorded steps in common to export");
    std::vector<int> positions = selectFrames(available, o.frames.toStdString());
    if (o.reverseOrder) std::reverse(positions.begin(), positions.end());
    const int total = static_cast<int>(positions.size());

    auto render = [&](int position) {
        if (cancel && cancel->load()) throw Cancelled();
        const int sa = timeline.stepA[position], sb = timeline.stepB[position];
        const Frame fa = builders[0].frame(sa);
        const Frame fb = builders[1].frame(sb);
        if (!fa.isValid() || !fb.isValid()) throw Error("step " + std::to_string(position) + " could not be rendered");
        const Frame diff = differenceFrame(a, sa, b, sb, o.sample >= 0 ? o.sample + 1 : o.maxRows, fa);
        return renderCompareFrame(fa, fb, diff, a, b, o);
    };

    ExportResult result;
    result.path = o.path;
    writeFrames(o, total, [&](int k) { return render(positions[static_cast<size_t>(k)]); },
                std::max(1, std::min(o.filmstripColumns, 4)), progress, cancel);
    result.frames = total;
    const QFileInfo info(o.path);
    result.bytes = info.isDir() ? 0 : info.size();
    return result;
}

ExportSource compareExportSource(const CompareSide& a, const CompareSide& b, CompareAlign align, int position)
{
    ExportSource source;
    source.title = QObject::tr("Export the comparison");
    source.isImage = a.model->info.isImage;
    source.hasReference = !a.summaries.isEmpty() && std::isfinite(a.summaries.front().meanGap);
    source.comparison = true;
    source.preview = [a, b, align, pos = position](const ExportOptions& o, int* frames) {
        *frames = 0;
        FrameBuilder fa, fb;
        for (auto [builder, side] : {std::pair{&fa, &a}, std::pair{&fb, &b}}) {
            builder->setModel(side->model);
            builder->setExactEnabled(false);
            builder->setReverse(side->trajectory, side->trueStep);
            builder->setMaxRows(o.sample >= 0 ? o.sample + 1 : o.maxRows);
        }
        const CompareTimeline plan = alignRuns(a, b, align);
        if (plan.size() < 1) return QImage();
        try {
            *frames = static_cast<int>(selectFrames(plan.size(), o.frames.toStdString()).size());
        } catch (const std::exception&) {
        }
        const int p = std::clamp(pos, 0, plan.size() - 1);
        const Frame frameA = fa.frame(plan.stepA[p]);
        const Frame frameB = fb.frame(plan.stepB[p]);
        if (!frameA.isValid() || !frameB.isValid()) return QImage();
        const Frame diff = differenceFrame(a, plan.stepA[p], b, plan.stepB[p], o.sample >= 0 ? o.sample + 1 : o.maxRows, frameA);
        return renderCompareFrame(frameA, frameB, diff, a, b, o);
    };
    source.run = [a, b, align](const ExportOptions& o, const std::function<void(int, int)>& progress,
                               const std::atomic_bool* cancel) { return runCompareExport(a, b, align, o, progress, cancel); };
    return source;
}

} // namespace difflens::gui
