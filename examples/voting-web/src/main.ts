// The voting page: identity in localStorage, enrolment from a device-signed capture packet, polls
// with their tallies, votes proved in a Web Worker (./worker.ts) and the audit re-verified there.
// It talks only to the zkiris service that served it (the API at its origin, artifacts under the
// page's own path).
import type { Identity } from "@semaphore-protocol/identity";
import { parseCapturePacket } from "@zkiris/device";
import { toJson } from "@zkiris/iris-code";
import {
  createIdentity,
  exportIdentity,
  type GroupInfo,
  type Poll,
  restoreIdentity,
  type Tally,
  ZkirisClient,
} from "@zkiris/sdk";
import { type AuditResult, type Job, STAGES, type Stage, type WorkerEvent } from "./protocol.js";

const IDENTITY_KEY = "zkiris.voting-web.identity";
const ENROLMENTS_KEY = "zkiris.voting-web.enrolments";

/** What the voter keeps of an enrolment: the salt and template are secret, needed for liveness votes. */
interface StoredEnrolment {
  readonly commitment: string;
  readonly groupId: string;
  readonly memberIndex: number;
  readonly salt: string;
  readonly template: unknown;
}

const client = new ZkirisClient({ baseUrl: location.origin });
const $ = <T extends HTMLElement>(selector: string, root: ParentNode = document): T => {
  const found = root.querySelector<T>(selector);
  if (found === null) throw new Error(`No element ${selector}`);
  return found;
};

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

function setStatus(el: HTMLElement, text: string, kind: "ok" | "bad" | "" = ""): void {
  el.textContent = text;
  el.classList.remove("ok", "bad");
  if (kind !== "") el.classList.add(kind);
}

function describeError(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e?.code === undefined ? String(e?.message ?? error) : `${e.code}: ${e.message}`;
}

// --- identity -------------------------------------------------------------------------------

let identity: Identity | undefined;

function loadIdentity(): void {
  const saved = localStorage.getItem(IDENTITY_KEY);
  identity = saved === null ? undefined : restoreIdentity(saved);
  $("#identity-commitment").textContent = identity === undefined ? "none yet" : String(identity.commitment);
  renderEnrolments();
}

function saveIdentity(next: Identity): void {
  localStorage.setItem(IDENTITY_KEY, exportIdentity(next));
  loadIdentity();
}

$("#create-identity").addEventListener("click", () => saveIdentity(createIdentity()));
$("#export-identity").addEventListener("click", () => {
  $<HTMLTextAreaElement>("#identity-text").value = localStorage.getItem(IDENTITY_KEY) ?? "";
});
$("#import-identity").addEventListener("click", () => {
  try {
    saveIdentity(restoreIdentity($<HTMLTextAreaElement>("#identity-text").value.trim()));
  } catch (error) {
    alert(describeError(error));
  }
});

function enrolments(): StoredEnrolment[] {
  return JSON.parse(localStorage.getItem(ENROLMENTS_KEY) ?? "[]") as StoredEnrolment[];
}

function enrolmentIn(groupId: string): StoredEnrolment | undefined {
  const commitment = identity === undefined ? undefined : String(identity.commitment);
  return enrolments().find((e) => e.commitment === commitment && e.groupId === groupId);
}

function renderEnrolments(): void {
  const commitment = identity === undefined ? undefined : String(identity.commitment);
  const list = $("#enrolments");
  list.replaceChildren(
    ...enrolments()
      .filter((e) => e.commitment === commitment)
      .map((e) => h("li", {}, `enrolled in '${e.groupId}' as member ${e.memberIndex}`)),
  );
}

// --- enrolment ------------------------------------------------------------------------------

let groups: GroupInfo[] = [];

async function readFile(input: HTMLInputElement): Promise<string> {
  const file = input.files?.[0];
  if (file === undefined) throw new Error("Pick the capture packet file the device wrote");
  return file.text();
}

$("#get-challenge").addEventListener("click", async () => {
  const status = $("#enrol-status");
  try {
    const { challenge, expiresAt } = await client.requestChallenge();
    $("#enrol-challenge").textContent = String(challenge);
    setStatus(status, `Challenge issued; valid until ${new Date(expiresAt).toLocaleTimeString()}`);
  } catch (error) {
    setStatus(status, describeError(error), "bad");
  }
});

