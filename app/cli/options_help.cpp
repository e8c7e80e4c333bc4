// The hand-written explanations below each command's generated option list (app/cli/options.cpp puts them
// in the footer of the command's --help).
#include "app/cli/options_help.h"

namespace difflens::cli::help {

const char* const kScheduleFooter =
    R"(Give either --config FILE or --beta-schedule NAME (with --timesteps, --beta-start, --beta-end).
Prints one row per timestep index t = 0..T-1 with the columns
t,beta,alpha,alpha_bar,alpha_bar_prev,beta_tilde,posterior_log_variance_clipped,
posterior_mean_coef1,posterior_mean_coef2,snr
Schedules: linear (beta_start..beta_end literally, as diffusers), linear_improved (improved DDPM:
scaled by 1000/T), scaled_linear, squaredcos_cap_v2 (= cosine), sigmoid (diffusers'/GeoDiff).
)";

const char* const kSampleFooter =
    R"(PATH: a model package folder, a TorchScript file (scheduler_config.json and difflens.json beside it are
read when present), or exact:DATASET[?n=N&seed=S&path=flow] (n: how many items of the data; default the
whole training set for images, 1000 draws for point sets).
Samplers: ddpm, ddim (the DDPM chain) | euler, heun (the probability-flow ODE) | sde (Euler-Maruyama with
noise g_t = S s_t, --sde-noise S, default 1; 0 is the ODE) | dpmpp-2m, dpmpp-3m (DPM-Solver++ multistep,
orders 2 and 3; dpmpp-1m is first order) | euler-ancestral. On DDPM models euler, heun, euler-ancestral and
dpmpp-* are diffusers' EulerDiscrete / HeunDiscrete / EulerAncestralDiscrete / DPMSolverMultistep schedulers
(Heun costs 2 steps - 1 model calls). The default is the model's own: its scheduler_config.json class,
euler for flow-matching models, ddpm otherwise. --steps defaults to all training timesteps (ddpm), 25
(dpmpp) or 50. Solver settings over the model's config: --karras (Karras sigmas), --spacing,
--solver-order, --solver-type.
--reference adds mu~(x_t, x_0) and the per-step KL; --t0 starts from the reference noised to
timestep T instead of pure noise. Output tensors are .pt files Python's torch.load reads.
--class C (an index or a class name) samples a class-conditional model toward class C with
classifier-free guidance of scale --guidance W (default 1: plain conditional; 0: unconditional), in
diffusers' convention out(x, none) + W (out(x, C) - out(x, none)), in the model's own output space.
--save-run writes a run file (model, settings, seed, reference, trajectory in float16, per-step summaries)
that the app opens and scrubs without the model; 'difflens-cli info --run RUN' describes one.
Ctrl-C stops between steps and still writes what was made.
)";

const char* const kInfoFooter =
    R"(Give --model PATH, or --run RUN (a run file written by sample --save-run or the app).
)";

const char* const kTrainFooter =
    R"(Writes a model package to DIR: model.pt (EMA weights), difflens.json, scheduler_config.json,
loss.csv, loss_by_t.csv and checkpoint.pt (atomically, every --checkpoint-every steps and on Ctrl-C).
--resume continues DIR's checkpoint exactly where it stopped (architecture and schedule from DIR).
--objective flow trains flow matching (the velocity eps - x_0 on x_t = (1 - t) x_0 + t eps).
--init-weights PACKAGE starts a new run from another package's weights (same architecture).
--init-from PACKAGE continues a published package whose checkpoint is gone: its weights, schedule,
architecture, training settings, step count and loss log; a fresh optimizer (not bitwise --resume).
--conditional trains a class-conditional net (a class embedding plus a null class) on a labelled dataset,
dropping each label with probability --p-uncond (default 0.1) so that one net also serves classifier-free
guidance. With --init-from an unconditional package it starts from that net (the class embedding at 0).
Datasets: gmm1d, moons, 8gaussians, swissroll, checkerboard, spirals, rings, fashion-mnist,
a folder of images, an image file, or points:IMAGE (dark pixels as a 2-D density).
)";

