/* Public pages (công khai): name search inside the page, accent-insensitive, so that it
   works the same live, behind a static host and from file:// (btxh publish). Without
   JavaScript the form still searches on the server (?q=). No data leaves the page. */
(function () {
  "use strict";
  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[đĐ]/g, "d").toLowerCase().replace(/\s+/g, " ").trim();
  }
  var form = document.querySelector("form[data-btxh-search]");
  var table = document.querySelector("table[data-btxh-searchable]");
  if (form && table) {
    var input = form.querySelector("input[name=q]");
    var found = document.querySelector("[data-btxh-found]");
    var none = document.querySelector("[data-btxh-none]");
    var clear = form.querySelector("[data-btxh-clear]");
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var apply = function () {
      var needle = fold(input.value), shown = 0;
      rows.forEach(function (tr) {
        var name = tr.querySelector(".btxh-name");
        var hit = !needle || fold(name && name.textContent).indexOf(needle) !== -1;
        tr.hidden = !hit;
        if (hit) { shown += 1; }
      });
      if (found) {
        found.hidden = !needle;
        found.textContent = needle ? "Tìm «" + input.value.trim() + "»: " + shown + " người." : "";
      }
      if (none) { none.hidden = !(needle && shown === 0); }
      if (clear) { clear.hidden = !needle; }
      table.hidden = needle !== "" && shown === 0;
    };
    form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
    input.addEventListener("input", apply);
    if (clear) {
      clear.addEventListener("click", function (event) { event.preventDefault(); input.value = ""; apply(); });
    }
    var params = new URLSearchParams(window.location.search);
    if (params.get("q") && !input.value) { input.value = params.get("q"); }
    apply();
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-btxh-print]"), function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
}());
