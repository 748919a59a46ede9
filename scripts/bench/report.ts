// Output: the terminal table, the JSON file, and a markdown report with
// hand-written SVG charts.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface Figure {
  readonly id: string;
  readonly phase: string;
  readonly label: string;
  /** "rec/s" (higher is better), "ms" (lower is better), "bytes", "s". */
  readonly unit: "rec/s" | "ms" | "bytes" | "s";
  /** Median over rounds. */
  readonly value: number;
  readonly rounds: number[];
  readonly valueBytes?: number;
  readonly ceiling?: number;
  readonly ceilingLabel?: string;
  readonly peers: Record<string, number | undefined>;
  readonly extra?: Record<string, number>;
  readonly peersExtra?: Record<string, Record<string, number>>;
  readonly note?: string;
}

export interface Target {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  readonly ratio?: number;
  readonly pass: boolean | undefined;
  readonly note?: string;
}

export interface Results {
  readonly startedAt: string;
  readonly options: Record<string, unknown>;
  readonly machine: Record<string, string>;
  readonly peers: Array<{ name: string; label: string; durability: string; short?: string; status: string }>;
  readonly figures: Figure[];
  readonly targets: Target[];
  readonly notes: string[];
  readonly durationS: number;
}

export const fmtNum = (n: number | undefined): string => {
  if (n === undefined || !Number.isFinite(n)) return "–";
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (Math.abs(n) >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  if (Math.abs(n) >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  if (Math.abs(n) >= 10) return n.toFixed(0);
  return n.toFixed(2);
};
export const fmtBytes = (n: number) => (n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(2)} GiB` : `${(n / (1 << 20)).toFixed(0)} MiB`);
export const fmtRatio = (r: number | undefined) => (r === undefined || !Number.isFinite(r) ? "–" : `${r.toFixed(2)}×`);

function fmtValue(f: Figure): string {
  switch (f.unit) {
    case "rec/s":
      return `${fmtNum(f.value)} rec/s`;
    case "ms":
      return `${f.value.toFixed(2)} ms`;
    case "bytes":
      return fmtBytes(f.value);
    case "s":
      return `${f.value.toFixed(2)} s`;
  }
}
const mbps = (f: Figure) => (f.unit === "rec/s" && f.valueBytes ? `${((f.value * f.valueBytes) / 1e6).toFixed(0)}` : "");
/** Ratio of ours to theirs; for ms (lower is better) theirs/ours so that > 1 always means "we are better". */
export function ratio(f: Figure, other: number | undefined): number | undefined {
  if (other === undefined || !Number.isFinite(other) || other === 0) return undefined;
  return f.unit === "ms" ? other / f.value : f.value / other;
}

export function table(results: Results): string {
  const peerNames = results.peers.filter((p) => p.status === "ok").map((p) => p.name);
  const short = (name: string) => results.peers.find((p) => p.name === name)?.short;
  const header = ["phase", "case", "tributary (fsync/1 s)", "MB/s", "ceiling", "×ceil", ...peerNames.flatMap((p) => [`${p} (${short(p)})`, `×${p}`])];
  const rows = results.figures.map((f) => {
    const extra = f.extra && f.unit === "ms" ? ` (p50 ${f.extra.p50.toFixed(2)} p99.9 ${f.extra.p999.toFixed(2)} max ${f.extra.max.toFixed(1)})` : "";
    return [
      f.phase,
      f.label,
      fmtValue(f) + extra,
      mbps(f),
      f.ceiling === undefined ? "" : f.unit === "ms" ? `${f.ceiling.toFixed(2)}` : fmtNum(f.ceiling),
      fmtRatio(ratio(f, f.ceiling)),
      ...peerNames.flatMap((p) => {
        const v = f.peers[p];
        return [v === undefined ? "" : f.unit === "ms" ? `${v.toFixed(2)} ms` : fmtNum(v), fmtRatio(ratio(f, v))];
      }),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  const out = [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
  const withNotes = results.figures.filter((f) => f.note && f.phase === "large");
  if (withNotes.length) out.push("", ...withNotes.map((f) => `  ${f.id}: ${f.note}`));
  out.push("", "Targets (measured vs target):");
  const tw = Math.max(...results.targets.map((t) => t.name.length));
  for (const t of results.targets) {
    const verdict = t.pass === undefined ? "n/a " : t.pass ? "MET " : "MISS";
    out.push(`  ${verdict} ${t.name.padEnd(tw)}  measured ${t.measured}  target ${t.target}${t.note ? `  (${t.note})` : ""}`);
  }
  out.push("", "Peers:");
  for (const p of results.peers) out.push(`  ${p.name}: ${p.status === "ok" ? `${p.label} — durability: ${p.durability}` : p.status}`);
  if (results.notes.length) out.push("", "Notes:", ...results.notes.map((n) => `  - ${n}`));
  return out.join("\n");
}

// ---------------- SVG ----------------

const palette = ["#2b6cb0", "#a0aec0", "#dd6b20", "#c53030", "#38a169", "#805ad5"];
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Grouped bar chart: groups on the x axis, one bar per series. */
export function barChart(title: string, yLabel: string, groups: string[], series: Array<{ name: string; values: Array<number | undefined> }>, log = false, width = 760): string {
  const W = width, H = 360, left = 70, right = 20, top = 40, bottom = 70;
  const plotW = W - left - right, plotH = H - top - bottom;
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== undefined && v > 0));
  const maxV = Math.max(...all, 1);
  const minV = log ? Math.max(Math.min(...all, maxV) / 2, 1e-3) : 0;
  const scale = (v: number) => (log ? (Math.log10(Math.max(v, minV)) - Math.log10(minV)) / (Math.log10(maxV * 1.1) - Math.log10(minV)) : v / (maxV * 1.1));
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`);
  // grid
  const ticks = log
    ? Array.from({ length: 12 }, (_, i) => 10 ** (Math.floor(Math.log10(minV)) + i)).filter((t) => t >= minV && t <= maxV * 1.1)
    : Array.from({ length: 6 }, (_, i) => (maxV * 1.1 * i) / 5);
  for (const t of ticks) {
    const y = top + plotH - scale(t) * plotH;
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e2e8f0"/>`);
    parts.push(`<text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${esc(fmtNum(t))}</text>`);
  }
  parts.push(`<text x="16" y="${top + plotH / 2}" transform="rotate(-90 16 ${top + plotH / 2})" text-anchor="middle">${esc(yLabel)}</text>`);
  const groupW = plotW / groups.length;
  const barW = Math.min(40, (groupW * 0.8) / series.length);
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + (groupW - barW * series.length) / 2;
    series.forEach((s, si) => {
      const v = s.values[gi];
      if (v === undefined || !Number.isFinite(v)) return;
      const h = Math.max(1, scale(v) * plotH);
      const x = x0 + si * barW;
      parts.push(`<rect x="${x.toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${palette[si % palette.length]}"><title>${esc(`${s.name} ${g}: ${fmtNum(v)}`)}</title></rect>`);
      parts.push(`<text x="${(x + barW / 2 - 1).toFixed(1)}" y="${(top + plotH - h - 3).toFixed(1)}" text-anchor="middle" font-size="9">${esc(fmtNum(v))}</text>`);
    });
    parts.push(`<text x="${(left + gi * groupW + groupW / 2).toFixed(1)}" y="${top + plotH + 16}" text-anchor="middle">${esc(g)}</text>`);
  });
  parts.push(`<line x1="${left}" x2="${W - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#4a5568"/>`);
  series.forEach((s, si) => {
    const x = left + si * 170;
    parts.push(`<rect x="${x}" y="${H - 28}" width="12" height="12" fill="${palette[si % palette.length]}"/>`);
    parts.push(`<text x="${x + 16}" y="${H - 18}">${esc(s.name)}</text>`);
  });
  parts.push(`</svg>`);
  return parts.join("\n");
}

