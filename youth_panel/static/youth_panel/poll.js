// Live poll pages: a WebSocket to /ws/p/<code>/ brings every change as one state frame.
// The pages work without this script (a form post and a "Vernieuw" link). With it, a phone
// sends its vote over the socket and shows the acknowledgement in place, and every screen
// follows the presenter without reloading. When the socket cannot connect, the script fetches
// the snapshot (stand.json) every few seconds and votes go as plain form posts.
// Plain script, no build step. All interface text comes translated from the page.
(() => {
  "use strict";

  const textNode = document.getElementById("poll-texts");
  const texts = textNode ? JSON.parse(textNode.textContent) : {};
  const lang = document.documentElement.lang || "nl";

  const format = (template, values) =>
    String(template || "").replace(/\{(\w+)\}/g, (match, key) =>
      key in values ? String(values[key]) : match,
    );
  const number = (value) => Number(value).toLocaleString(lang);
  const plural = (one, other, count) =>
    format(count === 1 ? one : other, { count: number(count) });

  // A small element builder; text always goes in as text, never as markup.
  function el(tag, attrs = {}, children = []) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    for (const child of children) {
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function svgBar(percent) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    for (const [name, value] of Object.entries({
      class: "poll-bar", "aria-hidden": "true", focusable: "false", viewBox: "0 0 100 1", preserveAspectRatio: "none",
    })) svg.setAttribute(name, value);
    const rect = document.createElementNS(ns, "rect");
    rect.setAttribute("height", "1");
    rect.setAttribute("width", String(percent));
    svg.append(rect);
    return svg;
  }

  function newVoteId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID().replace(/-/g, "");
    }
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  // --- the connection --------------------------------------------------------------------------

  // One live connection per page. `onState` gets every state (socket frame or fetched
  // snapshot), never an older one than it has seen; `onReply` gets acks and errors.
  // Every state frame is the whole state with its version, so a frame after a gap is itself
  // the resync; after a reconnect the server sends a fresh snapshot first.
  function connect(root, onState, onReply) {
    const socketUrl = `${window.location.protocol === "https:" ? "wss" : "ws"}://${window.location.host}${root.dataset.pollSocket}`;
    const snapshotUrl = root.dataset.pollSnapshot;
    const POLL_MS = 3000;
    const IDLE_MS = 30000;
    let socket = null;
    let open = false;
    let attempt = 0;
    let version = -1;
    let lastHeard = Date.now();
    let pollTimer = null;
    let stopped = false;

    function deliver(state) {
      if (typeof state.version === "number") {
        if (state.version < version) return; // an older state overtaken by a newer one
        version = state.version;
      }
      onState(state);
    }

    // Fallback: fetch the snapshot while the socket is down (never two at once; not hidden).
    async function poll() {
      pollTimer = null;
      if (open || stopped) return;
      if (!document.hidden) {
        try {
          const response = await fetch(snapshotUrl, {
            cache: "no-store",
            credentials: "same-origin",
            headers: { Accept: "application/json" },
          });
          if (response.ok && !open) deliver(await response.json());
        } catch (error) {
          // Network gone for a moment: the next round tries again.
        }
      }
      if (!open && !stopped) pollTimer = window.setTimeout(poll, POLL_MS);
    }

    function startPolling() {
      if (pollTimer === null) pollTimer = window.setTimeout(poll, POLL_MS);
    }

    function open_() {
      if (stopped || !("WebSocket" in window)) {
        startPolling();
        return;
      }
      try {
        socket = new WebSocket(socketUrl);
      } catch (error) {
        retry();
        return;
      }
      socket.addEventListener("open", () => {
        open = true;
        document.documentElement.dataset.pollLive = "open";
        lastHeard = Date.now();
        if (pollTimer !== null) {
          window.clearTimeout(pollTimer);
          pollTimer = null;
        }
      });
      socket.addEventListener("message", (event) => {
        lastHeard = Date.now();
        let message;
        try {
          message = JSON.parse(event.data);
        } catch (error) {
          return;
        }
        if (message.type === "state") {
          attempt = 0; // a working connection: the next drop starts from a short wait again
          deliver(message);
        } else {
          onReply(message);
        }
      });
      socket.addEventListener("close", () => {
        const wasOpen = open;
        open = false;
        document.documentElement.dataset.pollLive = "closed";
        socket = null;
        if (wasOpen) onReply({ type: "closed" });
        retry();
      });
    }

    // Exponential backoff with full jitter, so a room of phones does not reconnect at once.
    function retry() {
      if (stopped) return;
      startPolling();
      const ceiling = Math.min(15000, 500 * 2 ** attempt);
      attempt = Math.min(attempt + 1, 10);
      window.setTimeout(open_, Math.random() * ceiling);
    }

    // A quiet socket may be dead without knowing it: ask for a snapshot, then give up on it.
    window.setInterval(() => {
      if (!open || !socket) return;
      const quiet = Date.now() - lastHeard;
      if (quiet > 2 * IDLE_MS) socket.close();
      else if (quiet > IDLE_MS) socket.send(JSON.stringify({ type: "snapshot" }));
    }, IDLE_MS / 2);

    window.addEventListener("pagehide", () => {
      stopped = true;
      if (socket) socket.close();
    });

    open_();
    return {
      isOpen: () => open && socket !== null && socket.readyState === WebSocket.OPEN,
      send(message) {
        if (!this.isOpen()) return false;
        socket.send(JSON.stringify(message));
        return true;
      },
    };
  }

  // Fetch this page again and put the fresh copies of `selectors` in place of the current
  // ones, without leaving the page. Returns the new elements (an empty list when it failed).
  async function refresh(selectors) {
    try {
      const response = await fetch(window.location.pathname, {
        cache: "no-store",
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
      if (!response.ok) return [];
      const parsed = new DOMParser().parseFromString(await response.text(), "text/html");
      const nodes = [];
      for (const selector of selectors) {
        const current = document.querySelector(selector);
        const fresh = parsed.querySelector(selector);
        if (!current || !fresh) return nodes;
        const node = document.importNode(fresh, true);
        current.replaceWith(node);
        nodes.push(node);
      }
      if (parsed.title) document.title = parsed.title;
      return nodes;
    } catch (error) {
      return [];
    }
  }

  // Run `task` now, or once more after the running one, never two at once.
  function serial(task) {
    let running = false;
    let again = false;
    return async function run() {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          await task();
        } while (again);
      } finally {
        running = false;
      }
    };
  }

  // --- the results, built like youth_panel/_tally.html ---------------------------------------

  function table(caption, headings, rows) {
    const head = el("tr", {}, headings.map(([text, cls]) =>
      el("th", cls ? { scope: "col", class: cls } : { scope: "col" }, [text])));
    return el("div", { class: "table-wrap" }, [
      el("table", { class: "data-table poll-tally" }, [
        el("caption", {}, [caption]),
        el("thead", {}, [head]),
        el("tbody", {}, rows),
      ]),
    ]);
  }

  function tallyNode(tally) {
    const votes = plural(texts.votesOne, texts.votesOther, tally.total);
    if (tally.kind === "words") {
      if (!tally.words.length) return el("p", {}, [texts.noWords]);
      return el("ul", { class: "poll-words" }, tally.words.map((word) =>
        el("li", {}, [
          el("span", { class: "poll-word" }, [el("bdi", {}, [word.text])]),
          " ",
          el("span", { class: "poll-word-count" }, [plural(texts.timesOne, texts.timesOther, word.count)]),
        ])));
    }
    if (tally.kind === "ranking") {
      const rows = tally.options.map((row) =>
        el("tr", {}, [
          el("th", { scope: "row", dir: "auto" }, [row.label]),
          el("td", { class: "num-col" }, [row.average_rank === null ? "-" : number(row.average_rank)]),
        ]));
      return table(`${votes}. ${texts.rankHint}`, [[texts.option], [texts.rank, "num-col"]], rows);
    }
    const rows = tally.options.map((row) => {
      const label = el("span", { class: "poll-label" }, [el("bdi", {}, [row.label])]);
      if (row.emoji) label.prepend(el("span", { class: "option-emoji", "aria-hidden": "true" }, [row.emoji]), " ");
      // An SVG bar: its width is an attribute, not an inline style the CSP would block.
      const bar = svgBar(row.percent);
      return el("tr", {}, [
        el("th", { scope: "row" }, [label, bar]),
        el("td", { class: "num-col" }, [number(row.count)]),
        el("td", { class: "num-col" }, [`${number(row.percent)}%`]),
      ]);
    });
    return table(votes, [[texts.option], [texts.votes, "num-col"], [texts.percent, "num-col"]], rows);
  }

  // Same question, same options: change the numbers and bar widths in place, so bars move.
  function updateInPlace(container, tally) {
    const rows = container.querySelectorAll("tbody tr");
    if (!tally.options || tally.kind === "ranking" || rows.length !== tally.options.length) return false;
    tally.options.forEach((row, index) => {
      const cells = rows[index].querySelectorAll("td");
      const bar = rows[index].querySelector(".poll-bar rect");
      if (cells.length < 2 || !bar) return;
      cells[0].textContent = number(row.count);
      cells[1].textContent = `${number(row.percent)}%`;
      bar.setAttribute("width", String(row.percent));
    });
    const caption = container.querySelector("caption");
    if (caption) caption.textContent = plural(texts.votesOne, texts.votesOther, tally.total);
    return true;
  }

  function summary(tally) {
    if (!tally || !tally.options) return "";
    if (tally.kind === "ranking") return tally.options.map((row) => row.label).join(", ");
    return tally.options.map((row) => `${row.label}: ${number(row.count)}`).join(", ");
  }

  // Which page layout a state needs: the status, the question on screen, voting, results.
  function layoutKey(state) {
    const question = state.status === "running" && state.question ? state.question.id : "";
    return [
      state.status,
      question,
      question && state.voting_open ? "1" : "0",
      state.results_visible ? "1" : "0",
    ].join("|");
  }

  function shownTally(state) {
    return state.status === "running" && state.results_visible && state.tally ? state.tally : null;
  }

  // --- presenter screen ------------------------------------------------------------------------

  const PRESENTER = "[data-poll-presenter]";
  if (document.querySelector(PRESENTER)) {
    let root = document.querySelector(PRESENTER);
    let latest = null;
    let tried = "";
    const state = { layout: "", question: "", results: false, tally: "" };
    const find = (selector) => root.querySelector(selector);
    const announce = (text) => {
      const region = find("[data-poll-announce]");
      if (region) region.textContent = text;
    };
    const read = () => {
      state.layout = root.dataset.pollState;
      state.question = state.layout.split("|")[1];
      state.results = state.layout.endsWith("|1") && Boolean(find("[data-poll-results] table, [data-poll-results] ul"));
      state.tally = "";
    };
    read();

    // Start, end or another question: fetch the screen's new layout in place.
    const relayout = serial(async () => {
      tried = layoutKey(latest);
      const before = state.question;
      const [node] = await refresh([PRESENTER]);
      if (!node) return;
      root = node;
      read();
      const question = find("[data-poll-question]");
      if (question && state.question !== before) {
        announce(format(texts.newQuestion, { text: question.textContent }));
      }
      if (latest) apply(latest);
    });

    function apply(snap) {
      const count = find("[data-poll-count]");
      if (count) count.textContent = plural(texts.participantsOne, texts.participantsOther, snap.participants);
      const layout = layoutKey(snap);
      const sameQuestion = layout.split("|").slice(0, 2).join("|") === state.layout.split("|").slice(0, 2).join("|");
      if (!sameQuestion) {
        // A fetched layout that still differs is not fetched again for the same state.
        if (layout !== tried) relayout();
        return;
      }
      state.layout = layout;
      const voting = find("[data-poll-voting]");
      if (voting) voting.textContent = snap.voting_open ? texts.open : texts.closed;
      const results = find("[data-poll-results]");
      if (!results) return;
      const shown = shownTally(snap);
      const key = shown ? JSON.stringify(shown) : "";
      if (key === state.tally) return;
      if (!shown) {
        results.replaceChildren(el("p", {}, [texts.resultsHidden]));
      } else if (!state.results || !updateInPlace(results, shown)) {
        results.replaceChildren(tallyNode(shown));
      }
      if (shown && !state.results) announce(`${texts.resultsShown} ${summary(shown)}`);
      state.tally = key;
      state.results = Boolean(shown);
    }

    connect(root, (snap) => {
      latest = snap;
      apply(snap);
    }, () => {});
  }

  // --- phone -----------------------------------------------------------------------------------

  const PHONE = "[data-poll-phone]";
  if (document.querySelector(PHONE)) {
    const ACK_MS = 6000;
    let root = document.querySelector(PHONE);
    let latest = null;
    let tried = "";
    let touched = false;
    let waiting = null;
    let tallyKey = "";
    const region = document.querySelector("[data-poll-announce]");
    const announce = (text) => {
      if (region) region.textContent = text;
    };

    // The answer in the form, in the shape the server checks, and in words for the ack.
    function readVote(form) {
      const kind = form.dataset.pollKind;
      const labelOf = (input) => {
        const label = form.querySelector(`label[for="${input.id}"]`);
        const text = label && label.querySelector("span:not(.option-emoji)");
        return (text || label || input).textContent.trim();
      };
      if (kind === "words") {
        const words = Array.from(form.querySelectorAll("input[name=word]"))
          .flatMap((input) => input.value.split(","))
          .map((word) => word.trim())
          .filter(Boolean);
        return words.length ? { answer: words, text: words.join(", ") } : null;
      }
      if (kind === "ranking") {
        const selects = Array.from(form.querySelectorAll("select[name^=rank-]"));
        const places = selects.map((select) => Number(select.value));
        const sorted = [...places].sort((a, b) => a - b);
        if (sorted.some((place, index) => place !== index + 1)) return null;
        const order = selects
          .map((select, index) => ({ index: Number(select.name.slice(5)), place: places[index], label: labelOf(select) }))
          .sort((a, b) => a.place - b.place);
        return {
          answer: order.map((item) => item.index),
          text: order.map((item) => `${item.place}. ${item.label}`).join(", "),
        };
      }
      const checked = Array.from(form.querySelectorAll("input[name=answer]:checked"));
      if (!checked.length) return null;
      const values = checked.map((input) => Number(input.value));
      return {
        answer: kind === "multiple" ? values : values[0],
        text: checked.map(labelOf).join(", "),
      };
    }

    function busy(form, on) {
      const button = form.querySelector("button[type=submit]");
      if (!button) return;
      if (on) {
        button.dataset.label = button.textContent;
        button.textContent = texts.sending;
      } else if (button.dataset.label) {
        button.textContent = button.dataset.label;
      }
      button.disabled = on;
      form.setAttribute("aria-busy", on ? "true" : "false");
    }

    function showError(form, text) {
      let error = root.querySelector("#poll-error");
      if (!error) {
        error = el("p", { class: "field-error", id: "poll-error", role: "alert" });
        const help = form.querySelector("#poll-help");
        if (help) help.after(error);
        else form.prepend(error);
        const fieldset = form.querySelector("fieldset");
        if (fieldset) fieldset.setAttribute("aria-describedby", "poll-help poll-error");
      }
      error.textContent = text;
    }

    function showAck(form, vote) {
      root.querySelectorAll(".poll-ack, #poll-error").forEach((node) => node.remove());
      const fieldset = form.querySelector("fieldset");
      if (fieldset) fieldset.setAttribute("aria-describedby", "poll-help");
      const kind = form.dataset.pollKind;
      const lines = [
        el("p", {}, [el("strong", {}, [texts.voteIn]), " ", kind === "words" ? texts.youSent : texts.youChose, " ", vote.text]),
        el("p", {}, [texts.canChange]),
      ];
      if (form.dataset.pollModerated === "1") lines.push(el("p", {}, [texts.wordsModerated]));
      form.before(el("div", { class: "message poll-ack", role: "status" }, lines));
      announce(`${texts.voteIn} ${kind === "words" ? texts.youSent : texts.youChose} ${vote.text}`);
      const question = root.querySelector(".poll-question");
      if (question) document.title = `${texts.voteInTitle}: ${question.textContent.trim()}`;
      form.elements.vote_id.value = newVoteId();
      busy(form, false);
      const button = form.querySelector("button[type=submit]");
      if (button) button.textContent = texts.changeVote;
      touched = false;
    }

    // No ack in time, or the socket dropped: send the same vote as a plain form post. The
    // vote id is the same, so a vote that did arrive counts once.
    function fallback() {
      const pending = waiting;
      waiting = null;
      if (!pending) return;
      window.clearTimeout(pending.timer);
      if (pending.form.isConnected) pending.form.submit();
    }

    function bind() {
      const form = root.querySelector("[data-poll-form]");
      if (!form) return;
      const mark = () => { touched = true; };
      form.addEventListener("change", mark);
      form.addEventListener("input", mark);
      form.addEventListener("submit", (event) => {
        if (waiting) {
          event.preventDefault(); // the first tap is still on its way
          return;
        }
        if (!live.isOpen()) return; // a plain post
        const vote = readVote(form);
        if (!vote) return; // nothing chosen: the server's page says what to do
        event.preventDefault();
        const voteId = form.elements.vote_id.value;
        live.send({ type: "vote", vote_id: voteId, question: Number(form.elements.question.value), answer: vote.answer });
        busy(form, true);
        waiting = { voteId, vote, form, timer: window.setTimeout(fallback, ACK_MS) };
      });
    }

    function onReply(message) {
      if (message.type === "closed") {
        if (waiting) fallback();
        return;
      }
      if (!waiting || message.vote_id !== waiting.voteId) return;
      const pending = waiting;
      waiting = null;
      window.clearTimeout(pending.timer);
      if (message.type === "ack") {
        showAck(pending.form, pending.vote);
      } else if (message.type === "error") {
        busy(pending.form, false);
        if (message.code === "retry") {
          pending.form.submit();
          return;
        }
        showError(pending.form, message.message);
      }
    }

    function renderResults(snap) {
      const shown = shownTally(snap);
      const key = shown ? JSON.stringify(shown) : "";
      if (key === tallyKey) return;
      tallyKey = key;
      let section = root.querySelector("[data-poll-results]");
      if (!shown) {
        if (section) section.remove();
        return;
      }
      if (!section) {
        section = el("section", { class: "poll-results", "aria-labelledby": "uitslag", "data-poll-results": "" }, [
          el("h2", { id: "uitslag" }, [texts.results]),
          el("div", { "data-poll-results-body": "" }),
        ]);
        const notice = root.querySelector("[data-poll-notice]");
        if (notice) notice.before(section);
        else root.append(section);
        announce(`${texts.resultsShown} ${summary(shown)}`);
      }
      const body = section.querySelector("[data-poll-results-body]");
      if (!updateInPlace(body, shown)) body.replaceChildren(tallyNode(shown));
    }

    // Another question, voting opened or closed, results shown: fetch the phone's new content
    // in place. An answer that is half filled in stays while only the results change.
    const follow = serial(async () => {
      tried = layoutKey(latest);
      const before = root.dataset.pollState.split("|")[1];
      const [node] = await refresh([PHONE]);
      if (!node) return;
      root = node;
      touched = false;
      tallyKey = "";
      bind();
      const now = root.dataset.pollState.split("|")[1];
      const heading = root.querySelector("h1");
      if (now !== before && heading) {
        announce(format(texts.newQuestion, { text: heading.textContent.trim() }));
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
      if (latest) apply(latest);
    });

    function apply(snap) {
      const key = layoutKey(snap);
      const current = root.dataset.pollState;
      if (key !== current) {
        const [status, question, open] = current.split("|");
        const [newStatus, newQuestion, newOpen] = key.split("|");
        const onlyResults = status === newStatus && question === newQuestion && open === "1" && newOpen === "1";
        if (onlyResults && (touched || waiting)) {
          root.dataset.pollState = key;
        } else {
          if (key !== tried && !waiting) follow();
          return;
        }
      }
      renderResults(snap);
    }

    const live = connect(root, (snap) => {
      latest = snap;
      apply(snap);
    }, onReply);
    bind();
  }

  // --- control page ----------------------------------------------------------------------------

  const CONTROL = "[data-poll-control]";
  if (document.querySelector(CONTROL)) {
    const root = document.querySelector(CONTROL);
    const STATE = ["[data-poll-control-state]", "[data-poll-control-tally]"];
    const BUTTONS = "[data-poll-control-buttons]";
    let shownKey = "";
    let latest = null;
    // The state and the tally follow at most once a second; the buttons only when another
    // device changed the layout, so a tap never lands on a button that is being replaced.
    const update = serial(async () => {
      const layout = latest ? layoutKey(latest) : "";
      const buttons = document.querySelector(BUTTONS);
      const withButtons = buttons && buttons.dataset.pollState !== layout;
      const focused = document.activeElement;
      const action = focused && focused.name === "action" ? focused.value : null;
      await refresh(withButtons ? [...STATE, BUTTONS] : STATE);
      if (withButtons && action) {
        const again = document.querySelector(`${BUTTONS} button[value="${action}"]`);
        if (again) again.focus();
      }
      await new Promise((resolve) => { window.setTimeout(resolve, 1000); });
    });
    connect(root, (snap) => {
      latest = snap;
      const key = JSON.stringify([layoutKey(snap), snap.participants, snap.tally]);
      if (shownKey === "") {
        shownKey = key; // the page was just rendered from the same state
        return;
      }
      if (key !== shownKey) {
        shownKey = key;
        update();
      }
    }, () => {});
  }
})();
