// Figures at full size with a tap. A figure the page shows narrower than it was drawn (every figure on a phone,
// whose text column is about 360 px wide) gets a zoom-in cursor and opens, on a click, a tap or Enter, in a layer
// over the page at its drawn size (its text at 10 CSS px or more; tests/site/test_reading.py measures it), which
// scrolls sideways when it is wider than the screen. Esc, the close button or a click outside the image closes it.
// Jupyter Book loads every .js file of _static/ on every page; this one requests nothing.
(function () {
  "use strict";
  var SELECTOR = ".bd-article img";
  var SLACK = 1.05; // shown at 95 % of its size or more: nothing to gain

  function shrunk(img) {
    var shown = img.getBoundingClientRect().width;
    return img.naturalWidth > 0 && shown > 0 && img.naturalWidth > shown * SLACK;
  }

  function mark() {
    var imgs = document.querySelectorAll(SELECTOR);
    for (var k = 0; k < imgs.length; k++) {
      var img = imgs[k];
      var on = shrunk(img) && !img.closest("a");
      img.classList.toggle("figure-zoomable", on);
      hint(img, on);
      if (on && !img.hasAttribute("tabindex")) {
        img.setAttribute("tabindex", "0");
        img.setAttribute("title", "Click or tap to see this figure at full size");
      } else if (!on && img.getAttribute("tabindex") === "0" && img.hasAttribute("title")) {
        img.removeAttribute("tabindex");
        img.removeAttribute("title");
      }
    }
  }

  // A line under the figure says it can be enlarged (shown on narrow screens only, by site.css). Not inside widgets,
  // whose views ipywidgets owns.
  function hint(img, on) {
    var next = img.nextElementSibling;
    var has = next && next.classList.contains("figure-zoom-hint");
    if (on && !has && !img.closest(".jupyter-widgets")) {
      var line = document.createElement("span");
      line.className = "figure-zoom-hint";
      line.setAttribute("aria-hidden", "true");
      line.textContent = "Tap the figure to see it at full size";
      img.after(line);
    } else if (!on && has) {
      next.remove();
    }
  }

  function close(layer, from) {
    layer.remove();
    document.documentElement.classList.remove("figure-zoom-open");
    if (from && from.isConnected) from.focus({ preventScroll: true });
  }

  function open(img) {
    var layer = document.createElement("div");
    layer.className = "figure-zoom";
    layer.setAttribute("role", "dialog");
    layer.setAttribute("aria-modal", "true");
    layer.setAttribute("aria-label", "Figure at full size");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "figure-zoom-close";
    button.textContent = "Close \u2715";
    var big = document.createElement("img");
    big.src = img.currentSrc || img.src;
    big.alt = img.alt || "";
    big.style.width = img.naturalWidth + "px"; // one image pixel per CSS pixel: the size it was drawn at
    layer.append(button, big);
    layer.addEventListener("click", function (e) {
      if (e.target !== big) close(layer, img);
    });
    layer.addEventListener("keydown", function (e) {
      if (e.key === "Escape") close(layer, img);
    });
    document.body.append(layer);
    document.documentElement.classList.add("figure-zoom-open");
    button.focus({ preventScroll: true });
  }

  document.addEventListener("click", function (e) {
    var img = e.target.closest && e.target.closest(SELECTOR);
    if (img && img.classList.contains("figure-zoomable")) open(img);
  });
  document.addEventListener("keydown", function (e) {
    var img = e.target;
    if ((e.key === "Enter" || e.key === " ") && img.matches && img.matches(SELECTOR + ".figure-zoomable")) {
      e.preventDefault();
      open(img);
    }
  });
  // Images load late (and widgets swap theirs as a slider moves): mark again after loads and on resizing.
  document.addEventListener("load", function (e) {
    if (e.target.tagName === "IMG") mark();
  }, true);
  window.addEventListener("resize", later);
  window.addEventListener("load", mark);
  document.addEventListener("DOMContentLoaded", mark);
  var pending = false;
  function later() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; mark(); });
  }
  if (window.MutationObserver) { // widgets add their images after the page has loaded
    new MutationObserver(function (records) {
      for (var r = 0; r < records.length; r++) {
        var added = records[r].addedNodes;
        for (var k = 0; k < added.length; k++) {
          var n = added[k];
          if (n.nodeType === 1 && (n.tagName === "IMG" || n.querySelector("img"))) return later();
        }
      }
    }).observe(document.documentElement, { childList: true, subtree: true });
  }
})();
