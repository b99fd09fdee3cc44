// The findings filter: by rule, severity and text; the state lives in the URL's hash
// (#rule=FT601&severity=error&text=...), so a filtered view can be linked.
(function () {
  const form = document.getElementById("filter");
  const rows = Array.from(document.querySelectorAll("tr.finding"));
  const shown = document.getElementById("shown");
  function apply() {
    const rule = form.rule.value, severity = form.severity.value, text = form.text.value.toLowerCase();
    let count = 0;
    for (const row of rows) {
      const visible = (!rule || row.dataset.code === rule) && (!severity || row.dataset.severity === severity)
        && (!text || row.textContent.toLowerCase().includes(text));
      row.classList.toggle("hidden", !visible);
      if (visible) count++;
    }
    shown.value = count + " of " + rows.length + " shown";
    shown.dataset.shown = count;
  }
  function fromHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    form.rule.value = params.get("rule") || "";
    form.severity.value = params.get("severity") || "";
    form.text.value = params.get("text") || "";
    apply();
  }
  form.addEventListener("input", function () {
    const params = new URLSearchParams();
    for (const name of ["rule", "severity", "text"]) if (form[name].value) params.set(name, form[name].value);
    history.replaceState(null, "", "#" + params.toString());
    apply();
  });
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
