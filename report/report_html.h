// The report composer: ReportData -> one self-contained HTML page (inline CSS and SVG; no scripts,
// fonts or images from elsewhere), readable on a laptop screen and printable. Charts carry their
// numbers in data-* attributes (data-esr, data-epoch, data-knob...) so tests can read back exactly
// what is drawn.
#pragma once

#include <string>

#include "report/report_data.h"

namespace namk {

std::string report_html(const ReportData& report);

// The colour of an ESR on the report's scale: green at 0.001 and below, through yellow, to red at
// 0.3 and above (log scale). CSS colour syntax.
std::string esr_colour(double esr);

}  // namespace namk
