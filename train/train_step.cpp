// See train_step.h.
#include "train/train_step.h"

#include <string>

#include "core/error.h"
#include "core/ops.h"
#include "train/knob_smoothness.h"
#include "train/losses.h"
#include "train/mrstft_loss.h"

namespace namk {

Var audio_constant(Tape& t, std::span<const float> samples) {
  Var v = t.output(1, static_cast<Index>(samples.size()), false);
  t.value(v) = Eigen::Map<const Eigen::RowVectorXf>(samples.data(), static_cast<Index>(samples.size()))
                   .template cast<Scalar>();
  return v;
}

ItemLoss item_loss_begin(Tape& t, Var prediction, Var target, const LossWeights& w,
                         double setting_energy) {
  ItemLoss loss;
  auto add_term = [&](double weight, auto make_term) {
    if (weight == 0) return;
    Var term = scale(t, make_term(), static_cast<Scalar>(weight));
    loss.local = loss.local.valid() ? add(t, loss.local, term) : term;
  };
  add_term(w.mse, [&] { return mse_loss(t, prediction, target); });
  add_term(w.esr, [&] { return esr_loss(t, prediction, target); });
  add_term(w.setting_esr / (setting_energy + kEsrEpsilon), [&] { return mse_loss(t, prediction, target); });
  add_term(w.dc, [&] { return dc_loss(t, prediction, target); });
  if (w.mrstft != 0)
    loss.spectral.push_back({static_cast<Scalar>(w.mrstft), mrstft_begin(t, prediction, target)});
  if (w.pre_emphasis_esr > 0 || w.pre_emphasis_mrstft > 0) {
    const Scalar c = static_cast<Scalar>(w.pre_emphasis_coef);
    Var p = pre_emphasis(t, prediction, c), y = pre_emphasis(t, target, c);
    add_term(w.pre_emphasis_esr, [&] { return esr_loss(t, p, y); });
    if (w.pre_emphasis_mrstft != 0)
      loss.spectral.push_back({static_cast<Scalar>(w.pre_emphasis_mrstft), mrstft_begin(t, p, y)});
  }
  if (!loss.local.valid() && loss.spectral.empty())
    throw UsageError("learning config: every loss weight is 0");
  return loss;
}

Var item_loss_finish(Tape& t, const ItemLoss& loss, const std::vector<MrstftBatch>& batches) {
  if (batches.size() != loss.spectral.size())
    throw UsageError("item_loss_finish: " + std::to_string(batches.size()) + " batch sums for " +
                     std::to_string(loss.spectral.size()) + " MRSTFT terms");
  Var total = loss.local;
  for (size_t k = 0; k < loss.spectral.size(); ++k) {
    Var term = scale(t, mrstft_finish(t, loss.spectral[k].item, batches[k]), loss.spectral[k].weight);
    total = total.valid() ? add(t, total, term) : term;
  }
  return total;
}

Var item_loss(Tape& t, Var prediction, Var target, const LossWeights& w, double setting_energy) {
  const ItemLoss loss = item_loss_begin(t, prediction, target, w, setting_energy);
  std::vector<MrstftBatch> batches(loss.spectral.size());
  for (size_t k = 0; k < batches.size(); ++k) batches[k].add(loss.spectral[k].item);
  return item_loss_finish(t, loss, batches);
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
  if (batch.empty()) throw UsageError("TrainStep: an empty batch");
  const auto n = static_cast<Index>(batch.size());
  while (tapes_.size() < batch.size()) tapes_.push_back(std::make_unique<Tape>());
  std::vector<ItemLoss> losses(batch.size());
  std::vector<MrstftBatch> sums;
  const Scalar inv_batch = Scalar(1) / static_cast<Scalar>(n);
  parallel_two_phase(
      threads(), n,
      [&](Index i, int id) {
        Worker& w = workers_[static_cast<size_t>(id)];
        Tape& tape = *tapes_[static_cast<size_t>(i)];
        const BatchItem& item = batch[static_cast<size_t>(i)];
        tape.clear();
        Var x = audio_constant(tape, item.x), y = audio_constant(tape, item.y);
        // The parameters' gradients land in this thread's buffer; the second phase runs item i on
        // this same thread.
        Var prediction = model_.forward(tape, x, item.knobs, w.grad.data());
        const double energy = setting_energy_.empty() ? 1.0 : setting_energy_[static_cast<size_t>(item.entry)];
        ItemLoss& loss = losses[static_cast<size_t>(i)];
        loss = item_loss_begin(tape, prediction, y, weights_, energy);
        if (smoothing_knobs() > 0) {
          // One knob per item, in turn over the batch: deterministic, and every knob is visited
          // as often as the batch allows. Relative to the setting's loudness, like setting_esr.
          const Index axis = i % smoothing_knobs();
          Var term = knob_curvature(tape, model_, item.x, prediction, item.knobs, axis, weights_.knob_step,
                                    weights_.knob_window, w.grad.data());
          term = scale(tape, term, static_cast<Scalar>(weights_.knob_smoothness / (energy + kEsrEpsilon)));
          loss.local = loss.local.valid() ? add(tape, loss.local, term) : term;
        }
      },
      [&] {
        // In item order, whatever the thread count.
        sums.resize(losses[0].spectral.size());
        for (const ItemLoss& l : losses)
          for (size_t k = 0; k < sums.size(); ++k) sums[k].add(l.spectral[k].item);
      },
      [&](Index i, int id) {
        Worker& w = workers_[static_cast<size_t>(id)];
        Tape& tape = *tapes_[static_cast<size_t>(i)];
        Var loss = scale(tape, item_loss_finish(tape, losses[static_cast<size_t>(i)], sums), inv_batch);
        tape.backward(loss);
        w.loss_sum += static_cast<double>(tape.value(loss)(0, 0));
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
