#pragma once
// Plain values the widgets draw. The app's controllers turn core's tensors and step records into these;
// nothing here knows about torch, so widgets can be built, tested and reused without LibTorch.
#include <QColor>
#include <QMetaType>
#include <QPointF>
#include <QRectF>
#include <QString>
#include <QVector>

#include <limits>
#include <vector>

namespace difflens::widgets {

/** One image (or one sample of a batch) as floats, channel-major (CHW), each plane row-major. */
struct ImageData
{
    int channels = 1;
    int height = 0;
    int width = 0;
    /** channels * height * width values; index = (c * height + y) * width + x. */
    std::vector<float> values;
    /** The value shown black (low) and white (high); values outside are clamped. Models use [-1, 1]. */
    double low = -1.0;
    double high = 1.0;

    bool isEmpty() const { return width <= 0 || height <= 0 || channels <= 0; }
    bool isValid() const
    {
        return !isEmpty() && values.size() == static_cast<size_t>(channels) * height * width;
    }
    float at(int c, int y, int x) const { return values[(static_cast<size_t>(c) * height + y) * width + x]; }
};

/**
 * A noise schedule as curves over t = 1..T (the papers' indexing, not core's k = t - 1).
 * All vectors have the same length T; t[i] = i + 1.
 */
struct ScheduleSeries
{
    QString name;         ///< Shown in the legend and title, e.g. "linear" or "cosine (squaredcos_cap_v2)".
    QVector<double> t;    ///< 1..T
    QVector<double> beta; ///< beta_t
    QVector<double> alphaBar; ///< abar_t = prod_{s<=t} (1 - beta_s)
    QVector<double>
        betaTilde; ///< posterior variance beta~_t = beta_t (1 - abar_{t-1}) / (1 - abar_t); beta~_1 = 0
    QVector<double> logSnr; ///< log(abar_t / (1 - abar_t)), natural log