$("#enrol-button").addEventListener("click", async () => {
  const status = $("#enrol-status");
  const groupId = $<HTMLSelectElement>("#enrol-group").value;
  try {
    if (identity === undefined) throw new Error("Create or import an identity first");
    const packetText = await readFile($<HTMLInputElement>("#enrol-packet"));
    const capture = parseCapturePacket(packetText);
    setStatus(status, `Enrolling in '${groupId}'…`);
    const enrolment = await client.enrol({ groupId, capture, member: identity });
    const stored: StoredEnrolment = {
      commitment: String(identity.commitment),
      groupId,
      memberIndex: enrolment.memberIndex,
      salt: String(enrolment.salt),
      template: toJson(capture.probe),
    };
    localStorage.setItem(ENROLMENTS_KEY, JSON.stringify([...enrolments(), stored]));
    renderEnrolments();
    setStatus(status, `Enrolled in '${groupId}' as member ${enrolment.memberIndex}`, "ok");
    await refreshPolls();
  } catch (error) {
    setStatus(status, `Enrolment refused: ${describeError(error)}`, "bad");
  }
});

// --- the worker -----------------------------------------------------------------------------

let busy = false;

function resetStages(title: string): void {
  setStatus($("#progress-title"), title);
  for (const li of Array.from(document.querySelectorAll<HTMLElement>("#stages li"))) {
    li.className = "";
    $(".t", li).textContent = "";
  }
  $("#artifact-log").textContent = "";
}

/** Runs one job in a fresh worker (terminated at its end, with snarkjs's threads) and resolves with its last event. */
function runInWorker(job: Job, onEvent: (event: WorkerEvent) => void = () => {}): Promise<WorkerEvent> {
  busy = true;
  const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  const started = performance.now();
  let current: string | undefined;
  return new Promise((resolve) => {
    worker.onmessage = (message: MessageEvent<WorkerEvent>) => {
      const event = message.data;
      onEvent(event);
      if (event.type === "stage") {
        const index = STAGES.indexOf(event.stage);
        for (const li of Array.from(document.querySelectorAll<HTMLElement>("#stages li"))) {
          const i = STAGES.indexOf(li.dataset.stage as (typeof STAGES)[number]);
          const together = event.detail !== undefined && li.dataset.stage === "proving";
          li.className = i < index ? "done" : i === index || together ? "active" : "";
        }
        current = event.stage;
        setStatus(
          $("#progress-title"),
          `${job.kind}: ${event.stage}${event.detail ? ` (${event.detail})` : ""}…`,
        );
      } else if (event.type === "artifact") {
        const log = $("#artifact-log");
        log.textContent = `${log.textContent}${log.textContent ? ", " : "artifacts checked: "}${event.file}`;
      } else if (event.type === "audit-progress") {
        setStatus($("#progress-title"), `audit: verified ${event.checked} of ${event.total} proofs…`);
      } else {
        worker.terminate();
        busy = false;
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        if (event.type === "voted") {
          for (const li of Array.from(document.querySelectorAll<HTMLElement>("#stages li"))) {
            li.className = "done";
            const stage = li.dataset.stage!;
            const together = event.timings["witness+proving"];
            if (together !== undefined && stage === "witness") {
              $(".t", li).textContent = "(with the proof: one snarkjs call)";
              continue;
            }
            const ms =
              stage === "proving" && together !== undefined ? together : event.timings[stage as Stage];
            $(".t", li).textContent = ms === undefined ? "" : `${(ms / 1000).toFixed(1)} s`;
          }
          setStatus($("#progress-title"), `${job.kind}: accepted in ${seconds} s`, "ok");
        } else if (event.type === "audited") {
          const total = event.result.votes.length;
          const verified = event.result.votes.filter((v) => v.verdict === "VERIFIED").length;
          setStatus(
            $("#progress-title"),
            `audit: ${verified} of ${total} vote${total === 1 ? "" : "s"} verified in ${seconds} s`,
            verified === total ? "ok" : "bad",
          );
        } else if (event.type === "failed") {
          setStatus(
            $("#progress-title"),
            `${job.kind}: refused at ${current ?? "start"}: ${event.code}`,
            "bad",
          );
        }
        resolve(event);
      }
    };
    worker.onerror = (error) => {
      worker.terminate();
      busy = false;
      const event: WorkerEvent = { type: "failed", code: "WORKER_ERROR", message: error.message };
      onEvent(event);
      resolve(event);
    };
    worker.postMessage({ job, origin: location.origin, webBase: new URL("./", location.href).href });
  });
}

