// What htmx leaves to the page: where the keyboard focus goes after a swap, and what a page kept for Back shows.

// When htmx swaps out the part of the page that held the keyboard focus (a wizard step, a vote, a form sent
// back with its errors), the browser drops the focus to <body> and a keyboard or screen-reader user starts again
// from the top of the page. Focus moves instead to what the swap brought: its error summary or first invalid
// field, else its first heading or message, else its first control.
(() => {
  const FIRST_CHOICE = [
    ".form-errors", "[aria-invalid='true']", "h1, h2, h3, .feedback-thanks, [role='status']",
    "input:not([type='hidden']), select, textarea, button, a[href]",
  ];
  let swappedRegionId = null;

  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    const active = document.activeElement;
    const focusInside = target && active && active !== document.body && target.contains(active);
    swappedRegionId = focusInside ? target.id : null;
  });

  document.addEventListener("htmx:afterSettle", () => {
    // An outerHTML swap replaces the target: the new region is found by its id.
    const region = swappedRegionId && document.getElementById(swappedRegionId);
    swappedRegionId = null;
    // htmx itself puts the focus back on an element that kept its id (a textarea sent back with its error), or
    // on the new content's `autofocus` element (the error summary of templates/_form_errors.html).
    if (!region || (document.activeElement && document.activeElement !== document.body)) return;
    const chosen = FIRST_CHOICE.map((selector) => region.querySelector(selector)).find(Boolean) || region;
    if (!chosen.hasAttribute("tabindex") && chosen.tabIndex < 0) chosen.setAttribute("tabindex", "-1");
    chosen.focus();
  });
})();

// htmx keeps a page for Back as its HTML, and a box's typed words are not in the HTML: without this, Back and
// Forward show the results of a search under an empty box.
document.addEventListener("htmx:beforeHistorySave", (event) => {
  for (const box of event.detail.historyElt.querySelectorAll("input[type='search']")) {
    box.setAttribute("value", box.value);
  }
});
