/*
 * django_b2 direct uploads: the browser sends a file straight to Backblaze B2.
 *
 * 1. POST {name, size, contentType} to the server's "start" endpoint; it answers with a signed
 *    ticket, the staging file name and one or more upload URLs + tokens that can only write into
 *    the staging area (and, for a large file, the part size and count).
 * 2. Compute SHA-1 with Web Crypto (per part for large files) and POST the bytes to B2
 *    (b2_upload_file, or b2_upload_part per part with a few parts in flight).
 *    A failed URL (network error, 401, 408, 429, 5xx) is replaced through "renew" and retried.
 * 3. POST the ticket and the SHA-1(s) to "confirm"; the server checks what B2 holds, copies it
 *    out of staging to its final name and records it.
 *
 * Markup: <form data-b2-direct-upload data-start-url=... data-renew-url=... data-confirm-url=...
 * data-abort-url=... [data-redirect-url=...]> with a file input, a csrfmiddlewaretoken input,
 * an optional <progress> and an element with [data-b2-status]. Programmatic use:
 * window.djangoB2DirectUpload.upload(file, {startUrl, renewUrl, confirmUrl, abortUrl, csrfToken,
 * onProgress}).
 *
 * Web Crypto needs a secure context: HTTPS, or http://localhost / 127.0.0.1 during development.
 */
