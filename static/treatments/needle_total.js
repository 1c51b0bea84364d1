// Live needle total while adjusting a plan or a session record (the server checks the rules
// again when saving).
(function () {
  var inputs = document.querySelectorAll("[data-needles]");
  var out = document.getElementById("needle-total");
  if (!out) return;
  function update() {
    var total = 0;
    inputs.forEach(function (el) {
      if (el.disabled) return;
      if (el.type === "checkbox") { if (el.checked) total += parseInt(el.dataset.needles, 10) || 0; }
      else { total += parseInt(el.value, 10) || 0; }
    });
    out.textContent = total;
  }
  inputs.forEach(function (el) { el.addEventListener("input", update); el.addEventListener("change", update); });
  update();
})();