// --- polls ----------------------------------------------------------------------------------

function pollState(poll: Poll): "open" | "closed" | "not yet open" {
  const now = Date.now();
  return now < poll.opensAt ? "not yet open" : now >= poll.closesAt ? "closed" : "open";
}

function tallyBars(tally: Tally): HTMLElement {
  const max = Math.max(1, ...tally.counts);
  return h(
    "div",
    { class: "tally" },
    ...tally.options.map((option, i) => {
      const fill = h("div", { class: "fill" });
      fill.style.width = `${(100 * tally.counts[i]!) / max}%`;
      return h(
        "div",
        { class: "bar", "data-option": String(i) },
        h("span", {}, option),
        h("div", {}, fill),
        h("span", { class: "count" }, String(tally.counts[i])),
      );
    }),
    h(
      "p",
      { class: "hint total" },
      `${tally.total} vote${tally.total === 1 ? "" : "s"} counted by the server`,
    ),
  );
}

function auditTable(result: AuditResult): HTMLElement {
  const verified = result.votes.filter((v) => v.verdict === "VERIFIED").length;
  const agrees = result.counts.every((c, i) => c === result.serverCounts[i]);
  return h(
    "div",
    { class: "audit" },
    h(
      "p",
      { class: `verdict ${verified === result.votes.length && agrees ? "ok" : "bad"} audit-summary` },
      `${verified} of ${result.votes.length} votes verified in this page; recount ${result.options
        .map((o, i) => `${o} ${result.counts[i]}`)
        .join(", ")}; ${agrees ? "matches" : "DIFFERS FROM"} the server's tally`,
    ),
    h(
      "table",
      {},
      h(
        "tr",
        {},
        h("th", {}, "seq"),
        h("th", {}, "option"),
        h("th", {}, "nullifier"),
        h("th", {}, "verdict"),
      ),
      ...result.votes.map((v) =>
        h(
          "tr",
          {},
          h("td", {}, String(v.seq)),
          h("td", {}, result.options[v.option] ?? String(v.option)),
          h("td", {}, h("code", {}, `${v.nullifier.slice(0, 14)}…`)),
          h("td", { class: `verdict ${v.verdict === "VERIFIED" ? "ok" : "bad"}` }, v.verdict),
        ),
      ),
    ),
  );
}