// ---------------- markdown ----------------

export async function writeReport(dir: string, results: Results): Promise<void> {
  await mkdir(dir, { recursive: true });
  const byId = new Map(results.figures.map((f) => [f.id, f]));
  const okPeers = results.peers.filter((p) => p.status === "ok");
  const charts: Array<[string, string]> = [];

  for (const size of [100, 1024]) {
    const batches = [1, 100, 1000];
    const ours = batches.map((b) => byId.get(`produce-${b}x${size}`)?.value);
    const ceil = batches.map((b) => byId.get(`produce-${b}x${size}`)?.ceiling);
    if (ours.some((v) => v !== undefined)) {
      const series = [
        { name: "tributary", values: ours },
        { name: "bare grpc-js ceiling", values: ceil },
        ...okPeers.map((p) => ({ name: `${p.name} (1-at-a-time publish)`, values: batches.map((b) => byId.get(`produce-${b}x${size}`)?.peers[p.name]) })),
      ];
      const file = `produce-${size}.svg`;
      await writeFile(join(dir, file), barChart(`Produce throughput by batch size, ${size} B values`, "records/s (log)", batches.map((b) => `batch ${b}`), series, true));
      charts.push([file, `Produce, ${size} B values`]);
    }
  }
  const latency = results.figures.filter((f) => f.phase === "latency");
  if (latency.length) {
    const groups = latency.flatMap((f) => ["p50", "p99", "p999", "max"].map((p) => `${f.label.replace(/ records\/s.*/, "")} ${p === "p999" ? "p99.9" : p}`));
    const series = [
      { name: "tributary", values: latency.flatMap((f) => ["p50", "p99", "p999", "max"].map((p) => f.extra?.[p])) },
      ...okPeers.map((peer) => ({ name: peer.name, values: latency.flatMap((f) => ["p50", "p99", "p999", "max"].map((p) => f.peersExtra?.[peer.name]?.[p])) })),
    ];
    const W = barChart("End-to-end latency (produce → seen by a subscriber)", "ms (log)", groups, series, true, 1100);
    await writeFile(join(dir, "latency.svg"), W);
    charts.push(["latency.svg", "Latency percentiles"]);
  }
  const streamFigs = results.figures.filter((f) => (f.phase === "subscribe" || f.phase === "client") && f.unit === "rec/s");
  if (streamFigs.length) {
    const series = [
      { name: "tributary", values: streamFigs.map((f) => f.value) },
      { name: "ceiling", values: streamFigs.map((f) => f.ceiling) },
      ...okPeers.map((p) => ({ name: p.name, values: streamFigs.map((f) => f.peers[p.name]) })),
    ];
    const short = (f: Figure) =>
      f.id.startsWith("subscribe-") ? `Subscribe ${f.valueBytes} B` : f.id.startsWith("client-send-") ? `send() ${f.valueBytes} B` : f.id === "client-consumer" ? "group Consumer" : f.label.slice(0, 20);
    await writeFile(join(dir, "subscribe-client.svg"), barChart("Subscribe and client throughput", "records/s (log)", streamFigs.map(short), series, true));
    charts.push(["subscribe-client.svg", "Subscribe and clients"]);
  }

  const peerCols = okPeers.map((p) => p.name);
  const md: string[] = [];
  md.push(`# Tributary benchmark report`, "");
  md.push(`Run ${results.startedAt}, ${results.durationS.toFixed(0)} s. Options: \`${JSON.stringify(results.options)}\`.`, "");
  md.push(`Machine: ${Object.entries(results.machine).map(([k, v]) => `${k} ${v}`).join("; ")}.`, "");
  md.push(`Each figure is the median of the rounds shown (rounds interleave the systems). Ratios above 1 mean Tributary is better (for latency: the other's latency divided by ours).`, "");
  md.push("## Targets", "", "| target | measured | required | verdict | note |", "|---|---|---|---|---|");
  for (const t of results.targets) md.push(`| ${t.name} | ${t.measured} | ${t.target} | ${t.pass === undefined ? "n/a" : t.pass ? "met" : "**missed**"} | ${t.note ?? ""} |`);
  md.push("", "## Figures", "");
  md.push(`| phase | case | tributary (fsync interval 1 s unless stated) | MB/s | ceiling | ×ceiling | ${peerCols.map((p) => `${p} (${okPeers.find((x) => x.name === p)?.short}) | ×${p}`).join(" | ")}${peerCols.length ? " |" : ""} rounds |`);
  md.push(`|---|---|---|---|---|---|${peerCols.map(() => "---|---|").join("")}---|`);
  for (const f of results.figures) {
    const extra = f.extra && f.unit === "ms" ? ` (p50 ${f.extra.p50.toFixed(2)}, p99.9 ${f.extra.p999.toFixed(2)}, max ${f.extra.max.toFixed(1)})` : "";
    const peerCells = peerCols.map((p) => {
      const v = f.peers[p];
      const e = f.peersExtra?.[p];
      const shown = v === undefined ? "" : f.unit === "ms" ? `${v.toFixed(2)} ms${e ? ` (p50 ${e.p50.toFixed(2)}, p99.9 ${e.p999.toFixed(2)}, max ${e.max.toFixed(1)})` : ""}` : fmtNum(v);
      return `${shown} | ${fmtRatio(ratio(f, v))}`;
    });
    const rounds = f.rounds.map((r) => (f.unit === "rec/s" ? fmtNum(r) : f.unit === "bytes" ? fmtBytes(r) : r.toFixed(2))).join(", ");
    md.push(`| ${f.phase} | ${f.label}${f.note ? ` — ${f.note}` : ""} | ${fmtValue(f)}${extra} | ${mbps(f)} | ${f.ceiling === undefined ? "" : f.unit === "ms" ? f.ceiling.toFixed(2) : fmtNum(f.ceiling)} | ${fmtRatio(ratio(f, f.ceiling))} | ${peerCells.join(" | ")}${peerCells.length ? " |" : ""} ${rounds} |`);
  }
  md.push("", "## Charts", "");
  for (const [file, title] of charts) md.push(`![${title}](${file})`, "");
  md.push("## Peers", "");
  for (const p of results.peers) md.push(`- **${p.name}**: ${p.status === "ok" ? `${p.label}; durability: ${p.durability}` : p.status}`);
  if (results.notes.length) md.push("", "## Notes", "", ...results.notes.map((n) => `- ${n}`));
  await writeFile(join(dir, "REPORT.md"), `${md.join("\n")}\n`);
  await writeFile(join(dir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
}