    bool isEmpty() const { return t.isEmpty(); }
    int size() const { return static_cast<int>(t.size()); }
};

/**
 * Every scalar that explains one reverse step t -> tPrev (tPrev = t - 1 unless the sampler strides).
 * Coefficients follow docs/diffusion-math.md (Ho et al. 2020 Eqs. 6-7, Song et al. 2020 Eq. 12).
 */
struct StepNumbers
{
    int stepIndex = 0; ///< 0-based index of this step in the run (0 = the first step, from x_T); shown as +1
    int stepCount = 0; ///< number of sampler steps in the run
    long t = 0;        ///< current timestep, 1..T
    long tPrev = 0;    ///< timestep reached by this step (0 means the step produces x_0)
    int T = 0;         ///< number of training timesteps
    double beta = 0;   ///< beta_t of the (possibly respaced) step
    double alpha = 0;  ///< alpha_t = 1 - beta_t
    double alphaBar = 0;     ///< abar_t
    double alphaBarPrev = 1; ///< abar_{tPrev} (1 for tPrev = 0)
    double c1 = 0;           ///< posterior coefficient on x_0: beta_t sqrt(abar_{t-1}) / (1 - abar_t)
    double c2 = 0;           ///< posterior coefficient on x_t: sqrt(alpha_t) (1 - abar_{t-1}) / (1 - abar_t)
    double betaTilde = 0;    ///< posterior variance beta~_t
    double sigma = 0;        ///< standard deviation of the noise the sampler adds at this step
    QString sampler = QStringLiteral("DDPM");             ///< "DDPM", "DDIM" or "exact"
    QString predictionType = QStringLiteral("epsilon");   ///< epsilon | sample | v_prediction
    QString varianceType = QStringLiteral("fixed_small"); ///< fixed_small | fixed_large | learned_range ...
    double eta = 0;                                       ///< DDIM eta (ignored by DDPM)
    bool hasReference = false; ///< a reference x_0 was chosen, so kl and meanGap are meaningful
    double kl =
        std::numeric_limits<double>::quiet_NaN(); ///< KL(q(x_{t-1}|x_t,x_0) || p_theta) in nats, NaN if none
    double meanGap = std::numeric_limits<double>::quiet_NaN(); ///< rms |mu_theta - mu~|, NaN if none
};

/** A named 1-D curve drawn by PointView (e.g. a density). */
struct Curve
{
    QString name;            ///< Legend text, e.g. "q(x_{t-1} | x_t, x_0)". Unicode is fine.
    QVector<QPointF> points; ///< (x, y) in data coordinates, sorted by x
    QColor color;            ///< Invalid: a colour is picked from the palette by position
    bool dashed = false;
    bool filled = false; ///< Fill the area under the curve lightly
};

/**
 * Everything PointView draws for one step of a 1-D or 2-D point model. Every point is in data coordinates;
 * in 1-D only x() is used. Vectors that are empty are simply not drawn.
 */
struct PointFrame
{
    int dim = 2;             ///< 1 or 2
    QString caption;         ///< Drawn top-left, e.g. "t = 734 / 1000"
    QVector<QPointF> data;   ///< training data (background, light grey)
    QVector<double> weights; ///< optional, one per data point in [0, 1]: colours data, e.g. w_i(x_t) = q(x_0
                             ///< = x^(i) | x_t)
    QVector<QPointF> xt;     ///< the batch at the current step, x_t
    QVector<QPointF> meanModel;             ///< mu_theta(x_t, t), one per x_t (2-D: arrows x_t -> mu_theta)
    QVector<QPointF> x0Pred;                ///< the model's x0^, one per x_t
    QVector<QVector<QPointF>> trajectories; ///< selected samples' paths x_T .. x_t so far (2-D only)
    int selected = -1;         ///< index into xt of the sample the reference / posterior refer to, -1: none
    bool hasReference = false; ///< reference and posteriorMean are valid
    QPointF reference;         ///< the chosen x_0
    QPointF posteriorMean;     ///< mu~(x_t[selected], x_0)
    QVector<QPointF> fieldOrigins; ///< grid points of a vector field (score or eps), 2-D only
    QVector<QPointF> fieldVectors; ///< the field at each origin, in data units (drawn rescaled to the grid)
    QString fieldName;             ///< legend text for the field, e.g. "score ∇log q_t"
    QVector<double> densityX;      ///< 1-D: density of the data (or of q(x_t)) as a grey area, x values
    QVector<double> densityY;      ///<       and the density at each x
    QString densityName;           ///< legend text for the density, e.g. "q(x_t)"
    QVector<Curve> curves;         ///< 1-D: named curves, e.g. q(x_{t-1}|x_t,x_0), q(x_{t-1}|x_t), p_theta
};

/** What the control panel asks the app to run. */
struct RunSettings
{
    enum Mode
    {
        Sample,        ///< reverse process from pure noise x_T
        FromReference, ///< noise the reference to t0, then run the reverse process from there
        Forward        ///< only the forward process: noise the reference step by step up to t0
    };
    QString model;
    Mode mode = Sample;
    QString sampler = QStringLiteral("DDPM"); ///< "DDPM" or "DDIM"
    int steps = 1000;
    double eta = 0.0;
    qint64 seed = 0;
    int batch = 16;
    int t0 = 500;
    QString referenceSource = QStringLiteral("none"); ///< "none" | "dataset" | "file" | "draw"
    int referenceIndex = 0;
    QString referenceFile;

    bool operator==(const RunSettings& o) const
    {
        return model == o.model && mode == o.mode && sampler == o.sampler && steps == o.steps &&
               eta == o.eta && seed == o.seed && batch == o.batch && t0 == o.t0 &&
               referenceSource == o.referenceSource && referenceIndex == o.referenceIndex &&
               referenceFile == o.referenceFile;
    }
    bool operator!=(const RunSettings& o) const { return !(*this == o); }
    /** Modes that start from the reference x_0 cannot run without one. */
    bool needsReference() const { return mode != Sample; }
};

} // namespace difflens::widgets

Q_DECLARE_METATYPE(difflens::widgets::ImageData)
Q_DECLARE_METATYPE(difflens::widgets::ScheduleSeries)
Q_DECLARE_METATYPE(difflens::widgets::StepNumbers)
Q_DECLARE_METATYPE(difflens::widgets::PointFrame)
Q_DECLARE_METATYPE(difflens::widgets::RunSettings)
