// Loaded on pages with widgets, just before require.js (see nb_ipywidgets_js in _config.yml): tells require.js the
// ipywidgets HTML manager lives in this site's _static/ folder. The manager finds its fonts next to its own module
// URL, so without this mapping they would be requested relative to the page and fail.
// require.js reads a plain object assigned to `require` before it loads as its configuration.
(function () {
  var here = document.currentScript && document.currentScript.src;
  if (!here || typeof window.require === "function") {
    return;
  }
  window.require = {
    paths: {
      "@jupyter-widgets/html-manager/dist": new URL("@jupyter-widgets/html-manager/dist", here).href,
    },
  };
})();
