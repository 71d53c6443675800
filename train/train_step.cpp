// See train_step.h.
#include "train/train_step.h"

#include "core/error.h"
#include "core/ops.h"
#include "train/losses.h"
#include "train/mrstft_loss.h"

namespace namk {

Var audio_constant(Tape& t, std::span<const float> samples) {
  Var v = t.output(1, static_cast<Index>(samples.size()), false);
  t.value(v) = Eigen::Map<const Eigen::RowVectorXf>(samples.data(), static_cast<Index>(samples.size()))
                   .template cast<Scalar>();
  return v;
}

Var item_loss(Tape& t, Var prediction, Var target, const LossWeights& w, double setting_energy) {
  Var total;
  auto add_term = [&](double weight, auto make_term) {
    if (weight == 0) return;
    Var term = scale(t, make_term(), static_cast<Scalar>(weight));
    total = total.valid() ? add(t, total, term) : term;
  };
  add_term(w.mse, [&] { return mse_loss(t, prediction, target); });
  add_term(w.esr, [&] { return esr_loss(t, prediction, target); });
  add_term(w.setting_esr / (setting_energy + kEsrEpsilon), [&] { return mse_loss(t, prediction, target); });
  add_term(w.dc, [&] { return dc_loss(t, prediction, target); });
  add_term(w.mrstft, [&] { return mrstft_loss(t, prediction, target); });
  if (w.pre_emphasis_esr > 0 || w.pre_emphasis_mrstft > 0) {
    const Scalar c = static_cast<Scalar>(w.pre_emphasis_coef);
    Var p = pre_emphasis(t, prediction, c), y = pre_emphasis(t, target, c);
    add_term(w.pre_emphasis_esr, [&] { return esr_loss(t, p, y); });
    add_term(w.pre_emphasis_mrstft, [&] { return mrstft_loss(t, p, y); });
  }
  if (!total.valid()) throw UsageError("learning config: every loss weight is 0");
  return total;
}

std::vector<double> setting_energies(const KnobDataset& data) {
  std::vector<double> sum(data.entries.size()), count(data.entries.size());
  for (const Segment& s : data.train)
    for (float v : data.whole(s).y) {
      sum[static_cast<size_t>(s.entry)] += static_cast<double>(v) * v;
      count[static_cast<size_t>(s.entry)] += 1;
    }
  for (size_t e = 0; e < sum.size(); ++e) sum[e] = count[e] > 0 ? sum[e] / count[e] : 1;
  return sum;
}

TrainStep::TrainStep(const Model& model, const LossWeights& weights, int threads,
                     std::vector<double> setting_energy)
    : model_(model), weights_(weights), setting_energy_(std::move(setting_energy)),
      workers_(static_cast<size_t>(threads)) {
  if (weights_.setting_esr > 0 && setting_energy_.empty())
    throw UsageError("TrainStep: loss.setting_esr needs the settings' energies");
}

double TrainStep::gradient(const std::vector<BatchItem>& batch) {
  for (Worker& w : workers_) {
    w.grad.setZero(model_.num_params());
    w.loss_sum = 0;
  }
  const Scalar inv_batch = Scalar(1) / static_cast<Scalar>(batch.size());
  parallel_for(threads(), static_cast<Index>(batch.size()), [&](Index i, int id) {
    Worker& w = workers_[static_cast<size_t>(id)];
    const BatchItem& item = batch[static_cast<size_t>(i)];
    w.tape.clear();
    Var x = audio_constant(w.tape, item.x), y = audio_constant(w.tape, item.y);
    Var prediction = model_.forward(w.tape, x, item.knobs, w.grad.data());
    const double energy = setting_energy_.empty() ? 1.0 : setting_energy_[static_cast<size_t>(item.entry)];
    Var loss = scale(w.tape, item_loss(w.tape, prediction, y, weights_, energy), inv_batch);
    w.tape.backward(loss);
    w.loss_sum += static_cast<double>(w.tape.value(loss)(0, 0));
  });
  // Summed in thread order: the same thread count always adds the same numbers the same way.
  grad_ = workers_[0].grad;
  double loss = workers_[0].loss_sum;
  for (size_t k = 1; k < workers_.size(); ++k) {
    grad_ += workers_[k].grad;
    loss += workers_[k].loss_sum;
  }
  return loss;
}

}  // namespace namk
