#include "app/logic/exporter.h"

#include "app/logic/frame_builder.h"
#include "core/errors.h"
#include "core/export.h"
#include "core/json_util.h"
#include "core/schedule.h"
#include "widgets/format.h"
#include "widgets/image_grid_paint.h"
#include "widgets/palette.h"
#include "widgets/point_paint.h"

#include <QDir>
#include <QFileInfo>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace difflens::gui {

QStringList exportPanelKeys()
{
    return {QStringLiteral("xt"),      QStringLiteral("x0hat"), QStringLiteral("mu"),
            QStringLiteral("mutilde"), QStringLiteral("x0"),    QStringLiteral("diff")};
}

QString exportFormatName(ExportFormat format)
{
    switch (format) {
    case ExportFormat::Gif: return QStringLiteral("gif");
    case ExportFormat::Mp4: return QStringLiteral("mp4");
    case ExportFormat::Frames: return QStringLiteral("frames");
    case ExportFormat::Filmstrip: return QStringLiteral("filmstrip");
    case ExportFormat::Csv: return QStringLiteral("csv");
    case ExportFormat::TrajectoryCsv: return QStringLiteral("trajectory-csv");
    }
    return {};
}

std::optional<ExportFormat> parseExportFormat(const QString& name)
{
    for (ExportFormat f : {ExportFormat::Gif, ExportFormat::Mp4, ExportFormat::Frames,
                           ExportFormat::Filmstrip, ExportFormat::Csv, ExportFormat::TrajectoryCsv})
        if (name == exportFormatName(f)) return f;
    return std::nullopt;
}

QString frameSelectionSpec(FrameSelection selection, int n)
{
    switch (selection) {
    case FrameSelection::Log: return QStringLiteral("log:%1").arg(n);
    case FrameSelection::Every: return QStringLiteral("every:%1").arg(n);
    case FrameSelection::All: break;
    }
    return QStringLiteral("all");
}

