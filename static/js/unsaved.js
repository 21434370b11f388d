// Nothing typed is lost, and no failed save looks like a success.
//
// 1. Every htmx request that fails (401 after idle sign-out, 403, other 4xx, 500, a lost network, a
//    timeout) shows, in the form it came from, that nothing was saved; what was typed stays in the
//    fields. After a sign-out the message links to the sign-in page.
// 2. A form marked data-unsaved="<name>" keeps a copy of what was typed in this tab's sessionStorage
//    when its work is interrupted: the idle sign-out, a failed request, a page reload asked for by the
//    server, or while it is being sent. After signing in again (or reloading), the copy is put back
//    in the form with a notice that it has not been saved yet. A copy is dropped once the server says
//    the form was saved (<meta name="clinic-saved-submissions">), when the page shows the same
//    submission again (a refused form the server re-rendered), when a different user signs in in this
//    tab, or after 12 hours. Each form carries a submission id, so sending a copy of something that
//    was in fact saved charts nothing twice. Password fields are never copied.
//    What was typed is patient information: the copy is encrypted (AES-GCM, WebCrypto) with a key the
//    server gives only to the signed-in user who typed it (data-unsaved-key), so the sign-in page, or
//    another user in the same tab, holds only ciphertext. Without WebCrypto (plain HTTP on another
//    host than localhost) no copy is kept: the values still stay in the page after a failed request.
// 3. A time field named by data-unsaved-time that was left blank ("now") is filled with the time the
//    copy was typed, so a reading sent late is charted at the time it was taken, as a late entry.
(function () {
  "use strict";
  var body = document.body;
  var user = body.dataset.userId || "";
  var loginUrl = body.dataset.loginUrl || "/accounts/login/";
  // Copies are kept per page: its own address, also when the page is a refused form's answer.
  var pagePath = (body.dataset.pageUrl || window.location.pathname).split("?")[0];
  var offsetMinutes = parseInt(body.dataset.utcOffsetMinutes || "0", 10);
  var PREFIX = "clinic-unsaved:";
  var MAX_AGE = 12 * 3600 * 1000;
  var store;
  try { store = window.sessionStorage; store.getItem("x"); } catch (e) { store = null; }
  var subtle = window.crypto && window.crypto.subtle;
  var cryptoKey = null;
  var rawKey = body.dataset.unsavedKey || "";
  var keyReady = (subtle && rawKey) ? subtle.importKey(
    "raw", Uint8Array.from(atob(rawKey), function (c) { return c.charCodeAt(0); }), "AES-GCM", false,
    ["encrypt", "decrypt"]
  ).then(function (k) { cryptoKey = k; return k; }, function () { return null; }) : Promise.resolve(null);
  // The latest sealed (encrypted) copy of each form, ready to be written at once when the page is
  // about to go (a reload the server asks for, a form being sent): encryption is asynchronous.
  var sealed = {};
  var encoder = new TextEncoder();
  var decoder = new TextDecoder();

  function b64(bytes) { return btoa(String.fromCharCode.apply(null, new Uint8Array(bytes))); }
  function unb64(text) { return Uint8Array.from(atob(text), function (c) { return c.charCodeAt(0); }); }

  if (window.htmx) {
    // A server that does not answer within 30 s is a failure the nurse must see, not a spinner.
    window.htmx.config.timeout = 30000;
  }

  function key(name) { return PREFIX + user + ":" + pagePath + ":" + name; }

  function fieldsOf(form) {
    var values = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.name === "csrfmiddlewaretoken") { return; }
      var type = (el.type || "").toLowerCase();
      if (type === "password" || type === "file" || type === "submit" || type === "button") { return; }
      if ((type === "radio" || type === "checkbox") && !el.checked) { return; }
      if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.selectedOptions, function (o) { values.push([el.name, o.value]); });
        return;
      }
      values.push([el.name, el.value]);
    });
    return values;
  }

  function typedSomething(form) {
    return Array.prototype.some.call(form.elements, function (el) {
      var type = (el.type || "").toLowerCase();
      if (!el.name || type === "hidden" || type === "password" || type === "submit") { return false; }
      if (type === "radio" || type === "checkbox") { return el.checked !== el.defaultChecked; }
      if (el.tagName === "SELECT") {
        if (el.multiple) {
          return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
        }
        // A single select with no option marked selected starts on its first option.
        var initial = Array.prototype.findIndex.call(el.options, function (o) { return o.defaultSelected; });
        return el.selectedIndex !== Math.max(initial, 0);
      }
      return el.value !== el.defaultValue;
    });
  }

  function submissionOf(form) {
    var field = form.querySelector("input[name=submission_id]");
    return field ? field.value : "";
  }

  function snapshot(form) {
    // When it was typed, not when the copy is made (a sign-out comes long after the last key).
    var at = parseInt(form.dataset.typedAt || "0", 10) || Date.now();
    return { at: at, submission: submissionOf(form), fields: fieldsOf(form) };
  }

  function seal(form) {
    var name = form.dataset.unsaved;
    var plain = snapshot(form);
    return keyReady.then(function (k) {
      if (!k) { return null; }
      var iv = window.crypto.getRandomValues(new Uint8Array(12));
      return subtle.encrypt({ name: "AES-GCM", iv: iv }, k, encoder.encode(JSON.stringify(plain)))
        .then(function (data) {
          sealed[name] = { at: plain.at, submission: plain.submission, iv: b64(iv), data: b64(data) };
          return sealed[name];
        });
    });
  }

  function write(name, copy) {
    try {
      store.setItem(key(name), JSON.stringify({
        at: copy.at, submission: copy.submission, iv: copy.iv, data: copy.data
      }));
    } catch (e) { /* storage full or refused: the fields still hold the values */ }
  }

  function keep(form) {
    // Written at once from the latest sealed copy (the page may be about to go), then again when
    // the current values are sealed. The returned promise resolves when the copy is up to date.
    if (!store || !user) { return Promise.resolve(); }
    var name = form.dataset.unsaved;
    if (sealed[name]) { write(name, sealed[name]); }
    return seal(form).then(function (copy) { if (copy) { write(name, copy); } });
  }

  function open(copy) {
    return keyReady.then(function (k) {
      if (!k || !copy.iv || !copy.data) { return null; }
      return subtle.decrypt({ name: "AES-GCM", iv: unb64(copy.iv) }, k, unb64(copy.data))
        .then(function (plain) { return JSON.parse(decoder.decode(plain)); }, function () { return null; });
    });
  }

  function forget(form) { if (store && user) { store.removeItem(key(form.dataset.unsaved)); } }

  function keepAllTyped(except) {
    var pending = [];
    document.querySelectorAll("form[data-unsaved]").forEach(function (form) {
      if (form !== except && typedSomething(form)) { pending.push(keep(form)); }
    });
    return Promise.all(pending);
  }

  function clockTime(at) {
    // HH:MM in the clinic's time zone (the server gives its offset), not the device's.
    var shifted = new Date(at + offsetMinutes * 60000);
    return String(shifted.getUTCHours()).padStart(2, "0") + ":" + String(shifted.getUTCMinutes()).padStart(2, "0");
  }

  function restore(form, copy) {
    var byName = {};
    copy.fields.forEach(function (pair) { (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]); });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !(el.name in byName) || el.name === "csrfmiddlewaretoken") { return; }
      var type = (el.type || "").toLowerCase();
      var values = byName[el.name];
      if (type === "password" || type === "file") { return; }
      if (type === "radio" || type === "checkbox") { el.checked = values.indexOf(el.value) !== -1; return; }
      if (el.tagName === "SELECT") {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = values.indexOf(o.value) !== -1; });
        return;
      }
      el.value = values[0];
    });
    var timeName = form.dataset.unsavedTime;
    var timeField = timeName && form.elements[timeName];
    if (timeField && !timeField.value) { timeField.value = clockTime(copy.at); }
    var details = form.closest("details");
    if (details) { details.open = true; }
    var label = buttonLabel(form) || "Save";
    var note = document.createElement("div");
    note.className = "alert alert-warning py-2 unsaved-restored";
    note.setAttribute("role", "status");
    note.tabIndex = -1;
    note.innerHTML = "<strong>Not saved yet.</strong> This is what you typed at <span class='restored-at'></span>" +
      " before the page was interrupted. Check it, then press “<span class='restored-button'></span>”. " +
      "<button type='button' class='btn btn-link btn-sm p-0 align-baseline unsaved-discard'>Discard it</button>";
    note.querySelector(".restored-at").textContent = clockTime(copy.at);
    note.querySelector(".restored-button").textContent = label;
    note.querySelector(".unsaved-discard").addEventListener("click", function () {
      forget(form);
      window.location.reload();
    });
    form.insertBefore(note, form.firstChild);
    form.dataset.typedAt = String(copy.at);
    // Keep the copy until the server says it is saved: it is still what nobody has saved.
    keep(form);
    if (!restore.focused) { restore.focused = true; form.scrollIntoView({ block: "center" }); note.focus(); }
  }

  function restoreAll() {
    if (!store) { return; }
    var savedMeta = document.querySelector("meta[name=clinic-saved-submissions]");
    var saved = savedMeta ? savedMeta.content.split(/\s+/) : [];
    for (var i = store.length - 1; i >= 0; i--) {
      var k = store.key(i);
      if (!k || k.indexOf(PREFIX) !== 0) { continue; }
      var copy;
      try { copy = JSON.parse(store.getItem(k)); } catch (e) { store.removeItem(k); continue; }
      var owner = k.slice(PREFIX.length).split(":")[0];
      if (!user) { continue; }  // the sign-in page: keep everything until someone signs in
      if (owner !== user || !copy || Date.now() - copy.at > MAX_AGE ||
          (copy.submission && saved.indexOf(copy.submission) !== -1)) {
        store.removeItem(k);
      }
    }
    if (!user) { return; }
    document.querySelectorAll("form[data-unsaved]").forEach(function (form) {
      var raw = store.getItem(key(form.dataset.unsaved));
      if (!raw) { return; }
      var copy = JSON.parse(raw);
      if (copy.submission && copy.submission === submissionOf(form)) {
        // The server re-rendered this very submission (refused, with its reasons): it shows the values.
        forget(form);
        return;
      }
      open(copy).then(function (plain) {
        if (plain) { restore(form, plain); } else { forget(form); }  // not ours to read: drop it
      });
    });
  }

  // --- Failed requests -------------------------------------------------------------------------------

  function describe(status, verb, button, reason) {
    var saving = verb && verb.toLowerCase() !== "get";
    var lead = saving ? "Not saved." : "Not updated.";
    var kept = saving ? " What you typed is still here." : "";
    var again = button ? "press “" + button + "” again" : "try again";
    if (status === 400 && reason) {
      // The server said what it could not accept (a NUL byte pasted into a field): say it as it is.
      return { text: lead + " " + reason + kept };
    }
    if (status === 0) {
      return { text: lead + " Clinic could not be reached (network or server down)." + kept +
        " When the connection is back, " + again + "." };
    }
    if (status === 401) {
      return { text: lead + " You were signed out." + kept + " Sign in again: it comes back, then " + again + ".",
        signIn: true };
    }
    if (status === 403) {
      return { text: lead + " Clinic refused this (403): you may have signed in again in another tab, " +
        "or you may not do this." + kept + " Reload the page: it comes back.", reload: true };
    }
    if (status >= 500) {
      return { text: lead + " Clinic had a problem (error " + status + ")." + kept + " " +
        again.charAt(0).toUpperCase() + again.slice(1) + "; if it happens again, tell your administrator." };
    }
    return { text: lead + " Clinic could not accept this request (error " + status + ")." + kept +
      " Reload the page and try again.", reload: true };
  }

  function buttonLabel(form) {
    if (!form) { return ""; }
    var button = form.querySelector("button[type=submit], button:not([type])");
    return form.dataset.unsavedButton || (button ? button.textContent.trim() : "");
  }

  function showFailure(elt, status, verb, reason) {
    var form = elt && (elt.tagName === "FORM" ? elt : elt.closest("form"));
    var place = form || document.querySelector("main") || body;
    var old = place.querySelector(":scope > .request-failed");
    if (old) { old.remove(); }
    var message = describe(status, verb, buttonLabel(form), reason);
    var box = document.createElement("div");
    box.className = "alert alert-danger request-failed";
    box.setAttribute("role", "alert");
    var text = document.createElement("span");
    text.textContent = message.text + " ";
    box.appendChild(text);
    if (message.signIn || message.reload) {
      var link = document.createElement("a");
      link.className = "alert-link";
      var here = body.dataset.pageUrl || window.location.pathname;
      link.href = message.signIn ? loginUrl + "?next=" + encodeURIComponent(here) : here;
      link.textContent = message.signIn ? "Sign in again" : "Reload the page";
      link.addEventListener("click", function (event) {
        event.preventDefault();
        keepAllTyped().then(function () { window.location.assign(link.href); });
      });
      box.appendChild(link);
    }
    place.insertBefore(box, place.firstChild);
    if (form && form.dataset.unsaved) { keep(form); }
    keepAllTyped();
  }

  function clearFailure(elt) {
    var form = elt && (elt.tagName === "FORM" ? elt : elt.closest("form"));
    var box = form && form.querySelector(":scope > .request-failed");
    if (box) { box.remove(); }
  }

  function plainReason(xhr) {
    // Only a short plain-text answer is the server's reason; an HTML error page is not shown as text.
    var type = xhr.getResponseHeader("Content-Type") || "";
    var text = (xhr.responseText || "").trim();
    return type.indexOf("text/plain") === 0 && text.length <= 500 ? text : "";
  }

  body.addEventListener("htmx:responseError", function (event) {
    var detail = event.detail;
    showFailure(detail.elt, detail.xhr.status, detail.requestConfig && detail.requestConfig.verb,
      plainReason(detail.xhr));
  });
  body.addEventListener("htmx:sendError", function (event) {
    showFailure(event.detail.elt, 0, event.detail.requestConfig && event.detail.requestConfig.verb);
  });
  body.addEventListener("htmx:timeout", function (event) {
    showFailure(event.detail.elt, 0, event.detail.requestConfig && event.detail.requestConfig.verb);
  });
  body.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.tagName === "FORM" && form.dataset.unsaved &&
        (event.detail.requestConfig.verb || "").toLowerCase() !== "get") {
      keep(form);
    }
  });
  // Before the answer is swapped in (the form may be replaced by it, and events on a removed element
  // no longer reach the body) and before a reload the server may ask for.
  body.addEventListener("htmx:beforeOnLoad", function (event) {
    var detail = event.detail;
    if (detail.xhr.status >= 400) { return; }
    clearFailure(detail.elt);
    var form = detail.elt;
    if (form && form.tagName === "FORM" && form.dataset.unsaved &&
        (detail.requestConfig.verb || "").toLowerCase() !== "get") {
      forget(form);
    }
    if (detail.xhr.getResponseHeader("HX-Refresh") === "true") {
      keepAllTyped(form);  // the reload must not lose what is typed in the other forms
    }
  });

  ["input", "change"].forEach(function (name) {
    body.addEventListener(name, function (event) {
      var form = event.target.closest && event.target.closest("form[data-unsaved]");
      if (!form) { return; }
      form.dataset.typedAt = String(Date.now());
      window.clearTimeout(form._sealTimer);
      form._sealTimer = window.setTimeout(function () { seal(form); }, 300);
    });
  });

  // A plain form being sent: keep a copy until the next page says whether it was saved.
  body.addEventListener("submit", function (event) {
    var form = event.target;
    // Only a form with a submission id: the next page can then say whether it was saved.
    if (form.dataset && form.dataset.unsaved && submissionOf(form)) { keep(form); }
  });

  window.ClinicUnsaved = { keepAllTyped: keepAllTyped };
  restoreAll();
})();
