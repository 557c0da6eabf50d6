// Progressive enhancement only: every page works without this file.
// Buttons of forms marked data-confirm ask before destructive actions.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Upload progress where JavaScript runs: the same multipart POST, sent with XHR so the bar
// can move; the server's answer (a redirect to the page, or the page with errors) replaces
// this one. Without JavaScript the form posts normally.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (event.defaultPrevented || !form.classList || !form.classList.contains("upload")) {
    return;
  }
  var bar = form.querySelector(".upload-progress");
  if (!bar || !window.XMLHttpRequest || !window.FormData) {
    return;
  }
  event.preventDefault();
  var xhr = new XMLHttpRequest();
  xhr.open("POST", form.action);
  bar.hidden = false;
  xhr.upload.addEventListener("progress", function (e) {
    if (e.lengthComputable) {
      bar.value = Math.round((e.loaded / e.total) * 100);
    }
  });
  xhr.addEventListener("load", function () {
    if (xhr.responseURL && xhr.status < 400) {
      window.location.assign(xhr.responseURL);
    } else {
      document.open();
      document.write(xhr.responseText);
      document.close();
    }
  });
  xhr.addEventListener("error", function () {
    form.submit();
  });
  xhr.send(new FormData(form));
});
