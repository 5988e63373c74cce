/* btxh: Vietnamese labels for the menus Datasette's table.js builds in the browser.
 *
 * Loaded with `defer` right after table.js (templates/table.html), so it runs after
 * table.js has added its column menu and the filter-row "✖" links. It only changes
 * visible text and aria-labels, found by the CSS classes table.js gives them; links,
 * classes and behaviour are untouched. If table.js changes, unknown items stay English.
 */
(function () {
  "use strict";

  var MENU_LABELS = {
    "a.dropdown-sort-asc": "Sắp xếp tăng dần",
    "a.dropdown-sort-desc": "Sắp xếp giảm dần",
    "a.dropdown-facet": "Phân nhóm theo cột này",
    "a.dropdown-hide-column": "Ẩn cột này",
    "a.dropdown-show-all-columns": "Hiện tất cả các cột",
    "a.dropdown-not-blank": "Chỉ hiện dòng có giá trị",
  };
  var TYPE_PREFIX_EN = "Type: ";
  var TYPE_PREFIX_VI = "Kiểu dữ liệu: ";

  function translateMenu(menu) {
    Object.keys(MENU_LABELS).forEach(function (selector) {
      var link = menu.querySelector(selector);
      if (link) {
        link.textContent = MENU_LABELS[selector];
      }
    });
    // table.js rewrites "Type: TEXT NOT NULL" each time the menu opens
    var typeP = menu.querySelector(".dropdown-column-type");
    if (typeP && window.MutationObserver) {
      var fix = function () {
        var text = typeP.textContent;
        if (text.indexOf(TYPE_PREFIX_EN) === 0) {
          typeP.textContent = TYPE_PREFIX_VI + text.slice(TYPE_PREFIX_EN.length);
        }
      };
      new MutationObserver(fix).observe(typeP, {
        childList: true,
        characterData: true,
        subtree: true,
      });
      fix();
    }
  }

  function run() {
    // The column menu: table.js appends one div.dropdown-menu to <body>
    Array.prototype.forEach.call(
      document.querySelectorAll("body > .dropdown-menu"),
      function (menu) {
        if (menu.querySelector("a.dropdown-sort-asc")) {
          translateMenu(menu);
        }
      }
    );
    // The "✖" links table.js adds to filter rows
    Array.prototype.forEach.call(
      document.querySelectorAll('.filter-row a[aria-label="Remove this filter"]'),
      function (a) {
        a.setAttribute("aria-label", "Bỏ điều kiện lọc này");
        a.setAttribute("title", "Bỏ điều kiện lọc này");
      }
    );
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
})();
