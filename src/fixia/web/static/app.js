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

// Live messages and the unread badge, over Server-Sent Events (GET /stream, same origin,
// the session cookie). EventSource reconnects by itself and sends Last-Event-ID, so nothing
// is missed across a reconnect. Without JavaScript the badge and the page are right on
// every reload.
(function () {
  var link = document.querySelector("[data-live-stream]");
  if (!link || !window.EventSource) {
    return;
  }
  var badge = document.querySelector("[data-unread-badge]");
  var number = badge && badge.querySelector("[data-unread-number]");
  var list = document.querySelector("[data-live-conversation]");
  var me = list && list.getAttribute("data-me");
  var shown = {};

  function setUnread(count) {
    if (!badge || !number) {
      return;
    }
    number.textContent = String(count);
    badge.hidden = count === 0;
  }

  function markRead(conversationId) {
    var token = document.querySelector("input[name=csrf_token]");
    if (!token || !window.fetch) {
      return;
    }
    var body = new URLSearchParams();
    body.set("csrf_token", token.value);
    fetch("/messages/" + conversationId + "/read", {
      method: "POST", body: body, credentials: "same-origin", redirect: "manual"
    });
  }

  function addMessage(data) {
    if (shown[data.id] || document.getElementById("m-" + data.id)) {
      return;
    }
    shown[data.id] = true;
    var empty = list.querySelector(".empty");
    if (empty) {
      empty.remove();
    }
    var item = document.createElement("li");
    item.className = "card message" + (data.sender_id === me ? " mine" : "");
    item.id = "m-" + data.id;
    var meta = document.createElement("p");
    meta.className = "muted";
    var who = document.createElement("strong");
    who.textContent = data.sender_id === me ? (list.getAttribute("data-you") || "Vos") : data.sender_name;
    meta.appendChild(who);
    var text = document.createElement("p");
    text.className = "body";
    text.textContent = data.body;
    item.appendChild(meta);
    item.appendChild(text);
    list.appendChild(item);
    if (data.sender_id !== me && document.visibilityState === "visible") {
      markRead(data.conversation_id);
    }
  }

  var source = new EventSource(link.getAttribute("data-live-stream"));
  source.addEventListener("unread", function (event) {
    var data = JSON.parse(event.data);
    if (typeof data.messages === "number") {
      setUnread(data.messages);
    }
  });
  source.addEventListener("message", function (event) {
    var data = JSON.parse(event.data);
    if (list && list.getAttribute("data-live-conversation") === data.conversation_id) {
      addMessage(data);
    }
  });
  window.addEventListener("pagehide", function () {
    source.close();
  });
})();
