/// <reference lib="dom" />
import { h, fill } from "./dom.js";
import { groupPage, groupsPage } from "./groups-page.js";
import { overviewPage } from "./overview-page.js";
import { describeError, type PageContext } from "./page.js";
import { topicPage } from "./topic-page.js";

/** How often pages poll the JSON API. */
const pollIntervalMs = 1_000;

const banner = h("div", { class: "banner", role: "status", "data-testid": "banner", hidden: true });
const main = h("main", {});
const nav = h("nav", {}, h("a", { href: "#/", class: "brand" }, "Tributary"), h("a", { href: "#/" }, "Overview"), h("a", { href: "#/groups" }, "Groups"));
document.body.append(h("header", {}, nav), banner, main);

let leave: (() => void) | undefined;

function route(): void {
  leave?.();
  const timers: ReturnType<typeof setInterval>[] = [];
  let active = true;
  leave = () => {
    active = false;
    timers.forEach(clearInterval);
  };
  // A note ("deleted topic x") outlives the navigation it caused, once.
  if (banner.dataset.keep) delete banner.dataset.keep;
  else banner.hidden = true;
  const root = h("div", { class: "page" });
  fill(main, root);
  const ctx: PageContext = {
    root,
    poll(tick) {
      let running = false;
      const run = async () => {
        if (running || !active) return;
        running = true;
        try {
          await tick();
        } catch (err) {
          if (active) ctx.showError(err);
        } finally {
          running = false;
        }
      };
      void run();
      timers.push(setInterval(run, pollIntervalMs));
    },
    showError(err) {
      delete banner.dataset.keep;
      banner.className = "banner error";
      banner.textContent = describeError(err);
      banner.hidden = false;
    },
    showNote(text) {
      banner.className = "banner note";
      banner.textContent = text;
      banner.hidden = false;
      banner.dataset.keep = "1";
    },
  };
  const [page, arg] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  for (const link of Array.from(nav.querySelectorAll("a"))) link.classList.toggle("active", link.getAttribute("href") === `#/${page ?? ""}` && !link.classList.contains("brand"));
  if (page === "topics" && arg) topicPage(ctx, arg);
  else if (page === "groups" && arg) groupPage(ctx, arg);
  else if (page === "groups") groupsPage(ctx);
  else overviewPage(ctx);
  document.title = `${arg ?? (page || "Overview")} · Tributary`;
}

window.addEventListener("hashchange", route);
route();
