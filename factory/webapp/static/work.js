// Work pages: notes beside every kind (the pairwise page too), keyboard shortcuts, and each
// kind's own parts: ranking rows, code-review spans, refactoring steps run in the sandbox.
// Text from the server is only ever set with textContent, never parsed as HTML.
(function () {
  "use strict";
  const byId = (id) => document.getElementById(id);

  function typing(target) {
    if (target.isContentEditable) return true;
    if (target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
    return target.tagName === "INPUT" &&
      !["radio", "checkbox", "button", "submit", "reset"].includes(target.type);
  }

  // Elements whose own Enter/Space must keep working (buttons, links, check boxes).
  function activatable(target) {
    return ["BUTTON", "A", "SUMMARY"].includes(target.tagName) ||
      (target.tagName === "INPUT" && ["checkbox", "radio"].includes(target.type));
  }

  function modified(event) {
    return event.ctrlKey || event.metaKey || event.altKey;
  }

  function csrf() {
    const input = document.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  // POST fields the way a form would (the app checks the CSRF field of every POST); JSON back.
  async function post(url, fields) {
    const body = new URLSearchParams(fields);
    body.set("csrf_token", csrf());
    const response = await fetch(url, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    let answer = {};
    try {
      answer = await response.json();
    } catch (_error) {
      answer = {};
    }
    if (!response.ok) {
      throw new Error(answer.error || `the server answered ${response.status}; try again`);
    }
    return answer;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showError(box, message) {
    box.textContent = message;
    box.hidden = !message;
  }

  function parseList(raw) {
    try {
      const value = JSON.parse(raw || "[]");
      return Array.isArray(value) ? value : [];
    } catch (_error) {
      return [];
    }
  }

  // -- Notes: on every work page and on the pairwise review page ---------------------------------
  function notes() {
    const form = byId("note-form");
    if (!form) return;
    const text = byId("note-text");
    const list = byId("notes-list");
    const empty = byId("notes-empty");
    const error = byId("note-error");
    const button = byId("note-add");

    function show(all) {
      list.replaceChildren(...all.map((note) => {
        const item = element("li");
        item.append(element("span", "stamp", note.stamp), " ", element("span", "note-text", note.text));
        return item;
      }));
      empty.hidden = all.length > 0;
    }

    async function add() {
      const value = text.value.trim();
      if (!value) { text.focus(); return; }
      button.disabled = true;
      try {
        const answer = await post(form.action, { text: value });
        show(answer.notes);
        text.value = "";
        showError(error, "");
      } catch (failure) {
        showError(error, failure.message);  // the note stays typed
      } finally {
        button.disabled = false;
        text.focus();
      }
    }

    form.addEventListener("submit", (event) => { event.preventDefault(); add(); });
    // On the field itself, so the page's own Ctrl+Enter (submit the work) never sees it.
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        event.stopPropagation();
        add();
      } else if (event.key === "Escape") {
        event.stopPropagation();
        text.blur();
      }
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "n" && !modified(event) && !typing(event.target)) {
        event.preventDefault();
        text.focus();
      }
    });
  }

  // -- Ranking: rows of radio buttons, as on the pairwise page ------------------------------------
  function ranking(form) {
    const rows = Array.from(form.querySelectorAll("[data-row]"));
    const rankRows = rows.filter((row) => row.classList.contains("rank-row"));
    const clash = byId("rank-clash");
    let current = 0;

    function focusRow(index) {
      current = Math.max(0, Math.min(rows.length - 1, index));
      rows.forEach((row, i) => row.classList.toggle("focused", i === current));
      rows[current].scrollIntoView({ block: "nearest" });
    }

    function checkClash() {
      const seen = new Map();
      rankRows.forEach((row) => {
        const checked = row.querySelector("input:checked");
        if (checked) seen.set(checked.value, (seen.get(checked.value) || 0) + 1);
      });
      let any = false;
      rankRows.forEach((row) => {
        const checked = row.querySelector("input:checked");
        const shared = Boolean(checked) && seen.get(checked.value) > 1;
        row.classList.toggle("clash", shared);
        any = any || shared;
      });
      clash.hidden = !any;
    }

    function choose(digit) {
      const radios = rows[current].querySelectorAll("input[type=radio]");
      if (digit < 1 || digit > radios.length) return;
      radios[digit - 1].checked = true;
      checkClash();
      if (current < rows.length - 1) focusRow(current + 1);
    }

    rows.forEach((row, i) => row.addEventListener("click", () => focusRow(i)));
    form.addEventListener("change", checkClash);
    focusRow(0);
    checkClash();
    return {
      key(event) {
        if (event.key === "j" || event.key === "ArrowDown") { focusRow(current + 1); return true; }
        if (event.key === "k" || event.key === "ArrowUp") { focusRow(current - 1); return true; }
        if (/^[1-9]$/.test(event.key)) { choose(Number(event.key)); return true; }
        return false;
      },
    };
  }

  // -- Code review: a line cursor, a selection, spans described in a small form --------------------
  function codeReview() {
    const rows = Array.from(document.querySelectorAll("#code-lines tr[data-line]"));
    const hidden = byId("spans");
    const editor = byId("span-editor");
    const fields = {
      category: byId("span-category"),
      severity: byId("span-severity"),
      cwe: byId("span-cwe"),
      comment: byId("span-comment"),
      fix: byId("span-fix"),
    };
    const error = byId("span-error");
    const list = byId("span-list");
    const clean = byId("clean");
    let spans = parseList(hidden.value);
    let cursor = 1;
    let anchor = null;
    let end = null;
    let editing = null;

    const selection = () => (anchor === null ? null : [Math.min(anchor, end), Math.max(anchor, end)]);
    const lines = (range) => (range[0] === range[1] ? `${range[0]}` : `${range[0]}–${range[1]}`);

    function paint() {
      const chosen = selection();
      rows.forEach((row, i) => {
        const line = i + 1;
        row.classList.toggle("cursor", line === cursor);
        row.classList.toggle("selected", Boolean(chosen) && line >= chosen[0] && line <= chosen[1]);
        row.classList.toggle("marked", spans.some((s) => line >= s.start_line && line <= s.end_line));
      });
      byId("selection").textContent = chosen
        ? `Lines ${lines(chosen)} selected.`
        : `No lines selected (cursor on line ${cursor}).`;
    }

    function moveCursor(to, extend) {
      const from = cursor;
      cursor = Math.max(1, Math.min(rows.length, to));
      if (extend) {
        if (anchor === null) anchor = from;
        end = cursor;
      }
      rows[cursor - 1].scrollIntoView({ block: "nearest" });
      paint();
    }

    function extendToCursor() {
      if (anchor === null) anchor = cursor;
      end = cursor;
      paint();
    }

    function save() {
      hidden.value = JSON.stringify(spans);
    }

    function render() {
      list.replaceChildren(...spans.map((span, i) => {
        const item = element("li", `span-item severity-${span.severity}`);
        item.id = `span-${i + 1}`;
        const head = element("div", "span-head");
        head.append(
          element("strong", "", `Lines ${lines([span.start_line, span.end_line])}`),
          " ",
          element("span", "badge", span.category),
          " ",
          element("span", "badge", span.severity),
        );
        if (span.cwe) head.append(" ", element("span", "badge", span.cwe));
        const remove = element("button", "link remove", "Remove");
        remove.type = "button";
        remove.setAttribute("aria-label", `Remove the span on lines ${lines([span.start_line, span.end_line])}`);
        remove.addEventListener("click", () => {
          spans.splice(i, 1);
          save();
          render();
        });
        head.append(" ", remove);
        item.append(head, element("p", "span-comment", span.comment));
        if (span.suggested_fix) item.append(element("pre", "span-fix", span.suggested_fix));
        return item;
      }));
      byId("span-none").hidden = spans.length > 0;
      paint();
    }

    function openEditor() {
      editing = selection() || [cursor, cursor];
      byId("span-lines").textContent = lines(editing);
      fields.category.selectedIndex = 0;
      fields.severity.selectedIndex = 0;
      fields.cwe.value = "";
      fields.comment.value = "";
      fields.fix.value = "";
      showError(error, "");
      editor.hidden = false;
      fields.category.focus();
    }

    function closeEditor() {
      editor.hidden = true;
      editing = null;
      if (editor.contains(document.activeElement)) document.activeElement.blur();
    }

    function addSpan() {
      if (!editing) return;
      const span = {
        start_line: editing[0],
        end_line: editing[1],
        category: fields.category.value,
        severity: fields.severity.value,
        cwe: fields.cwe.value.trim().toUpperCase(),
        comment: fields.comment.value.trim(),
        suggested_fix: fields.fix.value.replace(/\r\n/g, "\n").replace(/\n+$/, ""),
      };
      const cwe = /^CWE-[1-9][0-9]{0,4}$/;
      let problem = "";
      if (!span.comment) problem = "Write a comment: what is wrong, and for which input.";
      else if (span.category === "security" && !cwe.test(span.cwe)) problem = "A security finding needs its CWE, as CWE-<number>.";
      else if (span.cwe && !cwe.test(span.cwe)) problem = `${span.cwe} is not a CWE id (CWE-<number>).`;
      else if (span.category === "style" && span.severity !== "low") problem = "Style findings are low severity by the rubric.";
      if (problem) {
        showError(error, problem);
        return;
      }
      spans.push(span);
      spans.sort((a, b) => a.start_line - b.start_line || a.end_line - b.end_line);
      clean.checked = false;  // a marked span and "no issues found" cannot both stand
      anchor = end = null;
      save();
      closeEditor();
      render();
    }

    rows.forEach((row, i) => {
      const number = row.querySelector(".lineno");
      // No focus and no text selection from a click: the keys stay the page's, shift extends.
      number.addEventListener("mousedown", (event) => event.preventDefault());
      number.addEventListener("click", (event) => {
        cursor = i + 1;
        if (event.shiftKey && anchor !== null) end = cursor;
        else anchor = end = cursor;
        paint();
      });
    });
    byId("span-open").addEventListener("click", openEditor);
    byId("span-add").addEventListener("click", addSpan);
    byId("span-cancel").addEventListener("click", closeEditor);
    editor.addEventListener("keydown", (event) => {
      // Enter in the CWE box adds the span instead of submitting the whole form.
      if (event.key === "Enter" && event.target.tagName === "INPUT") {
        event.preventDefault();
        event.stopPropagation();  // Ctrl+Enter here too: the span, never the whole form
        addSpan();
      }
    });
    render();

    return {
      ctrlEnter(event) {
        if (!editor.hidden && editor.contains(event.target)) { addSpan(); return true; }
        return false;
      },
      key(event) {
        const target = event.target;
        if (event.key === "Escape") {
          if (!editor.hidden) closeEditor();
          else { anchor = end = null; paint(); }
          return true;
        }
        const own = target.classList.contains("lineno");
        if (activatable(target) && !own && (event.key === " " || event.key === "Enter")) return false;
        switch (event.key) {
          case "j": case "ArrowDown": moveCursor(cursor + 1, false); return true;
          case "k": case "ArrowUp": moveCursor(cursor - 1, false); return true;
          case "J": moveCursor(cursor + 1, true); return true;
          case "K": moveCursor(cursor - 1, true); return true;
          case " ":
            if (event.shiftKey) extendToCursor();
            else { anchor = end = cursor; paint(); }
            return true;
          case "Enter": openEditor(); return true;
          default: return false;
        }
      },
    };
  }

  // -- Refactoring: steps added one by one, the prompt's tests run on each -------------------------
  function refactoring(form) {
    const hidden = byId("steps");
    const start = byId("start-code").value;
    const editor = byId("step-editor");
    const code = byId("step-code");
    const why = byId("step-why");
    const move = byId("step-move");
    const error = byId("step-error");
    const list = byId("steps-list");
    const undo = byId("step-undo");
    const steps = parseList(hidden.value);

    const previous = () => (steps.length ? steps[steps.length - 1].code : start);
    const save = () => { hidden.value = JSON.stringify(steps); };

    function verdictText(step) {
      if (step.verdict === "running") return "running the tests…";
      if (step.passed === true) return `tests pass (${step.tests_passed}/${step.tests_total})`;
      if (step.passed === false) return `breaks the tests: ${step.summary}`;
      return step.summary || "not run";
    }

    function render() {
      list.replaceChildren(...steps.map((step, i) => {
        const item = element("li", "step");
        item.id = `step-${i + 1}`;
        item.classList.toggle("breaking", step.passed === false);
        const head = element("div", "step-head");
        const verdict = element("span", "step-verdict", verdictText(step));
        if (step.passed === true) verdict.classList.add("verdict-passed");
        if (step.passed === false) verdict.classList.add("verdict-failed");
        head.append(
          element("strong", "", `Step ${i + 1}`),
          " ",
          element("span", "badge", (step.move || "").replace(/_/g, " ")),
          " ",
          verdict,
        );
        const details = element("details", "step-code");
        details.append(element("summary", "", "Code after this step"), element("pre", "", step.code));
        item.append(head, element("p", "step-why", step.why), details);
        return item;
      }));
      byId("steps-none").hidden = steps.length > 0;
      undo.hidden = steps.length === 0;
    }

    async function run(step) {
      try {
        const answer = await post(form.dataset.run, { code: step.code });
        Object.assign(step, {
          verdict: answer.verdict,
          passed: answer.sandbox_error ? null : answer.passed,
          tests_passed: answer.tests_passed,
          tests_total: answer.tests_total,
          summary: answer.summary,
        });
      } catch (failure) {
        Object.assign(step, { verdict: "unknown", passed: null, summary: `not run: ${failure.message}` });
      }
      save();
      render();
    }

    function addStep() {
      const text = code.value.replace(/\r\n/g, "\n").replace(/\s+$/, "");
      let problem = "";
      if (!text.trim()) problem = "The step's code is empty.";
      else if (text.trim() === previous().trim()) problem = "This step changes nothing: edit the code first.";
      else if (!why.value.trim()) problem = "Say why: what this step makes better.";
      else if (!move.value) problem = "Choose the kind of move.";
      if (problem) {
        showError(error, problem);
        return;
      }
      showError(error, "");
      const step = { code: `${text}\n`, why: why.value.trim(), move: move.value, verdict: "running" };
      steps.push(step);
      why.value = "";
      move.value = "";
      save();
      render();
      run(step);
      code.focus();
    }

    byId("step-add").addEventListener("click", addStep);
    undo.addEventListener("click", () => {
      steps.pop();
      code.value = previous();
      save();
      render();
    });
    why.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {  // with Ctrl or without: the step, never the whole form
        event.preventDefault();
        event.stopPropagation();
        addStep();
      }
    });
    if (steps.length) code.value = previous();  // the page came back with the steps kept
    render();
    steps.filter((step) => step.verdict === "running").forEach(run);
    return {
      ctrlEnter(event) {
        if (editor.contains(event.target)) { addStep(); return true; }
        return false;
      },
    };
  }

  // -- Every work page ---------------------------------------------------------------------------
  function workPage() {
    const form = byId("work-form");
    if (!form) return;
    const help = byId("shortcuts");
    const submit = byId("submit");
    const kinds = { ranking, code_review: codeReview, refactoring };
    const own = (kinds[form.dataset.kind] || (() => ({})))(form);
    const keyed = new Map();
    document.querySelectorAll("[data-key]").forEach((node) => keyed.set(node.dataset.key, node));
    let submitting = false;

    byId("help-toggle").addEventListener("click", () => { help.hidden = !help.hidden; });
    const label = Array.from(submit.childNodes, (node) => node.cloneNode(true));
    window.addEventListener("pageshow", (event) => {
      if (!event.persisted) return;  // back to a page the browser kept: submit works again
      submitting = false;
      submit.disabled = false;
      submit.replaceChildren(...label.map((node) => node.cloneNode(true)));
    });
    form.addEventListener("submit", (event) => {
      if (submitting) { event.preventDefault(); return; }
      submitting = true;
      submit.disabled = true;
      submit.textContent = "Checking…";
    });

    document.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        if (own.ctrlEnter && own.ctrlEnter(event)) return;
        if (!submitting) form.requestSubmit();
        return;
      }
      if (typing(event.target)) {
        if (event.key === "Escape") event.target.blur();
        return;
      }
      if (modified(event)) return;
      if (own.key && own.key(event)) { event.preventDefault(); return; }
      const field = keyed.get(event.key);
      if (field) {
        event.preventDefault();
        field.focus();
      } else if (event.key === "s") {
        event.preventDefault();
        byId("skip-reason").focus();
      } else if (event.key === "?") {
        help.hidden = !help.hidden;
      }
    });
  }

  notes();
  workPage();
})();
