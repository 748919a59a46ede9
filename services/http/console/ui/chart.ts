/// <reference lib="dom" />

const svgNs = "http://www.w3.org/2000/svg";
const width = 1000;
const height = 180;
const pad = { left: 48, right: 12, top: 10, bottom: 24 };

/** One series of a line chart: its label, color and the latest points. */
export interface Series {
  readonly label: string;
  readonly color: string;
  readonly values: readonly number[];
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  return el;
}

/**
 * Draws a line chart of the last `capacity` samples into a new SVG: a y axis
 * from 0 to the maximum, one polyline per series, a legend with the latest
 * values. `data-peak` holds the greatest value shown.
 */
export function lineChart(series: readonly Series[], capacity: number, format: (n: number) => string): SVGSVGElement {
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img" });
  const peak = Math.max(0, ...series.flatMap((s) => s.values));
  const max = Math.max(1, peak);
  root.dataset.peak = String(peak);
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  for (const fraction of [0, 0.5, 1]) {
    const y = pad.top + plotH * (1 - fraction);
    root.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y, y2: y, class: "grid" }));
    const label = svg("text", { x: pad.left - 6, y: y + 4, class: "axis", "text-anchor": "end" });
    label.textContent = format(max * fraction);
    root.append(label);
  }
  let legendX = pad.left;
  for (const s of series) {
    const step = plotW / Math.max(1, capacity - 1);
    const offset = capacity - s.values.length;
    const points = s.values.map((v, i) => `${(pad.left + (offset + i) * step).toFixed(1)},${(pad.top + plotH * (1 - v / max)).toFixed(1)}`);
    if (points.length > 0) root.append(svg("polyline", { points: points.join(" "), fill: "none", stroke: s.color, "stroke-width": 2 }));
    const legend = svg("text", { x: legendX, y: height - 4, class: "legend", fill: s.color });
    const latest = s.values.length === 0 ? "–" : format(s.values[s.values.length - 1]);
    legend.textContent = `${s.label}: ${latest}`;
    root.append(legend);
    legendX += 190;
  }
  return root;
}
