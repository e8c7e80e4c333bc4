#pragma once
// A folder of small PNG discs: an image dataset the app's tests open as an exact denoiser
// (exact:FOLDER?n=N) without any download. Disc i is centred at (x0 + dx i, 14) with radius r0 + dr i.
#include <QDir>
#include <QImage>
#include <QPainter>
#include <QString>

namespace difflens::test {

inline QString writeDiscImages(const QString& folder, int n, double x0, double dx, double r0, double dr)
{
    QDir().mkpath(folder);
    for (int i = 0; i < n; ++i) {
        QImage img(28, 28, QImage::Format_Grayscale8);
        img.fill(Qt::black);
        QPainter p(&img);
        p.setBrush(Qt::white);
        p.setPen(Qt::NoPen);
        p.drawEllipse(QPointF(x0 + dx * i, 14), r0 + dr * i, r0 + dr * i);
        p.end();
        img.save(QDir(folder).filePath(QStringLiteral("disc%1.png").arg(i)));
    }
    return folder;
}

} // namespace difflens::test
