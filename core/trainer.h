#pragma once
// Training p_theta (Ho et al. Algorithm 1; improved DDPM's hybrid loss when the variance is learned):
// AdamW with warm-up, gradient clipping, EMA of the weights (sampling uses the EMA), per-timestep loss
// statistics, atomic checkpoints that resume exactly.
#include "core/datasets.h"
#include "core/net.h"
#include "core/schedule.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace difflens {

struct TrainOptions
{
    int64_t steps = 2000;
    int64_t batch = 256;
    double lr = 1e-3;
    double weightDecay = 0.0;
    int64_t warmupSteps = 100;
    double gradClip = 1.0;
    double emaDecay = 0.999;
    uint64_t seed = 0;
    int64_t checkpointEvery = 500; // 0: only at the end and at cancel
    int64_t logEvery = 10;
    std::string loss = "simple"; // "simple" | "hybrid" (learned variance: L_simple + L_vlb, Nichol & Dhariwal)
    // Class-conditional training (classifier-free guidance, Ho & Salimans 2022 Algorithm 1): the net sees each
    // item's class, replaced by none (-1, the null class) with probability pUncond, so one net learns both.
    bool conditional = false;
    double pUncond = 0.1;
};

struct TrainProgress
{
    int64_t step = 0, total = 0;
    double loss = 0, emaLoss = 0, stepsPerSecond = 0, etaSeconds = 0;
};

struct LossLogEntry
{
    int64_t step;
    double loss, emaLoss;
};

class Trainer
{
public:
    /** net and ema must be two instances of the same architecture; ema receives net's weights first. */
    Trainer(std::shared_ptr<DenoiserNet> net, std::shared_ptr<DenoiserNet> ema, std::shared_ptr<const Dataset> data,
            SchedulerConfig scheduler, TrainOptions options, torch::Device device);
    ~Trainer();

    /** Restores weights, EMA, optimizer, step, RNG state and logs; the next steps equal an uninterrupted run. */
    void resume(const std::string& checkpointPath);
    /**
     * Continues a run whose checkpoint is gone from the weights it published (already in the net; the EMA
     * copied them): the step counter, EMA loss and loss curve go on from `stepsDone` and `priorLog`, the
     * optimizer starts fresh with a new warm-up, and the data order is reseeded so no batch repeats. Not
     * bitwise what an uninterrupted run gives (resume() is); the loss-by-t statistics restart.
     */
    void warmStart(int64_t stepsDone, std::vector<LossLogEntry> priorLog);
    /** Writes everything resume() needs, atomically (temporary file, then rename). */
    void saveCheckpoint(const std::string& path) const;

    /**
     * Trains until options.steps, or until cancel; progress every logEvery steps; checkpoints every
     * checkpointEvery steps and when stopping (if checkpointPath is set). Returns true when finished.
     */
    bool run(const std::function<void(const TrainProgress&)>& onProgress, const std::atomic_bool* cancel,
             const std::string& checkpointPath = "");
    /** One optimisation step; returns its loss. */
    double step();

    int64_t currentStep() const;
    const std::vector<LossLogEntry>& log() const;
    /** Mean loss per timestep bin (bins equal-width over 0..T-1), and the bin centres. */
    std::vector<std::pair<double, double>> lossByT(int bins = 50) const;
    /** Writes step,loss,ema_loss and (second file) t,loss rows. */
    void writeLossCsv(const std::string& path) const;
    void writeLossByTCsv(const std::string& path, int bins = 50) const;
    std::shared_ptr<DenoiserNet> emaNet() const;
    const TrainOptions& options() const;
    void setTotalSteps(int64_t steps);

private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

} // namespace difflens
