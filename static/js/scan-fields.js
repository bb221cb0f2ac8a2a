// A barcode scanner types the code and presses Enter. In a field marked
// data-scan-next, that Enter moves on to the next field instead of submitting a form
// that is not filled in yet. Without JavaScript the form simply submits, as before.
document.addEventListener("keydown", function (event) {
  var field = event.target;
  if (event.key !== "Enter" || !field.matches || !field.matches("[data-scan-next]")) {
    return;
  }
  var form = field.form;
  if (!form) {
    return;
  }
  event.preventDefault();
  var fields = Array.prototype.filter.call(form.elements, function (element) {
    return !element.disabled && element.type !== "hidden" && element.tabIndex >= 0 &&
      element.offsetParent !== null;
  });
  var next = fields[fields.indexOf(field) + 1];
  if (next) {
    next.focus();
  }
});
