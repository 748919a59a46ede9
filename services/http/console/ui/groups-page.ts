/// <reference lib="dom" />
import { api, type Group, type Overview } from "./api.js";
import { lineChart } from "./chart.js";
import { fill, h, table } from "./dom.js";
import { act, chartCapacity, field, push, type PageContext } from "./page.js";

/** Every consumer group with its state, members and total lag. */
export function groupsPage(ctx: PageContext): void {
  const list = h("div", { "data-testid": "groups" });
  ctx.root.append(h("h1", {}, "Consumer groups"), list);
  ctx.poll(async () => {
    const overview = await api<Overview>("GET", "overview");
    fill(
      list,
      table(
        ["Group", "State", "Members", "Lag"],
        overview.groups.map((g) => [h("a", { href: `#/groups/${encodeURIComponent(g.groupId)}` }, g.groupId), g.state, g.members, g.lag]),
        { "data-testid": "groups-table" },
      ),
    );
  });
}

/** One group: members and assignments, offsets and lag, a lag chart, reset and delete. */
export function groupPage(ctx: PageContext, groupId: string): void {
  const path = `groups/${encodeURIComponent(groupId)}`;
  const summary = h("div", { class: "card", "data-testid": "group-summary" });
  const chart = h("div", { class: "card", "data-testid": "lag-chart" });
  const members = h("div", { "data-testid": "members" });
  const offsets = h("div", { "data-testid": "offsets" });
  const topic = h("select", { name: "topic" });
  const to = h("select", { name: "to" }, ...["earliest", "latest", "offset", "timestampMs"].map((v) => h("option", { value: v }, v)));
  const value = h("input", { name: "value", placeholder: "offset or 2026-01-01T00:00" });
  const partitions = h("input", { name: "partitions", placeholder: "all, or 0,2" });
  const reset = h(
    "form",
    {
      class: "inline",
      "data-testid": "reset-offsets",
      onsubmit: (event: Event) => {
        event.preventDefault();
        const body: Record<string, unknown> = {
          topic: topic.value,
          partitions: partitions.value.split(",").map((p) => p.trim()).filter((p) => p !== "").map(Number),
        };
        if (to.value === "earliest" || to.value === "latest") body[to.value] = true;
        else if (to.value === "offset") body.offset = value.value.trim();
        else body.timestampMs = String(Date.parse(value.value));
        void act(ctx, () => api("POST", `${path}/reset`, body), `reset ${groupId}'s offsets on ${topic.value}`);
      },
    },
    field("Topic", topic),
    field("To", to),
    field("Offset / time", value),
    field("Partitions", partitions),
    h("button", { type: "submit" }, "Reset offsets"),
  );
  const remove = h(
    "button",
    {
      class: "danger",
      onclick: async () => {
        if (!confirm(`Delete group ${groupId} and its committed offsets?`)) return;
        if (await act(ctx, () => api("DELETE", path), `deleted group ${groupId}`)) location.hash = "#/groups";
      },
    },
    "Delete group",
  );
  ctx.root.append(
    h("p", { class: "crumbs" }, h("a", { href: "#/groups" }, "Groups"), " / group"),
    h("h1", {}, groupId),
    summary,
    h("h2", {}, "Lag"),
    chart,
    h("h2", {}, "Members"),
    members,
    h("h2", {}, "Offsets"),
    offsets,
    h("h2", {}, "Administration"),
    h("div", { class: "card stack" }, h("p", { class: "muted" }, "Offsets move only while the group has no members."), reset, remove),
  );

  const lagHistory: number[] = [];
  let topics = "";
  ctx.poll(async () => {
    const group = await api<Group>("GET", path);
    const lag = group.offsets.reduce((n, o) => n + Number(o.lag), 0);
    push(lagHistory, lag);
    fill(
      summary,
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "State"),
        h("dd", { "data-testid": "group-state" }, group.state),
        h("dt", {}, "Generation"),
        h("dd", {}, group.generation),
        h("dt", {}, "Assignor"),
        h("dd", {}, group.assignor || "–"),
        h("dt", {}, "Total lag"),
        h("dd", { "data-testid": "total-lag" }, lag),
      ),
    );
    fill(chart, lineChart([{ label: "lag (records)", color: "#dc2626", values: lagHistory }], chartCapacity, (n) => Math.round(n).toString()));
    fill(
      members,
      table(
        ["Member", "Client", "Host", "Assignment"],
        group.members.map((m) => [
          h("code", {}, m.memberId),
          m.clientId || "–",
          m.host || "–",
          m.assignment.map((a) => `${a.topic}-${a.partition}`).join(", ") || "–",
        ]),
        { "data-testid": "members-table" },
      ),
    );
    fill(
      offsets,
      table(
        ["Topic", "Partition", "Committed", "Log end", "Lag", "Member"],
        group.offsets.map((o) => [
          h("a", { href: `#/topics/${encodeURIComponent(o.topic)}` }, o.topic),
          o.partition,
          o.committedOffset === "-1" ? "–" : o.committedOffset,
          o.logEndOffset,
          o.lag,
          o.memberId ? h("code", {}, o.memberId) : "–",
        ]),
        { "data-testid": "offsets-table" },
      ),
    );
    const groupTopics = [...new Set(group.offsets.map((o) => o.topic))].sort();
    if (groupTopics.join("\n") !== topics) {
      topics = groupTopics.join("\n");
      const chosen = topic.value;
      fill(topic, ...groupTopics.map((t) => h("option", { value: t }, t)));
      if (groupTopics.includes(chosen)) topic.value = chosen;
    }
  });
}
