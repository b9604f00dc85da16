// The perplexity plot as hand-written SVG: a frame, ticks and grid lines, one polyline (with
// markers) per series, a legend. The y axis is logarithmic: ticks at 1, 2, 5 x 10^k inside the
// range (or five evenly spaced log values when the range is narrow).
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>
#include <wengert/tensor/atomic_file.hpp>

#include "wengert/lm/report.hpp"

namespace wengert::lm {

namespace {

constexpr double width = 640, height = 400;
constexpr double left = 70, right = 20, top = 40, bottom = 50;

std::string label(double v) {
  std::ostringstream s;
  s << std::setprecision(v >= 100 ? 4 : 3) << v;
  return s.str();
}

std::string escape(const std::string& text) {
  std::string out;
  for (char ch : text) {
    switch (ch) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

}  // namespace

std::string perplexity_svg(const std::vector<EpochStats>& history, const std::string& title) {
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (const EpochStats& s : history) {
    for (double v : {s.train_ppl, s.val_ppl}) {
      if (std::isfinite(v) && v > 0) lo = std::min(lo, v), hi = std::max(hi, v);
    }
  }
  if (!(hi > 0)) lo = 1, hi = 10;
  if (hi / lo < 1.05) lo /= 1.05, hi *= 1.05;
  const double log_lo = std::log10(lo), log_hi = std::log10(hi);
  const double first = history.empty() ? 1 : static_cast<double>(history.front().epoch);
  const double last = history.empty() ? 1 : static_cast<double>(history.back().epoch);
  const double x_lo = first == last ? first - 1 : first, x_hi = first == last ? last + 1 : last;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  auto x_of = [&](double epoch) { return left + (epoch - x_lo) / (x_hi - x_lo) * plot_w; };
  auto y_of = [&](double v) { return top + (log_hi - std::log10(v)) / (log_hi - log_lo) * plot_h; };

  std::ostringstream svg;
  svg << std::fixed << std::setprecision(1);
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << width << ' ' << height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">"
      << escape(title) << "</text>\n";
  // y ticks: 1-2-5 per decade, or five log-spaced values.
  std::vector<double> y_ticks;
  for (int decade = static_cast<int>(std::floor(log_lo));
       decade <= static_cast<int>(std::ceil(log_hi)); ++decade) {
    for (double m : {1.0, 2.0, 5.0}) {
      const double v = m * std::pow(10.0, decade);
      if (v >= lo && v <= hi) y_ticks.push_back(v);
    }
  }
  if (y_ticks.size() < 3) {
    y_ticks.clear();
    for (int i = 0; i <= 4; ++i)
      y_ticks.push_back(std::pow(10.0, log_lo + (log_hi - log_lo) * i / 4));
  }
  for (double v : y_ticks) {
    const double y = y_of(v);
    svg << "<line x1=\"" << left << "\" y1=\"" << y << "\" x2=\"" << width - right << "\" y2=\""
        << y << "\" stroke=\"#e0e0e0\"/>\n<text x=\"" << left - 6 << "\" y=\"" << y + 4
        << "\" text-anchor=\"end\">" << label(v) << "</text>\n";
  }
  // x ticks: whole epochs, at most about ten.
  const auto span = static_cast<std::int64_t>(x_hi - x_lo);
  const std::int64_t step = std::max<std::int64_t>(1, (span + 9) / 10);
  for (auto e = static_cast<std::int64_t>(x_lo); e <= static_cast<std::int64_t>(x_hi); e += step) {
    const double x = x_of(static_cast<double>(e));
    svg << "<line x1=\"" << x << "\" y1=\"" << height - bottom << "\" x2=\"" << x << "\" y2=\""
        << height - bottom + 5 << "\" stroke=\"black\"/>\n<text x=\"" << x << "\" y=\""
        << height - bottom + 18 << "\" text-anchor=\"middle\">" << e << "</text>\n";
  }
  svg << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << plot_w << "\" height=\""
      << plot_h << "\" fill=\"none\" stroke=\"black\"/>\n"
      << "<text x=\"" << left + plot_w / 2 << "\" y=\"" << height - 12
      << "\" text-anchor=\"middle\">epoch</text>\n"
      << "<text transform=\"translate(18 " << top + plot_h / 2
      << ") rotate(-90)\" text-anchor=\"middle\">perplexity (log scale)</text>\n";
  // The two series.
  struct Series {
    const char* name;
    const char* color;
    double EpochStats::*field;
  };
  const Series series[] = {{"train", "#1f77b4", &EpochStats::train_ppl},
                           {"validation", "#ff7f0e", &EpochStats::val_ppl}};
  double legend_y = top + 16;
  for (const Series& s : series) {
    std::ostringstream points, markers;
    points << std::fixed << std::setprecision(1);
    markers << std::fixed << std::setprecision(1);
    int count = 0;
    for (const EpochStats& e : history) {
      const double v = e.*s.field;
      if (!std::isfinite(v) || v <= 0) continue;
      const double x = x_of(static_cast<double>(e.epoch)), y = y_of(v);
      points << (count++ ? " " : "") << x << ',' << y;
      markers << "<circle cx=\"" << x << "\" cy=\"" << y << "\" r=\"2.5\" fill=\"" << s.color
              << "\"/>\n";
    }
    if (count == 0) continue;
    svg << "<polyline fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"2\" points=\""
        << points.str() << "\"/>\n"
        << markers.str();
    const double lx = width - right - 110;
    svg << "<line x1=\"" << lx << "\" y1=\"" << legend_y << "\" x2=\"" << lx + 20 << "\" y2=\""
        << legend_y << "\" stroke=\"" << s.color << "\" stroke-width=\"2\"/>\n<text x=\"" << lx + 26
        << "\" y=\"" << legend_y + 4 << "\">" << s.name << "</text>\n";
    legend_y += 18;
  }
  svg << "</svg>\n";
  return svg.str();
}

void write_perplexity_svg(const std::filesystem::path& path, const std::vector<EpochStats>& history,
                          const std::string& title) {
  write_file_atomic(path, perplexity_svg(history, title), "write_perplexity_svg");
}

}  // namespace wengert::lm
