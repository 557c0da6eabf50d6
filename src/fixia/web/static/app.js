// Progressive enhancement only: every page works without this file.
// Buttons of forms marked data-confirm ask before destructive actions.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
