#pragma once
// For 1-D models: the density q(x_t) (or any density over x) as a heat map over (t, x), with sample
// trajectories drawn over it and a marker at the current t. t runs left to right, so sampling moves
// leftwards.
#include "widgets/image_utils.h"

#include <QImage>
#include <QPixmap>
#include <QPointF>
#include <QVector>
#include <QWidget>

namespace difflens::widgets {

class DensityTimeView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DensityTimeView)

public:
    enum class Normalization
    {
        PerTimestep, ///< each t column scaled to its own maximum: shapes stay visible as the density spreads
        Global       ///< one scale for the whole map: heights compare across t
    };

    explicit DensityTimeView(QWidget* parent = nullptr);
    ~DensityTimeView() override;

    /** values: T * bins, t-major (values[(t - 1) * bins + b]), bin b centred at
        xmin + (b + 0.5) (xmax - xmin) / bins. Wrong sizes clear the map. */
    void setDensity(int T, int bins, double xmin, double xmax, const QVector<double>& values);
    /** Paths over it, each point (t, x). */
    void setTrajectories(const QVector<QVector<QPointF>>& trajectories);
    /** The vertical marker; 0 or less hides it. */
    void setCurrentT(int t);
    void setNormalization(Normalization normalization);
    void setColormap(Colormap map);
    void clear();

    int timesteps() const { return m_T; }
    int currentT() const { return m_currentT; }

    /** Widget x coordinate of timestep t at the current size (for tests and overlays). */
    double xForTimestep(double t) const;
    /** Widget position of (timestep t, value x) at the current size. */
    QPointF positionOf(double t, double x) const;
    /** The same painting as on screen, at `size` logical pixels (for export). */
    QImage renderToImage(const QSize& size, qreal devicePixelRatio = 1.0) const;

    QSize sizeHint() const override { return {640, 360}; }
    QSize minimumSizeHint() const override { return {240, 160}; }

Q_SIGNALS:
    /** The user clicked the map at timestep t (e.g. to scrub there). */
    void timestepClicked(int t);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;

private:
    void rebuildImage();
    void paintStatic(QPainter& painter, const QSizeF& size) const; // all but the current-t marker
    void paintMarker(QPainter& painter, const QSizeF& size) const;

    int m_T = 0;
    int m_bins = 0;
    double m_xmin = -3.0;
    double m_xmax = 3.0;
    QVector<double> m_values;
    QImage m_heat; // T x bins, x increasing upwards
    mutable QPixmap m_static; // everything but the marker, at the widget's size
    QVector<QVector<QPointF>> m_trajectories;
    int m_currentT = 0;
    Normalization m_normalization = Normalization::PerTimestep;
    Colormap m_colormap = Colormap::Viridis;
};

} // namespace difflens::widgets
