// Patient picker: searches on the server as you type (patients:search, 20 matches) and keeps
// the chosen patient's id in a hidden input. A combobox with a listbox: arrow keys move through
// the matches, Enter chooses, Escape closes. Without this script the box is a plain search.
(function () {
  "use strict";
  function setUp(root) {
    if (root.dataset.ready) return;
    root.dataset.ready = "1";
    var input = root.querySelector("[data-picker-input]");
    var value = root.querySelector("[data-picker-value]");
    var list = root.querySelector("[data-picker-list]");
    var status = root.querySelector("[data-picker-status]");
    var fallback = root.querySelector("[data-picker-fallback]");
    if (fallback) fallback.remove();
    var active = -1, timer = null, asked = 0;

    function options() { return list.querySelectorAll("[role=option]"); }
    function close() {
      list.hidden = true; input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant"); active = -1;
    }
    function highlight(index) {
      var all = options();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      all.forEach(function (option, i) {
        option.classList.toggle("active", i === active);
        option.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }
    function choose(option) {
      value.value = option.dataset.id;
      input.value = option.textContent;
      status.textContent = "Chosen: " + option.textContent;
      close();
    }
    function show(results) {
      list.replaceChildren();
      results.forEach(function (result, i) {
        var option = document.createElement("li");
        option.className = "list-group-item list-group-item-action";
        option.id = input.id + "_option_" + i;
        option.setAttribute("role", "option");
        option.dataset.id = result.id;
        option.textContent = result.label;
        option.addEventListener("mousedown", function (event) { event.preventDefault(); choose(option); });
        list.appendChild(option);
      });
      status.textContent = results.length ? results.length + " matching patients" : "No matching patient";
      list.hidden = !results.length;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
      active = -1;
    }
    function search() {
      var query = input.value.trim();
      if (query.length < 2) { close(); return; }
      var ticket = ++asked;
      fetch(root.dataset.searchUrl + "?q=" + encodeURIComponent(query), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { if (ticket === asked) show(data.results); });
    }
    input.addEventListener("input", function () {
      value.value = "";
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") { event.preventDefault(); if (list.hidden) search(); else highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Enter" && !list.hidden && active >= 0) { event.preventDefault(); choose(options()[active]); }
      else if (event.key === "Escape") { close(); }
    });
    input.addEventListener("blur", close);
  }
  function setUpAll() { document.querySelectorAll("[data-patient-picker]").forEach(setUp); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUpAll);
  else setUpAll();
})();
