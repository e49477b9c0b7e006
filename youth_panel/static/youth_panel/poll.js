// Live poll pages over HTTP: fetch the snapshot (stand.json) every few seconds and follow it.
// The pages work without this script (a form post and a "Vernieuw" link); it only saves the
// reload. Plain script, no build step. All interface text comes translated from the page.
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

  // Fetch the snapshot every `ms` milliseconds (never two at once; not while hidden).
  function follow(url, ms, onSnapshot) {
    async function tick() {
      if (!document.hidden) {
        try {
          const response = await fetch(url, {
            cache: "no-store",
            credentials: "same-origin",
            headers: { Accept: "application/json" },
          });
          if (response.ok) onSnapshot(await response.json());
        } catch (error) {
          // Network gone for a moment: the next tick tries again.
        }
      }
      window.setTimeout(tick, ms);
    }
    window.setTimeout(tick, ms);
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
          el("span", { class: "poll-word" }, [word.text]),
          " ",
          el("span", { class: "poll-word-count" }, [plural(texts.timesOne, texts.timesOther, word.count)]),
        ])));
    }
    if (tally.kind === "ranking") {
      const rows = tally.options.map((row) =>
        el("tr", {}, [
          el("th", { scope: "row" }, [row.label]),
          el("td", { class: "num-col" }, [row.average_rank === null ? "-" : number(row.average_rank)]),
        ]));
      return table(`${votes}. ${texts.rankHint}`, [[texts.option], [texts.rank, "num-col"]], rows);
    }
    const rows = tally.options.map((row) => {
      const label = el("span", { class: "poll-label" }, [row.label]);
      if (row.emoji) label.prepend(el("span", { class: "option-emoji", "aria-hidden": "true" }, [row.emoji]), " ");
      const bar = el("span", { class: "poll-bar", "aria-hidden": "true" }, [el("span", { style: `width: ${row.percent}%` })]);
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
      const bar = rows[index].querySelector(".poll-bar > span");
      if (cells.length < 2 || !bar) return;
      cells[0].textContent = number(row.count);
      cells[1].textContent = `${number(row.percent)}%`;
      bar.style.width = `${row.percent}%`;
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

  // --- presenter screen ------------------------------------------------------------------------

  const presenter = document.querySelector("[data-poll-presenter]");
  if (presenter) {
    const state = {
      status: presenter.dataset.pollStatus,
      question: presenter.dataset.pollQuestionId,
      results: presenter.dataset.pollResultsVisible === "1",
      tally: null,
    };
    const find = (selector) => presenter.querySelector(selector);
    const announce = (text) => {
      const region = find("[data-poll-announce]");
      if (region) region.textContent = text;
    };
    follow(presenter.dataset.pollSnapshot, 2000, (snap) => {
      const questionId = snap.question ? String(snap.question.id) : "";
      if (snap.status !== state.status || (questionId === "") !== (state.question === "")) {
        // Start or end: a different page layout, so fetch the page once.
        window.location.assign(window.location.pathname);
        return;
      }
      const count = find("[data-poll-count]");
      if (count) count.textContent = plural(texts.participantsOne, texts.participantsOther, snap.participants);
      if (!snap.question) return;
      const newQuestion = questionId !== state.question;
      find("[data-poll-position]").textContent = format(texts.position, snap.question);
      find("[data-poll-question]").textContent = snap.question.text;
      find("[data-poll-voting]").textContent = snap.voting_open ? texts.open : texts.closed;
      const results = find("[data-poll-results]");
      const shown = snap.results_visible && snap.tally ? snap.tally : null;
      const key = shown ? JSON.stringify(shown) : "";
      if (newQuestion || key !== state.tally) {
        if (!shown) {
          results.replaceChildren(el("p", {}, [texts.resultsHidden]));
        } else if (newQuestion || !state.results || !updateInPlace(results, shown)) {
          results.replaceChildren(tallyNode(shown));
        }
        state.tally = key;
      }
      if (newQuestion) {
        announce(format(texts.newQuestion, { text: snap.question.text }));
      } else if (shown && !state.results) {
        announce(`${texts.resultsShown} ${summary(shown)}`);
      }
      state.question = questionId;
      state.results = Boolean(shown);
    });
  }

  // --- phone -----------------------------------------------------------------------------------

  const phone = document.querySelector("[data-poll-phone]");
  if (phone) {
    const form = phone.querySelector("[data-poll-form]");
    const here = phone.dataset.pollUrl;
    let touched = false;
    let leaving = false;
    if (form) {
      form.addEventListener("change", () => { touched = true; });
      form.addEventListener("input", () => { touched = true; });
      form.addEventListener("submit", () => { leaving = true; });
    }
    follow(phone.dataset.pollSnapshot, 3000, (snap) => {
      const key = [
        snap.status,
        snap.question ? snap.question.id : "",
        snap.voting_open ? "1" : "0",
        snap.results_visible ? "1" : "0",
        snap.results_visible && snap.tally ? snap.tally.total : "",
      ].join("|");
      if (leaving || key === phone.dataset.pollState) return;
      // Half-filled answers are not thrown away: then only say that something changed.
      // A page that still differs right after following is not followed again (no reload loop).
      let seen = "";
      try { seen = window.sessionStorage.getItem("poll-followed") || ""; } catch (error) { /* private mode */ }
      const [seenKey, seenAt] = seen.split("@");
      const loop = seenKey === key && Date.now() - Number(seenAt) < 15000;
      if (!touched && !loop) {
        try { window.sessionStorage.setItem("poll-followed", `${key}@${Date.now()}`); } catch (error) { /* private mode */ }
        leaving = true;
        window.location.assign(here);
        return;
      }
      const notice = phone.querySelector("[data-poll-notice]");
      if (notice && !notice.textContent) {
        notice.append(texts.changed, " ", el("a", { href: here }, [texts.reload]));
      }
    });
  }
})();
