/// <reference lib="dom" />
import { api, type Records, type Topic } from "./api.js";
import { fill, formatBytes, h, table } from "./dom.js";
import { act, field, type PageContext } from "./page.js";
import { formatBytesAs, fromBase64, type Format } from "./record-format.js";

/** Editable config keys, in protobuf JSON names; cleanupPolicy is a select. */
const numericConfig = ["retentionMs", "retentionBytes", "segmentBytes", "segmentMs", "flushIntervalMs", "maxRecordBytes"] as const;

/** Partitions, config and actions of one topic, and the message browser. */
export function topicPage(ctx: PageContext, name: string): void {
  const partitions = h("div", { "data-testid": "partitions" });
  const config = h("div", { "data-testid": "config" });
  let topic: Topic | undefined;
  let partitionCount = 0;
  const partitionSelects: HTMLSelectElement[] = [];
  const partitionSelect = () => {
    const select = h("select", { name: "partition" });
    partitionSelects.push(select);
    return select;
  };

  // Message browser.
  const browsePartition = partitionSelect();
  const from = h("select", { name: "from" }, h("option", { value: "earliest" }, "earliest"), h("option", { value: "offset" }, "offset"), h("option", { value: "timestamp" }, "timestamp"));
  const position = h("input", { name: "position", placeholder: "offset or 2026-01-01T00:00" });
  const limit = h("input", { name: "limit", type: "number", min: 1, max: 500, value: 20 });
  const format = h("select", { name: "format" }, ...["auto", "text", "json", "hex"].map((f) => h("option", { value: f }, f)));
  const results = h("div", { "data-testid": "records" });
  let lastRecords: Records | undefined;
  const renderRecords = () => {
    if (!lastRecords) return;
    const as = format.value as Format;
    const show = (data: string, fullBytes?: number) =>
      fullBytes === undefined
        ? h("pre", {}, formatBytesAs(fromBase64(data), as))
        : h("div", {}, h("pre", {}, formatBytesAs(fromBase64(data), as)), h("p", { class: "muted" }, `first ${formatBytes(fromBase64(data).length)} of ${formatBytes(fullBytes)}`));
    fill(
      results,
      h("p", { class: "muted" }, `From offset ${lastRecords.offset} · next page at ${lastRecords.nextOffset} · log start ${lastRecords.logStartOffset} · high watermark ${lastRecords.highWatermark}`),
      table(
        ["Offset", "Timestamp", "Key", "Value", "Headers"],
        lastRecords.records.map((r) => [
          r.offset,
          new Date(Number(r.timestampMs)).toISOString(),
          show(r.key, r.truncated?.key),
          show(r.value, r.truncated?.value),
          h("div", {}, ...r.headers.map((x) => h("div", { class: "header" }, h("b", {}, `${x.key}: `), show(x.value)))),
        ]),
        { "data-testid": "records-table", class: "records" },
      ),
    );
  };
  format.addEventListener("change", renderRecords);
  const browse = h(
    "form",
    {
      class: "inline",
      "data-testid": "browse",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const query = new URLSearchParams({ partition: browsePartition.value, limit: limit.value });
        if (from.value === "offset") query.set("offset", position.value.trim());
        if (from.value === "timestamp") query.set("timestampMs", String(Date.parse(position.value)));
        try {
          lastRecords = await api<Records>("GET", `topics/${encodeURIComponent(name)}/records?${query}`);
          renderRecords();
        } catch (err) {
          ctx.showError(err);
        }
      },
    },
    field("Partition", browsePartition),
    field("From", from),
    field("Offset / time", position),
    field("Limit", limit),
    field("Show as", format),
    h("button", { type: "submit" }, "Read"),
  );

  // Actions.
  const total = h("input", { name: "totalCount", type: "number", min: 1 });
  const addPartitions = h(
    "form",
    {
      class: "inline",
      "data-testid": "add-partitions",
      onsubmit: (event: Event) => {
        event.preventDefault();
        void act(ctx, () => api("POST", `topics/${encodeURIComponent(name)}/partitions`, { totalCount: Number(total.value) }), `${name} now has ${total.value} partitions`);
      },
    },
    field("Total partitions", total),
    h("button", { type: "submit" }, "Add partitions"),
  );
  const configInputs = new Map(numericConfig.map((key) => [key, h("input", { name: key, placeholder: "unchanged" })]));
  const cleanup = h("select", { name: "cleanupPolicy" }, h("option", { value: "" }, "unchanged"), h("option", { value: "CLEANUP_POLICY_DELETE" }, "delete"), h("option", { value: "CLEANUP_POLICY_COMPACT" }, "compact"));
  const editConfig = h(
    "form",
    {
      class: "inline",
      "data-testid": "edit-config",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const changes: Record<string, string> = {};
        for (const [key, input] of configInputs) if (input.value.trim() !== "") changes[key] = input.value.trim();
        if (cleanup.value !== "") changes.cleanupPolicy = cleanup.value;
        if (await act(ctx, () => api("PATCH", `topics/${encodeURIComponent(name)}/config`, changes), `updated ${name}'s config`)) {
          for (const input of configInputs.values()) input.value = "";
          cleanup.value = "";
        }
      },
    },
    ...[...configInputs].map(([key, input]) => field(key, input)),
    field("cleanupPolicy", cleanup),
    h("button", { type: "submit" }, "Save config"),
  );
  const deletePartition = partitionSelect();
  const before = h("input", { name: "beforeOffset", placeholder: "offset" });
  const deleteRecords = h(
    "form",
    {
      class: "inline",
      "data-testid": "delete-records",
      onsubmit: (event: Event) => {
        event.preventDefault();
        void act(
          ctx,
          () => api("POST", `topics/${encodeURIComponent(name)}/delete-records`, { partition: Number(deletePartition.value), beforeOffset: before.value.trim() }),
          `deleted records of partition ${deletePartition.value} below ${before.value}`,
        );
      },
    },
    field("Partition", deletePartition),
    field("Below offset", before),
    h("button", { type: "submit", class: "danger" }, "Delete records"),
  );
  const confirmName = h("input", { name: "confirm", placeholder: name });
  const confirmButton = h("button", { type: "submit", class: "danger", disabled: true }, "Delete topic for good");
  confirmName.addEventListener("input", () => (confirmButton.disabled = confirmName.value !== name));
  const deleteTopic = h(
    "form",
    {
      class: "inline",
      "data-testid": "delete-topic",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        if (confirmName.value !== name) return;
        if (await act(ctx, () => api("DELETE", `topics/${encodeURIComponent(name)}`), `deleted topic ${name}`)) location.hash = "#/";
      },
    },
    field(`Type “${name}” to confirm`, confirmName),
    confirmButton,
  );

  ctx.root.append(
    h("p", { class: "crumbs" }, h("a", { href: "#/" }, "Overview"), " / topic"),
    h("h1", {}, name),
    h("h2", {}, "Partitions"),
    partitions,
    h("h2", {}, "Messages"),
    h("div", { class: "card" }, browse, results),
    h("h2", {}, "Configuration"),
    config,
    h("div", { class: "card" }, editConfig),
    h("h2", {}, "Administration"),
    h("div", { class: "card stack" }, addPartitions, deleteRecords, deleteTopic),
  );

  ctx.poll(async () => {
    topic = await api<Topic>("GET", `topics/${encodeURIComponent(name)}`);
    if (topic.partitions.length !== partitionCount) {
      partitionCount = topic.partitions.length;
      for (const select of partitionSelects) {
        const chosen = select.value;
        fill(select, ...topic.partitions.map((p) => h("option", { value: p.partition }, p.partition)));
        if (chosen !== "") select.value = chosen;
      }
      if (total.value === "") total.value = String(partitionCount + 1);
    }
    fill(
      partitions,
      table(
        ["Partition", "Log start", "Log end", "High watermark", "Records", "Size", "Segments"],
        topic.partitions.map((p) => [
          p.partition,
          p.logStartOffset,
          p.logEndOffset,
          p.highWatermark,
          (BigInt(p.logEndOffset) - BigInt(p.logStartOffset)).toString(),
          formatBytes(p.sizeBytes),
          p.segmentCount,
        ]),
        { "data-testid": "partitions-table" },
      ),
    );
    fill(
      config,
      table(
        ["Setting", "Value"],
        Object.entries(topic.config).map(([key, value]) => [key, String(value ?? "")]),
        { "data-testid": "config-table" },
      ),
    );
  });
}
