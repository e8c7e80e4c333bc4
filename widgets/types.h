#pragma once
// Plain values the widgets draw. The app's controllers turn core's tensors and step records into these;
// nothing here knows about torch, so widgets can be built, tested and reused without LibTorch.
#include <QColor>
#include <QImage>
#include <QMetaType>
#include <QPointF>
#include <QRectF>
#include <QString>
#include <QStringList>
#include <QVector>

#include <limits>
#include <optional>
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
 * Coefficients follow core/MATH.md (Ho et al. 2020 Eqs. 6-7, Song et al. 2020 Eq. 12).
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
    bool clippedEps = false; ///< DDIM: the eps of the update was re-derived from the clipped x0^ (GLIDE)
    bool hasReference = false; ///< a reference x_0 was chosen, so kl and meanGap are meaningful
    bool referenceIsSource = true; ///< x_t was made from the reference: mu~ is the true step (else: toward x_0)
    double kl =
        std::numeric_limits<double>::quiet_NaN(); ///< KL(q(x_{t-1}|x_t,x_0) || p_theta) in nats, NaN if none
    double meanGap = std::numeric_limits<double>::quiet_NaN(); ///< rms |mu_theta - mu~|, NaN if none
    // The probability-path view (core/MATH.md, "Gaussian paths"), used by the ODE/SDE samplers:
    // x_t = a x_0 + s eps at `time` in [0, 1] (0 = data), the step goes to `timePrev`.
    QString path;                ///< "" (the DDPM chain's own panel), "vp" or "flow"
    double time = 0, timePrev = 0;
    double a = 1, s = 0, aPrev = 1, sPrev = 0, da = 0, ds = 0;
    double sdeNoise = 0;         ///< SDE: S in g_t = S s_t
    int modelCalls = 1;          ///< model evaluations of this step (Heun: 2)
    double velocityGap = std::numeric_limits<double>::quiet_NaN(); ///< rms |u_theta(x_t) - u(x_t | x_0)|
    /// diffusers' solvers (DPM-Solver++, Euler, Euler ancestral, Heun on DDPM models): x_prev =
    /// stateCoef x_t + x0Coef * sum_k x0Weights[k] x0^(step stepIndex - k); solverOrder = x0Weights.size().
    /// Empty weights: not such a solver.
    QVector<double> x0Weights;
    double stateCoef = 0, x0Coef = 0;
    double solverSigma = 0, solverSigmaNext = 0; ///< sigma = sqrt((1 - abar) / abar) at x_t and x_prev
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
    QString xtName;          ///< legend text for xt ("" : "xₜ")
    /** A second run's x_t, one per xt (Compare's difference row): drawn in its own colour, each joined to its
     *  twin in xt (2-D) or as a second histogram (1-D). Empty: none. */
    QVector<QPointF> paired;
    QString pairedName; ///< legend text for paired
    QVector<QPointF> meanModel;             ///< mu_theta(x_t, t), one per x_t (2-D: arrows x_t -> mu_theta)
    QVector<QPointF> x0Pred;                ///< the model's x0^, one per x_t
    QVector<QVector<QPointF>> trajectories; ///< selected samples' paths x_T .. x_t so far (2-D only)
    int selected = -1;         ///< index into xt of the sample the reference / posterior refer to, -1: none
    bool hasReference = false; ///< reference and posteriorMean are valid
    bool referenceIsSource = true; ///< x_t was made from the reference: mu~ is the true step (else: toward x_0)
    QPointF reference;         ///< the chosen x_0
    QPointF posteriorMean;     ///< mu~(x_t[selected], x_0)
    QVector<QPointF> fieldOrigins; ///< grid points of a vector field (score or eps), 2-D only
    QVector<QPointF> fieldVectors; ///< the field at each origin, in data units (drawn rescaled to the grid)
    QString fieldName;             ///< legend text for the field, e.g. "score ∇log q_t"
    QVector<QPointF> exactFieldVectors; ///< the exact score at the same fieldOrigins (empty: none)
    QString exactFieldName;             ///< legend text, e.g. "exact score ∇log q_t"
    QVector<double> densityX;      ///< 1-D: density of the data (or of q(x_t)) as a grey area, x values
    QVector<double> densityY;      ///<       and the density at each x
    QString densityName;           ///< legend text for the density, e.g. "q(x_t)"
    QVector<Curve> curves;         ///< 1-D: named curves, e.g. q(x_{t-1}|x_t,x_0), q(x_{t-1}|x_t), p_theta
};

/** A Gaussian N(mean, sd^2 I): a curve in 1-D, 1-sigma and 2-sigma circles in 2-D (StepDensityView). */
struct GaussianMark
{
    QString name;  ///< legend text, e.g. "q(xₜ₋₁ | xₜ, x₀)"
    QPointF mean;  ///< data coordinates (1-D: x() only)
    double sd = 0; ///< standard deviation per dimension; 0: drawn as a point mass (a cross)
    QColor color;
    bool dashed = false;
};

/**
 * One reverse step t -> t-1 of one sample, zoomed in around it: the three distributions of x_{t-1} drawn
 * together: the narrow posterior q(x_{t-1}|x_t,x_0) (needs a reference), the exact q(x_{t-1}|x_t) (a mixture
 * over the training set or the data's Gaussian components) and the model's p_theta(x_{t-1}|x_t).
 */
