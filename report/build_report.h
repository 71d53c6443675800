// Gathers a ReportData from what a run has: the model, the dataset and the training log. Shared by
// `train` (a cheap page after every epoch, the full page at the end) and `report` (the full page
// from a saved model), so both draw exactly the same report.
#pragma once

#include <string>

#include "data/knob_dataset.h"
#include "nn/model.h"
#include "report/report_data.h"
#include "train/trainer.h"

namespace namk {

// The per-epoch page: training curves from the log at `log_path`, ESR per trained setting from
// this epoch's validation. Costs one read of the log and no inference.
void add_epoch_progress(ReportData& report, const KnobDataset& data, const std::string& log_path,
                        const EvalResult& validation, long long epoch, long long epochs, long long best_epoch);

// The full page's measurements of `model`: ESR per setting (validation and held-out test), best
// and worst comparisons, knob responses. Runs the model on seconds of audio per knob position.
void add_model_analysis(ReportData& report, const Model& model, const KnobDataset& data,
                        const EvalResult& validation, const EvalResult& test, int threads);

// evaluate() on every validation segment and every test recording, whole.
EvalResult evaluate_validation(const Model& model, const KnobDataset& data, int threads);
EvalResult evaluate_test(const Model& model, const KnobDataset& data, int threads);

// The best epoch of a log (1-based; 0 when empty): the first epoch with the lowest validation ESR,
// as the trainer chooses it.
long long best_logged_epoch(const std::vector<EpochRow>& rows);

// Writes report_html(report) to `path` atomically (temp file, fsync, rename).
void write_report(const std::string& path, const ReportData& report);

}  // namespace namk
