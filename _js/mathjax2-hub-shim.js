// The ipywidgets HTML manager 1.x typesets widget labels through MathJax 2's `MathJax.Hub.Queue(["Typeset", ...])`.
// This site loads MathJax 3, which has no `Hub`; without this shim every widget label on a page with math throws.
// MathJax 3 (loaded with `defer`) has replaced the `window.MathJax` configuration object by the time
// DOMContentLoaded fires, and the widgets render later (on `load`), so the shim is installed in between.
document.addEventListener("DOMContentLoaded", function () {
  var mj = window.MathJax;
  if (!mj || mj.Hub || typeof mj.typesetPromise !== "function") {
    return;
  }
  mj.Hub = {
    Queue: function () {
      for (var k = 0; k < arguments.length; k++) {
        var cmd = arguments[k];
        if (Array.isArray(cmd) && cmd[0] === "Typeset") {
          var el = cmd[2];
          mj.startup.promise
            .then(function () {
              return mj.typesetPromise(el ? [el] : undefined);
            })
            .catch(function (err) {
              console.warn("MathJax typeset of a widget failed:", err);
            });
        }
      }
    },
  };
});
