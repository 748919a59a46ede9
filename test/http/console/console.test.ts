/// <reference lib="dom" />
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { Consumer } from "../../../clients/ts/index.js";
import { bytes, startTestBroker, type TestBroker } from "../../helpers/test-broker.js";
import { launchChromium } from "./browser.js";

/** Where the test saves a screenshot of each page (gitignored). */
const screenshots = fileURLToPath(new URL("./screenshots/", import.meta.url));

describe("web console", () => {
  let t: TestBroker;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;
  let page: Page;
  let base: string;
  const errors: string[] = [];

  beforeAll(async () => {
    await mkdir(screenshots, { recursive: true });
    t = await startTestBroker({ http: "127.0.0.1:0" });
    base = `http://127.0.0.1:${t.broker.httpPort}`;
    chromium = await launchChromium();
    browser = chromium.browser;
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(10_000);
    page.on("pageerror", (err) => errors.push(err.message));
  });
  afterAll(async () => {
    await chromium?.close();
    await t?.close();
  });

  const row = (table: string, text: string) => page.locator(`[data-testid=${table}] tbody tr`, { hasText: text });

  it("creates a topic, shows its records and throughput, browses a record, and follows a group's lag to zero", { timeout: 60_000 }, async () => {
    // Overview: broker info, then a topic created through the form.
    await page.goto(`${base}/`);
    await page.locator("[data-testid=broker]").getByText(`127.0.0.1:${t.broker.port}`).waitFor();
    await page.fill("[data-testid=create-topic] input[name=name]", "orders");
    await page.fill("[data-testid=create-topic] input[name=partitions]", "3");
    await page.click("[data-testid=create-topic] button");
    await page.getByTestId("banner").getByText("created topic orders").waitFor();
    expect((await t.admin.describeTopic({ name: "orders" })).topic!.partitions).toHaveLength(3);
    await row("topics-table", "orders").locator("td").nth(1).getByText("3", { exact: true }).waitFor();

    // Produce through gRPC; the overview shows the records and a live inbound rate.
    const user = JSON.stringify({ user: "ada", amount: 42 });
    await t.produce.produce({
      topic: "orders",
      partition: 0,
      records: [
        { key: bytes("user-1"), value: bytes(user), headers: [{ key: "source", value: bytes("checkout") }] },
        ...Array.from({ length: 29 }, (_, i) => ({ key: bytes(`user-${i + 2}`), value: bytes(`plain text ${i}`) })),
      ],
    });
    await row("topics-table", "orders").locator("td").nth(2).getByText("30", { exact: true }).waitFor();
    // The inbound rate shows for one poll interval; the chart keeps it for a minute.
    await page.waitForFunction(() => Number(document.querySelector<SVGElement>("[data-testid=throughput] svg")?.dataset.peak) > 0);
    await page.screenshot({ path: `${screenshots}overview.png`, fullPage: true });

    // Topic page: partitions, then the message browser reads record 0 as pretty JSON, and as hex.
    await row("topics-table", "orders").getByRole("link", { name: "orders" }).click();
    await row("partitions-table", "30").first().waitFor();
    await page.selectOption("[data-testid=browse] select[name=from]", "offset");
    await page.fill("[data-testid=browse] input[name=position]", "0");
    await page.fill("[data-testid=browse] input[name=limit]", "5");
    await page.click("[data-testid=browse] button");
    const first = row("records-table", "user-1");
    await first.waitFor();
    expect(await first.locator("td").nth(3).innerText()).toBe(JSON.stringify(JSON.parse(user), null, 2));
    expect(await first.locator("td").nth(4).innerText()).toMatch(/^source:\s*checkout$/);
    expect(await page.locator("[data-testid=records-table] tbody tr").count()).toBe(5);
    await page.screenshot({ path: `${screenshots}topic.png`, fullPage: true });
    await page.selectOption("[data-testid=browse] select[name=format]", "hex");
    await row("records-table", "75 73 65 72 2d 31").waitFor(); // "user-1"

    // A broker error surfaces with its code and reason.
    await page.selectOption("[data-testid=browse] select[name=format]", "auto");
    await page.fill("[data-testid=browse] input[name=position]", "999");
    await page.click("[data-testid=browse] button");
    await page.getByTestId("banner").getByText("OUT_OF_RANGE OFFSET_OUT_OF_RANGE").waitFor();

    // A group with lag: reset to earliest through the UI, then a member reads and commits.
    await t.admin.resetGroupOffsets({ groupId: "billing", topic: "orders", to: { case: "latest", value: true } });
    await page.goto(`${base}/console/#/groups`);
    await row("groups-table", "billing").getByRole("link").click();
    await page.getByTestId("total-lag").getByText("0", { exact: true }).waitFor();
    await page.selectOption("[data-testid=reset-offsets] select[name=to]", "earliest");
    await page.click("[data-testid=reset-offsets] button");
    await page.getByTestId("total-lag").getByText("30", { exact: true }).waitFor();
    await row("offsets-table", "orders").first().waitFor();

    const consumer = new Consumer({ broker: t.broker.address, groupId: "billing", topics: ["orders"], clientId: "console-test", autoCommitIntervalMs: 0 });
    let consumed = 0;
    const loop = (async () => {
      for await (const _ of consumer) consumed++;
    })();
    try {
      await row("members-table", "console-test").waitFor();
      await page.getByTestId("total-lag").getByText("0", { exact: true }).waitFor({ timeout: 15_000 });
      expect(consumed).toBe(30);
      // The lag chart has drawn its line (30 falling to 0).
      expect(await page.locator("[data-testid=lag-chart] polyline").count()).toBe(1);
      await page.screenshot({ path: `${screenshots}group.png`, fullPage: true });
    } finally {
      await consumer.close();
      await loop;
    }

    // Delete the topic, with its confirmation.
    await page.goto(`${base}/console/#/topics/orders`);
    const confirm = page.locator("[data-testid=delete-topic] button");
    expect(await confirm.isDisabled()).toBe(true);
    await page.fill("[data-testid=delete-topic] input[name=confirm]", "orders");
    await confirm.click();
    await page.getByTestId("banner").getByText("deleted topic orders").waitFor();
    await expect(t.admin.describeTopic({ name: "orders" })).rejects.toMatchObject({ code: 5 });
    expect(errors).toEqual([]);
  });
});