function renderPoll(poll: Poll, tally: Tally, group: GroupInfo | undefined): HTMLElement {
  const state = pollState(poll);
  const status = h("p", { class: "status vote-status" });
  const options = h(
    "div",
    { class: "options" },
    ...poll.options.map((option, i) =>
      h(
        "label",
        {},
        h("input", {
          type: "radio",
          name: `option-${poll.id}`,
          value: String(i),
          ...(i === 0 ? { checked: "" } : {}),
        }),
        ` ${option} `,
      ),
    ),
  );
  const vote = h(
    "button",
    { type: "button", class: "vote" },
    poll.requireLiveness ? "Vote (liveness-bound)" : "Vote",
  );
  const audit = h("button", { type: "button", class: "audit-button" }, "Audit in this page");
  const auditOut = h("div", { class: "audit-result" });
  const left = h("div", {}, options);
  let packetInput: HTMLInputElement | undefined;
  if (poll.requireLiveness) {
    const challengeOut = h("code", { class: "poll-challenge" }, "–");
    const getChallenge = h(
      "button",
      { type: "button", class: "get-poll-challenge small" },
      "Get poll challenge",
    );
    packetInput = h("input", { type: "file", accept: ".json,application/json", class: "poll-packet" });
    getChallenge.addEventListener("click", async () => {
      try {
        const c = await client.pollChallenge(poll.id);
        challengeOut.textContent = String(c.captureChallenge);
        setStatus(status, "Have the device sign a fresh capture for this challenge");
      } catch (error) {
        setStatus(status, describeError(error), "bad");
      }
    });
    left.append(
      h("p", {}, "Capture challenge for this poll: ", challengeOut, getChallenge),
      h("label", {}, "Fresh capture packet ", packetInput),
    );
  }
  left.append(h("div", { class: "row" }, vote, audit), status);

  vote.addEventListener("click", async () => {
    if (busy) return setStatus(status, "The worker is busy with another proof", "bad");
    if (identity === undefined) return setStatus(status, "Create or import an identity first", "bad");
    const option = Number(
      document.querySelector<HTMLInputElement>(`input[name="option-${poll.id}"]:checked`)?.value ?? 0,
    );
    const identityText = exportIdentity(identity);
    let job: Job;
    if (poll.requireLiveness) {
      const enrolment = enrolmentIn(poll.groupId);
      if (enrolment === undefined)
        return setStatus(status, `Enrol in '${poll.groupId}' first (this browser holds no template)`, "bad");
      let capture: string;
      try {
        capture = await readFile(packetInput!);
      } catch (error) {
        return setStatus(status, describeError(error), "bad");
      }
      job = {
        kind: "liveness-vote",
        pollId: poll.id,
        identity: identityText,
        option,
        template: enrolment.template,
        salt: enrolment.salt,
        capture,
      };
    } else {
      job = { kind: "vote", pollId: poll.id, identity: identityText, option };
    }
    resetStages(`${job.kind} in '${poll.id}'`);
    setStatus(status, "Proving in the worker…");
    const end = await runInWorker(job);
    if (end.type === "voted") {
      setStatus(
        status,
        `Vote accepted (#${end.receipt.seq}, option ${poll.options[end.receipt.option]})`,
        "ok",
      );
      await refreshPolls();
    } else if (end.type === "failed") {
      setStatus(status, `Vote refused: ${end.code}: ${end.message}`, "bad");
    }
  });

  audit.addEventListener("click", async () => {
    if (busy) return setStatus(status, "The worker is busy with another proof", "bad");
    resetStages(`audit of '${poll.id}'`);
    auditOut.replaceChildren(h("p", { class: "hint" }, "Re-verifying every proof in the worker…"));
    const end = await runInWorker({ kind: "audit", pollId: poll.id });
    if (end.type === "audited") {
      auditOut.replaceChildren(auditTable(end.result));
      await refreshPolls();
    } else if (end.type === "failed")
      auditOut.replaceChildren(h("p", { class: "verdict bad" }, `${end.code}: ${end.message}`));
  });

  const closes = new Date(poll.closesAt).toLocaleString();
  return h(
    "article",
    { class: "poll", "data-poll": poll.id },
    h(
      "h3",
      {},
      poll.id,
      h("span", { class: "badge" }, state),
      h("span", { class: "badge" }, `group ${poll.groupId}${group ? ` (${group.kind}, ${group.size})` : ""}`),
      ...(poll.requireLiveness ? [h("span", { class: "badge live" }, "liveness required")] : []),
    ),
    left,
    h("div", {}, tallyBars(tally), h("p", { class: "hint" }, `closes ${closes}`), auditOut),
  );
}

async function refreshPolls(): Promise<void> {
  const [polls, nextGroups] = await Promise.all([client.polls(), client.groups()]);
  groups = nextGroups;
  const select = $<HTMLSelectElement>("#enrol-group");
  const chosen = select.value;
  select.replaceChildren(...groups.map((g) => h("option", { value: g.id }, `${g.id} (${g.kind})`)));
  if (groups.some((g) => g.id === chosen)) select.value = chosen;
  const tallies = await Promise.all(polls.map((p) => client.tally(p.id)));
  const container = $("#polls");
  // Keep the audit results and statuses of polls already shown.
  const previous = new Map(
    Array.from(container.querySelectorAll<HTMLElement>("article.poll")).map((a) => [a.dataset.poll!, a]),
  );
  container.replaceChildren(
    ...polls.map((poll, i) => {
      const next = renderPoll(
        poll,
        tallies[i]!,
        groups.find((g) => g.id === poll.groupId),
      );
      const old = previous.get(poll.id);
      if (old !== undefined) {
        $(".audit-result", next).replaceChildren(...Array.from($(".audit-result", old).childNodes));
        const oldStatus = $(".vote-status", old);
        const status = $(".vote-status", next);
        status.textContent = oldStatus.textContent;
        status.className = oldStatus.className;
        const oldChallenge = old.querySelector(".poll-challenge");
        if (oldChallenge !== null) $(".poll-challenge", next).textContent = oldChallenge.textContent;
      }
      return next;
    }),
  );
  if (polls.length === 0) container.append(h("p", { class: "hint" }, "No polls yet."));
}

$("#refresh").addEventListener("click", () => void refreshPolls());

loadIdentity();
refreshPolls().then(
  () => document.body.setAttribute("data-ready", "true"),
  (error) => setStatus($("#enrol-status"), `The service did not answer: ${describeError(error)}`, "bad"),
);