(function () {
  "use strict";

  var MAX_ATTEMPTS = 5;

  function hex(buffer) {
    var bytes = new Uint8Array(buffer);
    var out = "";
    for (var i = 0; i < bytes.length; i++) {
      out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    }
    return out;
  }

  function sha1Hex(buffer) {
    if (!window.crypto || !window.crypto.subtle) {
      return Promise.reject(new Error(
        "This page is not a secure context (HTTPS or localhost), so the browser cannot compute SHA-1."));
    }
    return window.crypto.subtle.digest("SHA-1", buffer).then(hex);
  }

  // B2 file names travel percent-encoded, "/" kept as is.
  function encodeName(name) {
    return name.split("/").map(function (segment) {
      return encodeURIComponent(segment).replace(/[!'()*]/g, function (c) {
        return "%" + c.charCodeAt(0).toString(16).toUpperCase();
      });
    }).join("/");
  }

  function postJson(url, body, csrfToken) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken || ""},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          throw new Error(data.error || ("The server answered " + response.status + "."));
        }
        return data;
      });
    });
  }

  // One POST to a B2 upload URL. Resolves {status, body}; status 0 means no answer.
  function sendToB2(target, headers, body, onProgress) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", target.uploadUrl);
      xhr.setRequestHeader("Authorization", target.authorizationToken);
      Object.keys(headers).forEach(function (key) { xhr.setRequestHeader(key, headers[key]); });
      xhr.upload.onprogress = function (event) { if (onProgress) { onProgress(event.loaded); } };
      xhr.onload = function () {
        var parsed = null;
        try { parsed = JSON.parse(xhr.responseText); } catch (e) { parsed = null; }
        resolve({status: xhr.status, body: parsed});
      };
      xhr.onerror = function () { resolve({status: 0, body: null}); };
      xhr.ontimeout = xhr.onerror;
      xhr.send(body);
    });
  }

  function retryable(status) {
    return status === 0 || status === 401 || status === 408 || status === 429 || status >= 500;
  }

  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  // Upload with retries; each retry asks the server for a fresh URL (B2's rule for uploads).
  function uploadWithRetry(ctx, target, headers, body, onProgress) {
    var attempt = 0;
    function tryOnce(current) {
      attempt += 1;
      return sendToB2(current, headers, body, onProgress).then(function (result) {
        if (result.status === 200) { return {target: current, body: result.body}; }
        if (!retryable(result.status) || attempt >= MAX_ATTEMPTS) {
          var message = result.body && result.body.message ? result.body.message : "no answer";
          throw new Error("B2 refused the upload (" + result.status + "): " + message);
        }
        if (onProgress) { onProgress(0); }
        return wait(250 * attempt).then(function () {
          return postJson(ctx.renewUrl, {ticket: ctx.ticket}, ctx.csrfToken);
        }).then(tryOnce);
      });
    }
    return tryOnce(target);
  }

  function uploadSimple(file, ctx, plan, report) {
    return file.arrayBuffer().then(function (buffer) {
      return sha1Hex(buffer).then(function (sha1) {
        var headers = {
          "X-Bz-File-Name": encodeName(plan.fileName),
          "Content-Type": plan.contentType,
          "X-Bz-Content-Sha1": sha1
        };
        return uploadWithRetry(ctx, plan.uploadUrls[0], headers, buffer, function (loaded) {
          report(0, loaded);
        }).then(function () {
          return {ticket: plan.ticket, sha1: sha1};
        });
      });
    });
  }

  function uploadLarge(file, ctx, plan, report) {
    var sha1s = new Array(plan.partCount);
    var next = 1;
    function worker(target) {
      if (next > plan.partCount) { return Promise.resolve(); }
      var number = next;
      next += 1;
      var start = (number - 1) * plan.partSize;
      var blob = file.slice(start, Math.min(start + plan.partSize, file.size));
      return blob.arrayBuffer().then(function (buffer) {
        return sha1Hex(buffer).then(function (sha1) {
          sha1s[number - 1] = sha1;
          var headers = {"X-Bz-Part-Number": String(number), "X-Bz-Content-Sha1": sha1};
          return uploadWithRetry(ctx, target, headers, buffer, function (loaded) {
            report(number, loaded);
          });
        });
      }).then(function (done) { return worker(done.target); });
    }
    return Promise.all(plan.uploadUrls.map(worker)).then(function () {
      return {ticket: plan.ticket, partSha1: sha1s};
    });
  }

  function upload(file, options) {
    var ctx = {
      renewUrl: options.renewUrl,
      csrfToken: options.csrfToken,
      ticket: null
    };
    var plan = null;
    var sent = {};
    function report(key, loaded) {
      sent[key] = loaded;
      if (options.onProgress) {
        var total = 0;
        Object.keys(sent).forEach(function (k) { total += sent[k]; });
        options.onProgress(Math.min(total, file.size), file.size);
      }
    }
    return postJson(options.startUrl, {
      name: file.name,
      size: file.size,
      contentType: file.type || ""
    }, options.csrfToken).then(function (answer) {
      plan = answer;
      ctx.ticket = plan.ticket;
      return plan.mode === "large" ? uploadLarge(file, ctx, plan, report)
                                   : uploadSimple(file, ctx, plan, report);
    }).then(function (proof) {
      return postJson(options.confirmUrl, proof, options.csrfToken);
    }).catch(function (error) {
      if (plan && options.abortUrl) {
        return postJson(options.abortUrl, {ticket: plan.ticket}, options.csrfToken)
          .catch(function () { return null; })
          .then(function () { throw error; });
      }
      throw error;
    });
  }

  function csrfFrom(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) { return input.value; }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function bindForm(form) {
    var status = form.querySelector("[data-b2-status]");
    var bar = form.querySelector("progress");
    var input = form.querySelector("input[type=file]");
    var button = form.querySelector("button[type=submit], input[type=submit]");
    function say(text, state) {
      if (status) { status.textContent = text; }
      form.setAttribute("data-b2-state", state);
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var files = Array.prototype.slice.call(input.files || []);
      if (!files.length) { say("Choose a file first.", "idle"); return; }
      var results = [];
      var chain = Promise.resolve();
      if (button) { button.disabled = true; }
      files.forEach(function (file) {
        chain = chain.then(function () {
          say("Uploading " + file.name + "…", "uploading");
          return upload(file, {
            startUrl: form.dataset.startUrl,
            renewUrl: form.dataset.renewUrl,
            confirmUrl: form.dataset.confirmUrl,
            abortUrl: form.dataset.abortUrl,
            csrfToken: csrfFrom(form),
            onProgress: function (loaded, total) {
              if (bar) { bar.max = total || 1; bar.value = loaded; }
            }
          }).then(function (answer) { results.push(answer); });
        });
      });
      chain.then(function () {
        say("Uploaded " + results.length + " file(s).", "done");
        form.dispatchEvent(new CustomEvent("b2:uploaded", {detail: results, bubbles: true}));
        if (form.dataset.redirectUrl) { window.location.assign(form.dataset.redirectUrl); }
      }).catch(function (error) {
        say("Upload failed: " + error.message, "failed");
      }).then(function () {
        if (button) { button.disabled = false; }
      });
    });
    form.setAttribute("data-b2-state", "idle");
  }

  window.djangoB2DirectUpload = {upload: upload, sha1Hex: sha1Hex, encodeName: encodeName};

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-b2-direct-upload]"), bindForm);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
