/* Signature pads (Y3.3, N11: the inspectors; Y3.5: the target's representative): drawn with a
 * finger or a stylus (pointer events, touch events where there are none), sent as a PNG. A
 * signature confirmed while offline is kept in localStorage and sent when the network returns —
 * except a colleague's, which their PIN or password confirms online (never stored). */
(function () {
  "use strict";

  var form = document.getElementById("record-form");
  if (!form || !window.inspectRecord) {
    return;
  }
  var M = window.inspectRecord.messages;
  var csrf = window.inspectRecord.csrf;
  var url = form.dataset.signatureUrl;
  var KEY = "inspect-signatures-" + form.dataset.record;

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) {
      return values[key];
    });
  }

  function queued() {
    try {
      return JSON.parse(localStorage.getItem(KEY) || "[]");
    } catch (e) {
      return [];
    }
  }

  function keep(list) {
    window.inspectRecord.waiting("signatures", list.length);
    try {
      if (list.length) {
        localStorage.setItem(KEY, JSON.stringify(list));
      } else {
        localStorage.removeItem(KEY);
      }
    } catch (e) {
      /* nothing more to do */
    }
  }

  function signerOf(body) {
    var selector =
      body.role === "inspector"
        ? '.signer[data-inspector="' + body.inspector + '"]'
        : '.signer[data-role="representative"]';
    return document.querySelector(selector);
  }

  function say(signer, kind, text) {
    var msg = signer && signer.querySelector(".pad__msg");
    if (msg) {
      msg.dataset.kind = kind;
      msg.textContent = text;
    }
  }

  function showSigned(signer, answer) {
    var pad = signer.querySelector(".pad");
    var canvas = pad && pad.querySelector("canvas");
    var figure = document.createElement("figure");
    figure.className = "signature";
    var img = document.createElement("img");
    if (canvas) {
      // The size is known before the image arrives: nothing below it jumps when it does.
      img.width = canvas.width;
      img.height = canvas.height;
    }
    img.src = answer.url;
    img.alt = answer.name;
    var caption = document.createElement("figcaption");
    caption.textContent =
      fmt(M.sign_saved, { time: answer.signed_at }) +
      (answer.confirmed ? " · " + answer.confirmed : "");
    figure.append(img, caption);
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "btn btn--ghost-dark btn--small";
    remove.dataset.signatureRemove = answer.remove_url;
    remove.textContent = M.sign_remove;
    if (pad) {
      pad.replaceWith(figure, remove);
    }
  }

  function post(body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrf,
      },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (answer) {
          if (response.status >= 500 || response.status === 401) {
            throw new Error("retry later");
          }
          return { ok: response.ok, answer: answer };
        });
    });
  }

  /* Send one signature; the record's fields go first (the representative signs under the name
   * just typed). Resolves true when the server has it. */
  function sign(body) {
    var signer = signerOf(body);
    if (!navigator.onLine) {
      return Promise.reject(new Error("offline"));
    }
    return window.inspectRecord
      .flush()
      .then(function () {
        return post(body);
      })
      .then(function (result) {
        if (result.ok) {
          showSigned(signer, result.answer);
          return true;
        }
        if (result.answer.code === "signature_twice") {
          window.location.reload(); // signed already (an earlier try did arrive): show it
          return true;
        }
        say(signer, "error", result.answer.error || "");
        return true; // refused for a reason to fix on the page; not kept for later
      });
  }

  function queue(body) {
    var list = queued().filter(function (b) {
      return !(b.role === body.role && b.inspector === body.inspector);
    });
    list.push(body);
    keep(list);
    say(signerOf(body), "offline", M.sign_queued);
    window.inspectRecord.offline();
    later();
  }

  var sending = false;
  var retry = null;

  function later() {
    clearTimeout(retry);
    retry = setTimeout(sendQueued, 5000);
  }

  /* One at a time, oldest first; a signature goes only once the one before it has. */
  function sendQueued() {
    var list = queued();
    if (!list.length || sending) {
      return;
    }
    sending = true;
    sign(list[0])
      .then(function () {
        sending = false;
        keep(queued().slice(1));
        sendQueued();
      })
      .catch(function () {
        sending = false;
        window.inspectRecord.offline();
        later();
      });
  }

  function setupPad(pad) {
    var signer = pad.closest(".signer");
    var canvas = pad.querySelector(".pad__canvas");
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var inked = false;
    var last = null;

    function fit() {
      if (inked) {
        return; // resizing would wipe the ink; CSS scales the bitmap instead
      }
      var ratio = window.devicePixelRatio || 1;
      var rect = canvas.getBoundingClientRect();
      canvas.width = Math.max(1, Math.round(rect.width * ratio));
      canvas.height = Math.max(1, Math.round(rect.height * ratio));
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 3;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#000";
    }

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      var scaleX = canvas.width / (window.devicePixelRatio || 1) / rect.width;
      var scaleY = canvas.height / (window.devicePixelRatio || 1) / rect.height;
      return { x: (event.clientX - rect.left) * scaleX, y: (event.clientY - rect.top) * scaleY };
    }

    function start(event) {
      drawing = true;
      last = point(event);
      ctx.beginPath();
      ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, Math.PI * 2);
      ctx.fillStyle = "#000";
      ctx.fill();
      inked = true;
    }

    function move(event) {
      if (!drawing) {
        return;
      }
      var p = point(event);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      last = p;
    }

    function end() {
      drawing = false;
    }

    if (window.PointerEvent) {
      canvas.addEventListener("pointerdown", function (event) {
        event.preventDefault();
        canvas.setPointerCapture(event.pointerId);
        start(event);
      });
      canvas.addEventListener("pointermove", function (event) {
        if (!drawing) {
          return;
        }
        var events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
        (events.length ? events : [event]).forEach(move);
      });
      canvas.addEventListener("pointerup", end);
      canvas.addEventListener("pointercancel", end);
    } else {
      canvas.addEventListener(
        "touchstart",
        function (event) {
          event.preventDefault();
          start(event.touches[0]);
        },
        { passive: false }
      );
      canvas.addEventListener(
        "touchmove",
        function (event) {
          event.preventDefault();
          move(event.touches[0]);
        },
        { passive: false }
      );
      canvas.addEventListener("touchend", end);
      canvas.addEventListener("mousedown", start);
      canvas.addEventListener("mousemove", move);
      window.addEventListener("mouseup", end);
    }

    pad.querySelector("[data-pad-clear]").addEventListener("click", function () {
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.restore();
      inked = false;
      say(signer, "info", "");
      fit();
    });

    pad.querySelector("[data-pad-save]").addEventListener("click", function () {
      if (!inked) {
        say(signer, "error", M.sign_empty);
        return;
      }
      var body = {
        role: signer.dataset.role,
        inspector: signer.dataset.inspector ? parseInt(signer.dataset.inspector, 10) : null,
        image: canvas.toDataURL("image/png"),
      };
      // A colleague confirms their own signature with their PIN or password (Y3.3, N11). It is
      // checked by the server at once and never kept on the device: no offline queue for it.
      var credential = pad.querySelector("[data-pad-credential]");
      if (credential && !credential.value) {
        say(signer, "error", M.sign_credential_empty);
        credential.focus();
        return;
      }
      var button = this;
      button.disabled = true;
      if (credential) {
        var withCredential = Object.assign({ credential: credential.value }, body);
        credential.value = "";
        sign(withCredential)
          .catch(function () {
            say(signer, "error", M.sign_needs_network);
          })
          .then(function () {
            button.disabled = false;
          });
        return;
      }
      sign(body)
        .catch(function () {
          queue(body);
        })
        .then(function () {
          button.disabled = false;
        });
    });

    fit();
    window.addEventListener("resize", fit);
  }

  document.querySelectorAll(".pad").forEach(setupPad);

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-signature-remove]");
    if (!button || !window.confirm(M.sign_remove_confirm)) {
      return;
    }
    fetch(button.dataset.signatureRemove, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf },
    }).then(function (response) {
      if (response.ok) {
        window.location.reload();
      }
    });
  });

  window.addEventListener("online", sendQueued);
  window.inspectRecord.whenOnline(sendQueued);
  if (queued().length) {
    window.inspectRecord.waiting("signatures", queued().length);
  }
  sendQueued();
})();
