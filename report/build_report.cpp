// See build_report.h.
#include "report/build_report.h"

#include <cmath>

#include "base/atomic_file.h"
#include "report/analysis.h"
#include "report/report_html.h"

namespace namk {

namespace {

std::vector<BatchItem> whole(const KnobDataset& data, const std::vector<Segment>& segments) {
  std::vector<BatchItem> items;
  for (const Segment& s : segments) items.push_back(data.whole(s));
  return items;
}

}  // namespace

EvalResult evaluate_validation(const Model& model, const KnobDataset& data, int threads) {
  return evaluate(model, data, whole(data, data.validation), threads);
}

EvalResult evaluate_test(const Model& model, const KnobDataset& data, int threads) {
  return evaluate(model, data, whole(data, data.test), threads);
}

long long best_logged_epoch(const std::vector<EpochRow>& rows) {
  long long best = 0;
  double best_esr = 0;
  for (const EpochRow& r : rows)
    if (std::isfinite(r.validation_esr) && (best == 0 || r.validation_esr < best_esr)) {
      best = r.epoch;
      best_esr = r.validation_esr;
    }
  return best;
}

void add_epoch_progress(ReportData& report, const KnobDataset& data, const std::string& log_path,
                        const EvalResult& validation, long long epoch, long long epochs, long long best_epoch) {
  report.knobs = data.knobs;
  report.epochs = read_training_log(log_path);
  report.best_epoch = best_epoch;
  report.status = "training: epoch " + std::to_string(epoch) + " of " + std::to_string(epochs);
  report.settings = setting_results(data, validation, EvalResult{});
  report.settings_note = "Measured on each trained setting's validation audio with the weights of epoch " +
                         std::to_string(epoch) + " (the latest); held-out settings are measured when training ends.";
  report.analysis_note = "Computed when training ends (it runs the model across every knob's range).";
}

void add_model_analysis(ReportData& report, const Model& model, const KnobDataset& data,
                        const EvalResult& validation, const EvalResult& test, int threads) {
  report.knobs = data.knobs;
  report.settings = setting_results(data, validation, test);
  report.settings_note = "Measured with the saved model: trained settings on their validation audio (time the "
                         "model never trained on), held-out settings on their whole recording.";
  report.analysis_note.clear();
  report.comparisons = compare_best_worst(model, data, report.settings, threads);
  report.responses = knob_responses(model, data, threads);
}

void write_report(const std::string& path, const ReportData& report) {
  write_text_atomically(path, report_html(report));
}

}  // namespace namk
