//===- ReportHtml.cpp - the history as one HTML page ----------------------===//
//
// The page carries its data as JSON (every "<" escaped, so that no text
// from a model's source locations can end or reopen the script) and a small script
// that draws it with DOM calls (text is never parsed as HTML): per plan,
// the median call of every run (with each run's fastest call and 90th
// percentile around it; hover a point for its date and host), the last
// run's devices (utilisation, arena), its time per op kind, and each op's
// time against the run before, in a table sorted by any column.
//
//===----------------------------------------------------------------------===//
#include "runtime/monitor/History.h"
#include "runtime/monitor/Report.h"

#include <map>

namespace popt::monitor {

namespace {

nlohmann::json runData(const nlohmann::json &r) {
  nlohmann::json d = {{"time", r.value("time", std::string())},
                      {"host", r.value("host", std::string())},
                      {"median", r.value("median_execution_time", 0.0)},
                      {"min", r.value("min_execution_time", 0.0)},
                      {"p90", r.value("p90_execution_time", r.value("median_execution_time", 0.0))},
                      {"iterations", r.value("iterations", 0)},
                      {"arena", r.value("arena_bytes", 0.0)},
                      {"rss", r.value("peak_rss_bytes", 0.0)},
                      {"devices", nlohmann::json::array()}};
  if (r.contains("sampled") && r["sampled"].is_object()) {
    const nlohmann::json &sm = r["sampled"];
    d["coresBusy"] = sm.value("cores_busy", 0.0);
    d["coresBusyMax"] = sm.value("cores_busy_max", 0.0);
    d["cores"] = sm.value("cores", 0);
    d["rssSeries"] = sm.contains("rss") ? sm["rss"] : nlohmann::json::array();
  }
  if (r.contains("devices") && r["devices"].is_array())
    for (const auto &dev : r["devices"])
      if (dev.is_object())
        d["devices"].push_back({{"name", dev.value("name", std::string("?"))},
                                {"ops", dev.value("ops", 0)},
                                {"busy", dev.value("busy_seconds", 0.0)},
                                {"util", dev.value("utilization", 0.0)},
                                {"arena", dev.value("arena_bytes", 0.0)}});
  return d;
}

nlohmann::json opsData(const Series &s) {
  nlohmann::json ops = nlohmann::json::array();
  const nlohmann::json &last = *s.runs.back();
  const nlohmann::json *prev = s.runs.size() > 1 ? s.runs[s.runs.size() - 2] : nullptr;
  const std::map<int64_t, double> before = prev ? opTimes(*prev) : std::map<int64_t, double>();
  if (last.contains("ops") && last["ops"].is_array())
    for (const auto &op : last["ops"]) {
      if (!op.is_object())
        continue;
      int64_t o = op.value("op", int64_t(-1));
      nlohmann::json row = {{"op", o},
                            {"kind", op.value("kind", std::string("?"))},
                            {"location", op.value("location", std::string())},
                            {"t", op.value("median_seconds", 0.0)}};
      if (auto it = before.find(o); it != before.end())
        row["prev"] = it->second;
      ops.push_back(row);
    }
  return ops;
}

const char *kPage = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>popt-report</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:20px}h2{font-size:17px;margin-top:32px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 8px;text-align:right;border-bottom:1px solid #eee}
th{cursor:pointer;background:#f4f4f4}td.l,th.l{text-align:left}
.bar{display:inline-block;height:10px;background:#4a7bd0;vertical-align:middle}
.bad{color:#b00;font-weight:bold}.good{color:#070}.note{color:#666}
svg{background:#fafafa;border:1px solid #ddd}
</style></head><body>
<h1>popt-report</h1><p class="note" id="head"></p><div id="plans"></div>
<script type="application/json" id="data">@DATA@</script>
<script>
const D = JSON.parse(document.getElementById('data').textContent);
const el = (tag, attrs, ...kids) => {
  const e = tag.startsWith('svg:') ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
                                   : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
};
// Loops, not Math.min(...v): a long history would overflow the call stack.
const least = v => v.reduce((a, b) => (b < a ? b : a), Infinity);
const most = v => v.reduce((a, b) => (b > a ? b : a), -Infinity);
const ratio = (a, b) => (b > 0 && isFinite(a / b) ? a / b - 1 : 0);
const ms = s => (s * 1e3).toFixed(3) + ' ms';
const pct = f => (f >= 0 ? '+' : '') + (f * 100).toFixed(1) + '%';
const mib = b => (b / 1048576).toFixed(1) + ' MiB';
document.getElementById('head').textContent = D.file + ': ' + D.series.length + ' plan(s); regression threshold ' + pct(D.threshold);

function chart(runs) {
  const W = 720, H = 220, L = 60, B = 30, T = 10, R = 10;
  const ys = runs.flatMap(r => [r.min, r.p90, r.median]).filter(v => v > 0 && v < 1e9);
  if (!ys.length) return el('p', {class: 'note'}, 'No call times to draw.');
  const lo = least(ys) * 0.95, hi = most(ys) * 1.05;
  const x = i => L + (runs.length > 1 ? i * (W - L - R) / (runs.length - 1) : (W - L - R) / 2);
  const y = v => T + (H - T - B) * (1 - (v - lo) / (hi - lo || 1));
  const svg = el('svg:svg', {width: W, height: H});
  for (let k = 0; k <= 4; ++k) {
    const v = lo + (hi - lo) * k / 4;
    svg.append(el('svg:line', {x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: '#e4e4e4'}));
    svg.append(el('svg:text', {x: 4, y: y(v) + 4, 'font-size': 11}, ms(v)));
  }
  svg.append(el('svg:polyline', {fill: 'none', stroke: '#4a7bd0', 'stroke-width': 2,
                                 points: runs.map((r, i) => x(i) + ',' + y(r.median)).join(' ')}));
  runs.forEach((r, i) => {
    svg.append(el('svg:line', {x1: x(i), x2: x(i), y1: y(r.min), y2: y(r.p90), stroke: '#9bb5e6', 'stroke-width': 4}));
    const c = el('svg:circle', {cx: x(i), cy: y(r.median), r: 4, fill: '#1d4fa8'});
    c.append(el('svg:title', {}, 'run ' + (i + 1) + ', ' + r.time + ' on ' + r.host + ': median ' + ms(r.median) +
                              ', fastest ' + ms(r.min) + ', p90 ' + ms(r.p90) + ', ' + r.iterations + ' calls'));
    svg.append(c);
  });
  svg.append(el('svg:text', {x: L, y: H - 8, 'font-size': 11}, 'runs, oldest to newest (median call; bar: fastest to p90)'));
  return svg;
}

function memoryChart(points) {
  const W = 720, H = 120, L = 60, B = 24, T = 8, R = 10;
  points = points.filter(p => isFinite(p[0]) && isFinite(p[1]) && p[1] >= 0 && p[1] < 1e18);
  if (points.length < 2) return el('p', {class: 'note'}, 'No memory samples to draw.');
  const t1 = points[points.length - 1][0] || 1;
  const lo = least(points.map(p => p[1])) * 0.98, hi = most(points.map(p => p[1])) * 1.02 || 1;
  const x = t => L + (W - L - R) * t / t1, y = v => T + (H - T - B) * (1 - (v - lo) / (hi - lo || 1));
  const svg = el('svg:svg', {width: W, height: H});
  for (const v of [lo, hi]) svg.append(el('svg:text', {x: 4, y: y(v) + 4, 'font-size': 11}, mib(v)));
  svg.append(el('svg:polyline', {fill: 'none', stroke: '#b0602a', 'stroke-width': 2,
                                 points: points.map(p => x(p[0]) + ',' + y(p[1])).join(' ')}));
  svg.append(el('svg:text', {x: L, y: H - 6, 'font-size': 11}, 'resident memory over the last run (' + ms(t1) + ')'));
  return svg;
}

function table(cols, rows) {
  const t = el('table'), head = el('tr');
  let key = null, up = false;
  const body = el('tbody');
  const draw = () => {
    body.textContent = '';
    const sorted = key === null ? rows : [...rows].sort((a, b) => {
      const u = a[key], v = b[key];
      return (u < v ? -1 : u > v ? 1 : 0) * (up ? 1 : -1);
    });
    for (const r of sorted) body.append(el('tr', {}, ...cols.map(c => {
      const td = el('td', c.left ? {class: 'l'} : {});
      const v = c.show ? c.show(r) : r[c.key];
      td.append(v instanceof Node ? v : document.createTextNode(v === undefined ? '' : String(v)));
      if (c.cls && c.cls(r)) td.className += ' ' + c.cls(r);
      return td;
    })));
  };
  cols.forEach(c => {
    const th = el('th', c.left ? {class: 'l'} : {}, c.title);
    th.onclick = () => { up = key === c.key ? !up : false; key = c.key; draw(); };
    head.append(th);
  });
  t.append(el('thead', {}, head), body);
  draw();
  return t;
}

const bar = f => el('span', {class: 'bar', style: 'width:' + Math.round(Math.max(0, Math.min(1, f)) * 160) + 'px'});

for (const s of D.series) {
  const sec = el('section');
  const last = s.runs[s.runs.length - 1];
  sec.append(el('h2', {}, s.name + ' - ' + s.runs.length + ' run(s)'));
  const r = s.regression;
  sec.append(el('p', {class: r.found ? 'bad' : r.checked ? 'good' : 'note'},
    !r.checked ? 'One run: nothing to compare yet.' :
    (r.found ? 'REGRESSION: ' : 'No regression: ') + 'last median ' + ms(r.last) + ', ' + pct(ratio(r.last, r.baseline)) +
    ' against ' + ms(r.baseline) + ' (the median of the ' + r.baselineRuns + ' run(s) before).'));
  sec.append(chart(s.runs));
  sec.append(el('p', {}, 'Last run: ' + last.time + ' on ' + last.host + ', ' + last.iterations + ' calls, median ' + ms(last.median) +
                         ', arena ' + mib(last.arena) + ', peak RSS ' + mib(last.rss) + '.' +
                         (last.cores ? ' Cores busy: ' + last.coresBusy.toFixed(2) + ' of ' + last.cores +
                                       ' on average, ' + last.coresBusyMax.toFixed(2) + ' at most.' : '')));
  if (last.rssSeries && last.rssSeries.length > 1) sec.append(memoryChart(last.rssSeries));
  sec.append(table([
    {key: 'name', title: 'device', left: true}, {key: 'ops', title: 'ops'},
    {key: 'busy', title: 'busy per call', show: d => ms(d.busy)},
    {key: 'util', title: 'utilisation', left: true, show: d => el('span', {}, bar(d.util), ' ' + (d.util * 100).toFixed(0) + '%')},
    {key: 'arena', title: 'arena', show: d => mib(d.arena)}], last.devices));
  const total = s.ops.reduce((a, o) => a + o.t, 0) || 1;
  const kinds = new Map();
  for (const o of s.ops) {
    if (!kinds.has(o.kind)) kinds.set(o.kind, {kind: o.kind, n: 0, t: 0});
    const k = kinds.get(o.kind); k.n++; k.t += o.t;
  }
  sec.append(el('h3', {}, 'Time per op kind (last run)'));
  sec.append(table([
    {key: 'kind', title: 'kind', left: true}, {key: 'n', title: 'ops'},
    {key: 't', title: 'median per call', show: k => ms(k.t)},
    {key: 'share', title: 'share', left: true, show: k => el('span', {}, bar(k.t / total), ' ' + (k.t / total * 100).toFixed(1) + '%')}],
    [...kinds.values()].map(k => Object.assign(k, {share: k.t / total}))));
  sec.append(el('h3', {}, 'Ops (last run against the one before; click a column to sort)'));
  sec.append(table([
    {key: 'op', title: 'op'}, {key: 'kind', title: 'kind', left: true}, {key: 'location', title: 'source', left: true},
    {key: 't', title: 'last', show: o => ms(o.t)},
    {key: 'share', title: 'share', show: o => (o.t / total * 100).toFixed(1) + '%'},
    {key: 'prev', title: 'before', show: o => o.prev === undefined ? '' : ms(o.prev)},
    {key: 'change', title: 'change', show: o => o.prev ? pct(ratio(o.t, o.prev)) : '',
     cls: o => o.prev && o.t > o.prev * (1 + D.threshold) ? 'bad' : ''}],
    s.ops.map(o => Object.assign(o, {share: o.t / total, change: o.prev ? ratio(o.t, o.prev) : 0}))));
  document.getElementById('plans').append(sec);
}
</script></body></html>
)HTML";

} // namespace

std::string renderHtml(const std::string &file, const std::vector<Series> &series,
                       double threshold) {
  nlohmann::json data = {{"file", file}, {"threshold", threshold},
                         {"series", nlohmann::json::array()}};
  for (const Series &s : series) {
    Regression r = checkRegression(s, threshold);
    nlohmann::json runs = nlohmann::json::array();
    for (const nlohmann::json *run : s.runs)
      runs.push_back(runData(*run));
    data["series"].push_back({{"name", s.name},
                              {"key", s.key},
                              {"regression",
                               {{"checked", r.checked},
                                {"found", r.found},
                                {"last", r.last},
                                {"baseline", r.baseline},
                                {"baselineRuns", r.baselineRuns}}},
                              {"runs", runs},
                              {"ops", opsData(s)}});
  }
  // No "<" inside the script element at all: "</script>" would close it
  // and "<!--<script>" would keep its own end from closing it. JSON has "<"
  // only inside strings, where \u003c is the same character.
  std::string json = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string escaped;
  escaped.reserve(json.size());
  for (char c : json) {
    if (c == '<')
      escaped += "\\u003c";
    else
      escaped += c;
  }
  std::string page = kPage;
  page.replace(page.find("@DATA@"), 6, escaped);
  return page;
}

} // namespace popt::monitor
