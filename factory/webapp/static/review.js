// Keyboard scoring for the review page. Rows: each dimension for A and B, then the preference.
(function () {
  "use strict";
  const form = document.getElementById("review-form");
  if (!form) return;
  const rows = Array.from(form.querySelectorAll("[data-row]"));
  const rationale = document.getElementById("rationale");
  const help = document.getElementById("shortcuts");
  let current = 0;

  function focusRow(index) {
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach((row, i) => row.classList.toggle("focused", i === current));
    rows[current].scrollIntoView({ block: "nearest" });
  }

  function choose(digit) {
    const row = rows[current];
    const radios = row.querySelectorAll("input[type=radio]");
    if (digit < 1 || digit > radios.length) return;
    radios[digit - 1].checked = true;
    if (current < rows.length - 1) focusRow(current + 1);
  }

  function typing(target) {
    return target.tagName === "TEXTAREA" || target.tagName === "SELECT" ||
      (target.tagName === "INPUT" && target.type !== "radio");
  }

  document.getElementById("help-toggle").addEventListener("click", () => { help.hidden = !help.hidden; });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "j" || event.key === "ArrowDown") { event.preventDefault(); focusRow(current + 1); }
    else if (event.key === "k" || event.key === "ArrowUp") { event.preventDefault(); focusRow(current - 1); }
    else if (/^[1-9]$/.test(event.key)) { event.preventDefault(); choose(Number(event.key)); }
    else if (event.key === "r") { event.preventDefault(); rationale.focus(); }
    else if (event.key === "s") { event.preventDefault(); document.getElementById("skip-reason").focus(); }
    else if (event.key === "?") { help.hidden = !help.hidden; }
  });

  rows.forEach((row, i) => row.addEventListener("click", () => focusRow(i)));
  focusRow(0);
})();