struct StepDensityFrame
{
    int dim = 2;
    QString caption; ///< e.g. "t = 734 → 733 · sample #1"
    QRectF window;   ///< data coordinates shown; 1-D: x from left() to right() (y ignored)
    QPointF xt;      ///< the sample x_t (may lie outside the window when the step is large)
    QString exactName; ///< legend text of the exact mixture, e.g. "q(xₜ₋₁ | xₜ) exact (2000 points)"
    /** 1-D: the exact mixture density, (x, density) sorted by x. */
    QVector<QPointF> exactCurve;
    /** 2-D: the exact mixture density on a grid over `window`, row-major, row 0 at the top (largest y). */
    QVector<double> exactDensity;
    int densityColumns = 0;
    int densityRows = 0;
    /** The heaviest mixture components: their means (data coordinates) and weights (sum <= 1). */
    QVector<QPointF> componentMeans;
    QVector<double> componentWeights;
    QVector<GaussianMark> gaussians; ///< q(x_{t-1}|x_t,x_0) and p_theta(x_{t-1}|x_t)
    QStringList notes;               ///< lines of numbers drawn under the caption
    bool isEmpty() const { return dim == 1 ? !(window.width() > 0) : window.isEmpty(); }
};

/** One picture of an ImageGallery: an image with a title, a subtitle and an optional weight bar. */
struct GalleryItem
{
    QImage image;     ///< shown scaled to the cell with nearest-neighbour sampling
    QString title;    ///< e.g. "E[x₀ | xₜ] (exact)" or "#1 train 4711"
    QString subtitle; ///< e.g. "w = 0.43"
    QColor accent;    ///< frame and title colour; invalid: plain text colour
    double bar = -1;  ///< a horizontal weight bar under the image, 0..1; < 0: none
};

/** What ImageGallery shows: `pinned` items in a first row, the rest wrapped in rows below. */
struct GalleryFrame
{
    QString caption;
    QVector<GalleryItem> items;
    int pinned = 0;
    QString emptyText; ///< shown when there are no items
};

/** One variational bound (improved-diffusion's calc_bpd_loop) to plot against t. */
struct VlbSeries
{
    QString name;              ///< legend text, e.g. "p_θ on 16 fresh samples"
    QColor color;              ///< invalid: picked from the palette
    QVector<double> t;         ///< 1..T (papers' indexing): the term at t is L_{t-1}; t = 1 is L_0
    QVector<double> termBits;  ///< bits per dimension of each term
    double priorBits = 0;      ///< L_T, bits per dimension
    double totalBits = 0;      ///< the whole bound, bits per dimension
    bool isEmpty() const { return t.isEmpty(); }
};

/** What the control panel asks the app to run. */
/**
 * Where the reference x_0 comes from. RunSettings::referenceSource holds its name, the form the settings
 * file, run files and tests exchange; code that decides on the source parses the name once.
 */
enum class ReferenceSource
{
    None,
    Dataset, ///< an item of the model's dataset (a clicked data point for points)
    File,    ///< an image file (image models)
    Draw     ///< a drawing (image models)
};

/** "none" | "dataset" | "file" | "draw". */
inline QString referenceSourceName(ReferenceSource source)
{
    switch (source) {
    case ReferenceSource::Dataset: return QStringLiteral("dataset");
    case ReferenceSource::File: return QStringLiteral("file");
    case ReferenceSource::Draw: return QStringLiteral("draw");
    case ReferenceSource::None: break;
    }
    return QStringLiteral("none");
}

/** The source a name stands for; nullopt for a name that is none of them (a hand-edited settings file). */
inline std::optional<ReferenceSource> parseReferenceSource(const QString& name)
{
    for (ReferenceSource s :
         {ReferenceSource::None, ReferenceSource::Dataset, ReferenceSource::File, ReferenceSource::Draw})
        if (name == referenceSourceName(s)) return s;
    return std::nullopt;
}

/** Image files and drawings are references for image models only. */
inline bool isImageSource(ReferenceSource source)
{
    return source == ReferenceSource::File || source == ReferenceSource::Draw;
}

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
    QString sampler = QStringLiteral("ddpm"); ///< the sampler's CLI name: "ddpm", "ddim", "euler", "heun", "sde", ...
    int steps = 1000;
    double eta = 0.0;
    double sdeNoise = 1.0; ///< the SDE sampler's noise level S (g_t = S s_t)
    qint64 seed = 0;
    int batch = 16;
    int t0 = 500;
    QString referenceSource = QStringLiteral("none"); ///< a ReferenceSource's name (referenceSourceName)
    int referenceIndex = 0;
    QString referenceFile;
    int classIndex = -1;   ///< class-conditional models: the class to sample (-1: none, unconditional)
    double guidance = 1.0; ///< classifier-free guidance scale w (diffusers' convention; 1: plain conditional)
    bool clippedEps = true; ///< guided DDIM: eps re-derived from the clipped x0^ (GLIDE), as the CLI's --clipped-eps auto

    bool operator==(const RunSettings& o) const
    {
        return model == o.model && mode == o.mode && sampler == o.sampler && steps == o.steps &&
               eta == o.eta && sdeNoise == o.sdeNoise && seed == o.seed && batch == o.batch && t0 == o.t0 &&
               referenceSource == o.referenceSource && referenceIndex == o.referenceIndex &&
               referenceFile == o.referenceFile && classIndex == o.classIndex && guidance == o.guidance &&
               clippedEps == o.clippedEps;
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
Q_DECLARE_METATYPE(difflens::widgets::StepDensityFrame)
Q_DECLARE_METATYPE(difflens::widgets::GalleryFrame)
Q_DECLARE_METATYPE(difflens::widgets::VlbSeries)
