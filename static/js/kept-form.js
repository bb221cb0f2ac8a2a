// After an idle timeout, the values a form was sending are kept on the server's side and
// shown again once the same person signs in (templates/_partials/kept_form.html). This
// fills the page's form with them; hidden fields (security tokens) keep their fresh values.
document.addEventListener("DOMContentLoaded", function () {
  var holder = document.querySelector("[data-testid=kept-form]");
  if (!holder) {
    return;
  }
  var values = JSON.parse(holder.getAttribute("data-values") || "[]");
  var forms = Array.prototype.filter.call(document.querySelectorAll("main form"),
    function (form) {  // not form.method: a field may be named "method"
      return (form.getAttribute("method") || "").toLowerCase() === "post";
    });
  values.forEach(function (pair) {
    forms.forEach(function (form) {
      Array.prototype.forEach.call(form.elements, function (element) {
        if (element.name !== pair[0] || element.type === "hidden" ||
            element.type === "password" || element.type === "submit") {
          return;
        }
        if (element.type === "checkbox" || element.type === "radio") {
          if (element.value === pair[1]) {
            element.checked = true;
          }
        } else {
          element.value = pair[1];
        }
      });
    });
  });
});
