// See train_step.h.
#include "train/train_step.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "base/error.h"
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
  for (const Segment& s : data.train) {
    for (float v : data.whole(s).y) {
      sum[static_cast<size_t>(s.entry)] += static_cast<double>(v) * v;
      count[static_cast<size_t>(s.entry)] += 1;
    }
    // Mapped audio: one segment resident at a time, not the dataset (data/track.h).
    data.tracks[static_cast<size_t>(s.output_track)].release();
  }
  for (size_t e = 0; e < sum.size(); ++e) sum[e] = count[e] > 0 ? sum[e] / count[e] : 1;
  return sum;
}

TrainStep::TrainStep(const Model& model, const LossWeights& weights, int threads,
                     std::vector<double> setting_energy, const Distributed* ranks)
    : model_(model), weights_(weights), setting_energy_(std::move(setting_energy)), threads_(threads),
      ranks_(ranks ? *ranks : single_rank_) {
  if (weights_.setting_esr > 0 && setting_energy_.empty())
    throw UsageError("TrainStep: loss.setting_esr needs the settings' energies");
}

namespace {

// The MRSTFT terms item_loss_begin makes for these weights (a rank with no items of its own must
// still know how many batch sums to expect).
size_t spectral_terms(const LossWeights& w) {
  const bool pre_emphasis = w.pre_emphasis_esr > 0 || w.pre_emphasis_mrstft > 0;
  return (w.mrstft != 0 ? 1 : 0) + (pre_emphasis && w.pre_emphasis_mrstft != 0 ? 1 : 0);
}

}  // namespace

double TrainStep::gradient(const std::vector<BatchItem>& batch) {
  if (batch.empty()) throw UsageError("TrainStep: an empty batch");
  const auto n = static_cast<Index>(batch.size());
  const Index first = ranks_.first_item(n), mine = ranks_.item_count(n);
  const Index params = model_.num_params();
  while (tapes_.size() < static_cast<size_t>(mine)) tapes_.push_back(std::make_unique<Tape>());
  item_grad_.setZero(params, mine);
  std::vector<double> item_loss(static_cast<size_t>(mine));
  std::vector<ItemLoss> losses(static_cast<size_t>(mine));
  // Per item: for each spectral term, its per-resolution ||E||² then ||Y||².
  const size_t terms = spectral_terms(weights_);
  const auto resolutions = static_cast<Index>(MrstftConfig{}.resolutions.size());
  const Index width = static_cast<Index>(terms) * 2 * resolutions;
  std::vector<MrstftBatch> sums(terms);
  const Scalar inv_batch = Scalar(1) / static_cast<Scalar>(n);
  double gather_seconds = 0;
  auto timed = [&](auto gather) {
    const auto start = std::chrono::steady_clock::now();
    gather();
    gather_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  parallel_two_phase(
      threads_, mine,
      [&](Index i, int) {
        const Index item_index = first + i;
        Tape& tape = *tapes_[static_cast<size_t>(i)];
        const BatchItem& item = batch[static_cast<size_t>(item_index)];
        tape.clear();
        Var x = audio_constant(tape, item.x), y = audio_constant(tape, item.y);
        Scalar* dparams = item_grad_.col(i).data();
        Var prediction = model_.forward(tape, x, item.knobs, dparams);
        const double energy = setting_energy_.empty() ? 1.0 : setting_energy_[static_cast<size_t>(item.entry)];
        ItemLoss& loss = losses[static_cast<size_t>(i)];
        loss = item_loss_begin(tape, prediction, y, weights_, energy);
        if (loss.spectral.size() != terms)
          throw UsageError("TrainStep: " + std::to_string(loss.spectral.size()) + " MRSTFT terms, expected " +
                           std::to_string(terms));
        if (smoothing_knobs() > 0) {
          // One knob per item, in turn over the batch: deterministic, and every knob is visited
          // as often as the batch allows. Relative to the setting's loudness, like setting_esr.
          const Index axis = item_index % smoothing_knobs();
          Var term = knob_curvature(tape, model_, item.x, prediction, item.knobs, axis, weights_.knob_step,
                                    weights_.knob_window, dparams);
          term = scale(tape, term, static_cast<Scalar>(weights_.knob_smoothness / (energy + kEsrEpsilon)));
          loss.local = loss.local.valid() ? add(tape, loss.local, term) : term;
        }
      },
      [&] {
        // Every item's norms on every rank, then summed in item order, whatever the thread and
        // rank counts.
        if (terms == 0) return;
        std::vector<double> norms(static_cast<size_t>(mine * width)), all(static_cast<size_t>(n * width));
        for (Index i = 0; i < mine; ++i) {
          double* out = norms.data() + i * width;
          for (const ItemLoss::Spectral& term : losses[static_cast<size_t>(i)].spectral) {
            if (static_cast<Index>(term.item.error_sq.size()) != resolutions)
              throw UsageError("TrainStep: an MRSTFT term of " + std::to_string(term.item.error_sq.size()) +
                               " resolutions, expected " + std::to_string(resolutions));
            out = std::copy(term.item.error_sq.begin(), term.item.error_sq.end(), out);
            out = std::copy(term.item.target_sq.begin(), term.item.target_sq.end(), out);
          }
        }
        timed([&] { ranks_.allgather_items(norms, all, n, width); });
        for (Index i = 0; i < n; ++i)
          for (size_t k = 0; k < terms; ++k) {
            const double* at = all.data() + i * width + static_cast<Index>(k) * 2 * resolutions;
            sums[k].add(std::span<const double>(at, static_cast<size_t>(resolutions)),
                        std::span<const double>(at + resolutions, static_cast<size_t>(resolutions)));
          }
      },
      [&](Index i, int) {
        Tape& tape = *tapes_[static_cast<size_t>(i)];
        Var loss = scale(tape, item_loss_finish(tape, losses[static_cast<size_t>(i)], sums), inv_batch);
        tape.backward(loss);
        item_loss[static_cast<size_t>(i)] = static_cast<double>(tape.value(loss)(0, 0));
      });
  std::vector<double> batch_loss(static_cast<size_t>(n));
  batch_grad_.resize(params, n);
  timed([&] {
    ranks_.allgather_items(item_loss, batch_loss, n, 1);
    ranks_.allgather_items(std::span<const Scalar>(item_grad_.data(), static_cast<size_t>(item_grad_.size())),
                           std::span<Scalar>(batch_grad_.data(), static_cast<size_t>(batch_grad_.size())), n,
                           params);
  });
  if (ranks_.size() > 1) {
    gather_cost_.bytes += static_cast<double>(n) * (static_cast<double>(width + 1) * sizeof(double) +
                                                    static_cast<double>(params) * sizeof(Scalar));
    gather_cost_.seconds += gather_seconds;
    ++gather_cost_.steps;
  }
  // In item order: the same batch always adds the same numbers the same way.
  grad_ = batch_grad_.col(0);
  double loss = batch_loss[0];
  for (Index i = 1; i < n; ++i) {
    grad_ += batch_grad_.col(i);
    loss += batch_loss[static_cast<size_t>(i)];
  }
  return loss;
}

}  // namespace namk