QString validateExportOptions(const ExportOptions& o)
{
    if (!parseExportFormat(o.format))
        return QStringLiteral("unknown format '%1' (gif, mp4, frames, filmstrip, csv, trajectory-csv)").arg(o.format);
    if (o.forwardProcess && !o.forwardReference.isValid())
        return QStringLiteral("the forward process needs a reference x_0");
    for (const auto& p : o.panels)
        if (!exportPanelKeys().contains(p))
            return QStringLiteral("unknown panel '%1' (known: %2)")
                .arg(p, exportPanelKeys().join(QStringLiteral(", ")));
    if (!(o.fps > 0 && o.fps <= 100)) return QStringLiteral("fps must be in (0, 100]");
    if (o.scale < 1 || o.scale > 32) return QStringLiteral("scale must be 1..32");
    if (o.path.isEmpty()) return QStringLiteral("no output path given");
    const QFileInfo target(o.path);
    if (!target.absoluteDir().exists())
        return QStringLiteral("cannot write '%1': the folder '%2' does not exist")
            .arg(o.path, target.absolutePath());
    if (!QFileInfo(target.absolutePath()).isWritable())
        return QStringLiteral("cannot write '%1': the folder is not writable").arg(o.path);
    try {
        selectFrames(10, o.frames.toStdString());
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

namespace {

ImageGridFrame selectPanels(const ImageGridFrame& g, const ExportOptions& o)
{
    ImageGridFrame out = g;
    if (!o.panels.isEmpty() && g.columnCount() <= exportPanelKeys().size()) {
        QVector<int> keep;
        for (const auto& key : o.panels) {
            const int c = static_cast<int>(exportPanelKeys().indexOf(key));
            if (c < g.columnCount()) keep.push_back(c);
        }
        if (!keep.isEmpty()) {
            out.titles.clear();
            out.colors.clear();
            out.subtitles.clear();
            for (auto& row : out.cells)
                row.clear();
            for (int c : keep) {
                out.titles << g.titles.value(c);
                if (c < g.colors.size()) out.colors << g.colors[c];
                out.subtitles << g.subtitles.value(c);
                for (int r = 0; r < g.cells.size(); ++r)
                    out.cells[r] << g.cells[r].value(c);
            }
        }
    }
    if (o.sample >= 0 && o.sample < out.cells.size()) {
        out.cells = {out.cells[o.sample]};
        out.rowLabels = {out.rowLabels.value(o.sample)};
    } else if (out.cells.size() > o.maxRows) {
        out.cells.resize(o.maxRows);
        out.rowLabels = out.rowLabels.mid(0, o.maxRows);
    }
    return out;
}

/** A small schedule strip: ᾱₜ (blue) and βₜ (dark, scaled) over t, a red marker at the frame's t. */
QImage scheduleStrip(const ModelInfo& info, long t, int width)
{
    const int height = 70;
    QImage img(width, height, QImage::Format_RGB32);
    img.fill(Qt::white);
    QPainter p(&img);
    p.setRenderHint(QPainter::Antialiasing);
    const NoiseSchedule s = NoiseSchedule::fromConfig(info.scheduler);
    const int T = s.size();
    const QRectF plot(50, 8, width - 60, height - 30);
    const double betaMax = *std::max_element(s.betas().begin(), s.betas().end());
    auto curve = [&](const std::vector<double>& v, double vmax, const QColor& colour) {
        QPainterPath path;
        for (int k = 0; k < T; ++k) {
            const QPointF pt(plot.left() + plot.width() * (T > 1 ? double(k) / (T - 1) : 0.0),
                             plot.bottom() - plot.height() * std::min(1.0, v[static_cast<size_t>(k)] / vmax));
            k == 0 ? path.moveTo(pt) : path.lineTo(pt);
        }
        p.setPen(QPen(colour, 2));
        p.drawPath(path);
    };
    p.setPen(QColor(220, 220, 220));
    p.drawRect(plot);
    curve(s.alphaBars(), 1.0, widgets::palette::xt());
    curve(s.betas(), betaMax, widgets::palette::beta());
    QFont f = p.font();
    f.setPixelSize(12);
    p.setFont(f);
    p.setPen(widgets::palette::xt());
    p.drawText(QRectF(2, 8, 46, 16), Qt::AlignLeft, QStringLiteral("ᾱₜ"));
    p.setPen(widgets::palette::beta());
    p.drawText(QRectF(2, 26, 46, 16), Qt::AlignLeft, QStringLiteral("βₜ"));
    const double x =
        plot.left() + plot.width() * (T > 1 ? std::clamp(double(t - 1) / (T - 1), 0.0, 1.0) : 0.0);
    p.setPen(QPen(widgets::palette::marker(), 2));
    p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
    p.setPen(Qt::black);
    p.drawText(QRectF(plot.left(), plot.bottom() + 2, plot.width(), 18), Qt::AlignCenter,
               QStringLiteral("t = %1 of %2   ·   ᾱₜ = %3")
                   .arg(t)
                   .arg(T)
                   .arg(widgets::formatSig(
                       t >= 1 ? s.alphaBars()[static_cast<size_t>(std::min<long>(t, T) - 1)] : 1.0, 3)));
    return img;
}

} // namespace

QImage renderExportFrame(const Frame& frame, const ExportOptions& o, const ModelInfo& info)
{
    QImage body;
    if (frame.isImage) {
        const ImageGridFrame g = selectPanels(frame.grid, o);
        int imgW = 28, imgH = 28;
        for (const auto& row : g.cells)
            for (const auto& cell : row)
                if (!cell.isNull()) imgW = cell.width(), imgH = cell.height();
        // Room for the integer factor `scale`, titles, subtitles, caption and row labels.
        const int cols = std::max(1, g.columnCount()), rows = std::max(1, g.rowCount());
        const int titleBand = 110, rowLabelBand = g.rowCount() > 1 ? 40 : 0;
        const QSize size(std::max(360, rowLabelBand + cols * (imgW * o.scale + 18) + 30),
                         titleBand + rows * (imgH * o.scale + 14) + 20);
        body = renderGridFrame(g, size);
    } else {
        widgets::PointPaintOptions po;
        po.maxArrows = 200;
        body = widgets::renderPointFrame(frame.points, FrameBuilder::viewRange(info), po, o.pointSize);
    }
    if (!o.scheduleStrip) return body.convertToFormat(QImage::Format_RGB32);
    const QImage strip = scheduleStrip(info, frame.t, body.width());
    QImage out(body.width(), body.height() + strip.height(), QImage::Format_RGB32);
    out.fill(Qt::white);
    QPainter p(&out);
    p.drawImage(0, 0, body);
    p.drawImage(0, body.height(), strip);
    return out;
}

QImage renderGridFrame(const ImageGridFrame& g, const QSize& size)
{
    widgets::GridContent c;
    c.titles = g.titles;
    c.titleColors = g.colors;
    c.subtitles = g.subtitles;
    c.rowLabels = g.rowLabels;
    c.cells = g.cells;
    c.caption = g.caption;
    return widgets::renderImageGrid(c, size);
}

RgbFrame toRgbFrame(const QImage& image)
{
    const QImage rgb = image.convertToFormat(QImage::Format_RGB888);
    RgbFrame f(rgb.width(), rgb.height());
    for (int y = 0; y < rgb.height(); ++y)
        std::copy_n(rgb.constScanLine(y), static_cast<size_t>(rgb.width()) * 3, f.pixel(0, y));
    return f;
}

void writeFrames(const ExportOptions& o, int total, const std::function<QImage(int)>& render, int filmstripColumns,
                 const std::function<void(int, int)>& progress, const std::atomic_bool* cancel)
{
    const std::string path = o.path.toStdString();
    const std::optional<ExportFormat> format = parseExportFormat(o.format);
    if (format == ExportFormat::Filmstrip) {
        std::vector<RgbFrame> tiles;
        for (int k = 0; k < total; ++k) {
            tiles.push_back(toRgbFrame(render(k)));
            if (progress) progress(k + 1, total);
        }
        writePng(path, composeGrid(tiles, filmstripColumns));
        return;
    }
    AnimationOptions ao;
    ao.fps = o.fps;
    ao.loopCount = o.loopCount;
    ao.holdLastSeconds = o.holdLastSeconds;
    ao.globalPalette = o.globalPalette;
    auto writer = makeAnimationWriter(o.format.toStdString(), path, ao);
    QSize first;
    for (int k = 0; k < total; ++k) {
        QImage img = render(k);
        // Every frame of an animation has the first frame's size (captions can change the layout).
        if (first.isEmpty()) first = img.size();
        if (img.size() != first) {
            QImage fixed(first, QImage::Format_RGB32);
            fixed.fill(Qt::white);
            QPainter(&fixed).drawImage(0, 0, img);
            img = fixed;
        }
        writer->addFrame(toRgbFrame(img));
        if (progress) progress(k + 1, total);
    }
    if (cancel && cancel->load()) throw Cancelled();
    writer->finish();
}

ExportResult runExport(const ModelHandle& model, std::shared_ptr<const Trajectory> trajectory,
                       const QVector<StepSummary>& summaries, const ExportOptions& o,
                       const std::function<void(int, int)>& progress, const std::atomic_bool* cancel)
{
    const QString problem = validateExportOptions(o);
    if (!problem.isEmpty()) throw ConfigError(problem.toStdString());
    if (!model || (!trajectory && !o.forwardProcess)) throw Error("there is no recorded run to export: sample first");
    const ExportFormat format = *parseExportFormat(o.format); // validated above
    ExportResult result;
    result.path = o.path;
    const std::string path = o.path.toStdString();

    if (format == ExportFormat::Csv) {
        std::string text = "step,t,mean_kl_nats,mean_gap,seconds\n";
        char line[160];
        for (int i = 0; i < summaries.size(); ++i) {
            const auto& s = summaries[i];
            std::snprintf(line, sizeof line, "%d,%ld,%.9g,%.9g,%.6f\n", i, s.t, s.meanKl, s.meanGap,
                          s.seconds);
            text += line;
        }
        json_util::writeTextFileAtomic(path, text);
        result.frames = summaries.size();
        result.bytes = QFileInfo(o.path).size();
        return result;
    }

    FrameBuilder builder;
    builder.setModel(model);
    if (o.forwardProcess) {
        builder.setForward(o.forwardReference, o.forwardBatch, o.forwardSeed, o.forwardT0);
    } else {
        builder.setReverse(std::move(trajectory));
        builder.appendSummaries(summaries);
    }
    builder.setMaxRows(o.sample >= 0 ? o.sample + 1 : o.maxRows);
    const int available = builder.availableFrames();
    if (available < 1) throw Error("the run has no recorded steps to export");
    std::vector<int> steps = selectFrames(available, o.frames.toStdString());
    if (o.forwardProcess) {
        // Forward frames run t = 0..t0: mirror the selection so that log spacing is dense near t = 0 here too.
        for (int& s : steps) s = available - 1 - s;
        std::sort(steps.begin(), steps.end());
    }
    if (o.reverseOrder) std::reverse(steps.begin(), steps.end());
    const int total = static_cast<int>(steps.size());

    auto render = [&](int step) {
        if (cancel && cancel->load()) throw Cancelled();
        const Frame frame = builder.frame(step);
        if (!frame.isValid()) throw Error("step " + std::to_string(step) + " could not be rendered");
        return renderExportFrame(frame, o, model->info);
    };

    if (format == ExportFormat::TrajectoryCsv) {
        if (model->info.isImage)
            throw Error("a trajectory CSV is for point models; save image runs with File > Save trajectory (.pt)");
        const bool twoD = model->info.dim == 2;
        std::string text = twoD ? "step,t,sample,x,y\n" : "step,t,sample,x\n";
        char line[128];
        for (int k = 0; k < total; ++k) {
            if (cancel && cancel->load()) throw Cancelled();
            const Frame frame = builder.frame(steps[static_cast<size_t>(k)]);
            for (int b = 0; b < frame.points.xt.size(); ++b) {
                const QPointF& x = frame.points.xt[b];
                if (twoD)
                    std::snprintf(line, sizeof line, "%d,%ld,%d,%.7g,%.7g\n", frame.step, frame.t, b, x.x(), x.y());
                else
                    std::snprintf(line, sizeof line, "%d,%ld,%d,%.7g\n", frame.step, frame.t, b, x.x());
                text += line;
            }
            if (progress) progress(k + 1, total);
        }
        json_util::writeTextFileAtomic(path, text);
    } else {
        writeFrames(o, total, [&](int k) { return render(steps[static_cast<size_t>(k)]); }, o.filmstripColumns, progress,
                    cancel);
    }
    result.frames = total;
    const QFileInfo info(o.path);
    result.bytes = info.isDir() ? 0 : info.size();
    return result;
}

ExportSource runExportSource(ModelHandle model, std::shared_ptr<const Trajectory> trajectory,
                             QVector<StepSummary> summaries, int currentStep)
{
    ExportSource s;
    s.title = QObject::tr("Export the run");
    s.isImage = model && model->info.isImage;
    s.hasReference = !summaries.isEmpty() && std::isfinite(summaries.front().meanGap);
    s.preview = [model, trajectory, summaries, currentStep](const ExportOptions& o, int* frames) {
        *frames = 0;
        if (!model || !trajectory) return QImage();
        FrameBuilder builder;
        builder.setModel(model);
        builder.setReverse(trajectory);
        builder.appendSummaries(summaries);
        builder.setMaxRows(o.sample >= 0 ? o.sample + 1 : o.maxRows);
        const int available = builder.availableFrames();
        if (available < 1) return QImage();
        try {
            *frames = static_cast<int>(selectFrames(available, o.frames.toStdString()).size());
        } catch (const std::exception&) {
        }
        return renderExportFrame(builder.frame(std::clamp(currentStep, 0, available - 1)), o, model->info);
    };
    s.run = [model, trajectory, summaries](const ExportOptions& o, const std::function<void(int, int)>& progress,
                                          const std::atomic_bool* cancel) {
        return runExport(model, trajectory, summaries, o, progress, cancel);
    };
    return s;
}

} // namespace difflens::gui