const char* const kDatasetFooter =
    R"(Writes N samples ([N, d] points or [N, C, H, W] images, in the models' value range) for torch.load.
Labelled datasets also write the class of each sample, int64 [N], to --labels (default: FILE.labels.pt
beside FILE.pt): 8gaussians/gmm1d the component, moons the moon, rings the ring, spirals the arm,
checkerboard the square, fashion-mnist its 10 classes.
)";

const char* const kEvalFooter =
    R"(Points: sliced Wasserstein distance and MMD between samples and fresh data, each with the
data-vs-data floor and the N(0, I)-vs-data ceiling; mixtures: log-likelihood under the known density
and the share of samples per mode. Images: Frechet distance in the feature space of the shipped
Fashion-MNIST classifier with the test-vs-train floor and the noise ceiling. Both: distance of each
sample to its nearest training item (memorisation). --vlb: the variational bound in bits/dim.

Class-conditional models: --class C|all [--guidance W | --sweep-guidance 0,1,2,3,5,8] samples
--num-samples per class (default 500 images, 2000 points) with classifier-free guidance and reports the
class accuracy (images: the shipped classifier; points: the nearest labelled component or data point) and
the distance to that class's data (images: Frechet in classifier features; points: sliced Wasserstein)
with its data-vs-data floor; --sweep-guidance prints the accuracy / distance trade-off table.
--sweep-nfe 5,10,20,50,100,1000 [--samplers ddim,dpmpp-2m,...]: the same distance for each sampler at each
number of model calls (NFE; Heun calls twice per step), with the data floor, and (unless --no-exact) the
same sweep with the exact denoiser of the model's dataset: that curve is the solver's error alone, the
model's is solver plus network (the error budget; for images only with --exact: the exact denoiser of
60000 images is slow).
)";

const char* const kGuidanceSweepFooter =
    R"(The same x_T (same seed) sampled toward class C at several guidance scales: --out writes the final samples
as a filmstrip, one row per scale (images: B of them, default 8; points: a scatter of B, default 512);
--gif animates x_t step by step, all scales side by side (--frames all|every:K|log:N, default log:30).
)";

const char* const kGuidanceTargetFooter =
    R"(Guided sampling is not sampling the tilted target p(x|c)^w p(x)^(1-w) / Z. For a labelled mixture
(8gaussians, gmm1d) this draws exact guided samples (the exact conditional denoiser, DDPM, linear T = 1000)
for each w and compares them with the tilted target's density on a grid: total variation between the
samples' histogram and the target (w = 1: both are p(x|c), so that row is the sampling-noise floor), means,
spreads and mean distance from the origin. --out writes one row per w: target | samples (2-D heat maps)
or the target's density in red over the samples' histogram (1-D).
)";

const char* const kExportFooter =
    R"(Forms: --model PATH (sample, then export) or --run RUN.dlrun [--compare RUN_B.dlrun [--align step|time]].
Samples a run and exports it. --frames log:N spaces N frames densely near t = 0 (default log:60), so a
1000-step run makes a watchable GIF. --panels picks image panels (mutilde, x0 and diff need --reference).
--t0 starts from the reference noised to t0. --forward exports the forward process of the reference
(t = 0..t0, default T) instead of a reverse run. --run exports a saved run without sampling (its model
need not be there); with --compare the two runs go side by side with their difference, one frame per
timeline position (--align step: the same step index; time: the nearest t, the default when the step
counts differ). The target is written only when complete.
)";

const char* const kExportModelFooter = R"(Form: difflens-cli export-model PACKAGE --to pytorch OUT
Writes the built-in MLP or UNet of the model package PACKAGE into the folder OUT (created when missing):
  state_dict.pt          the weights, a dict of tensors for torch.load / load_state_dict
  difflens_net.py        the same net in PyTorch (MLP, UNet) and load(folder)
  difflens.json          architecture and data; scheduler_config.json: the noise schedule (diffusers' keys)
In Python: sys.path.insert(0, OUT); import difflens_net; net = difflens_net.load(OUT); net(x_t, t).
TorchScript models open in PyTorch as they are (torch.jit.load); exact denoisers have no weights.
)";

} // namespace difflens::cli::help
