/* The check record on the tablet: nothing typed is lost (issue 4 §1).
 *
 * Every change is kept at once in localStorage, then sent to the server (debounced JSON POST with
 * CSRF) as the changed fields, numbered with a revision above the server's. The server applies a
 * revision only once and answers with the record as it is, so a save sent twice — a retry after
 * the network dropped, a page reloaded before the answer came — changes nothing the second time.
 * A change counts as saved when the server holds its value; until then it stays on the device and
 * is sent again when the network returns (the online event, and a retry with back-off).
 *
 * Evidence picked while offline waits in IndexedDB and is uploaded when the network returns (the
 * server keeps a file sent twice once).
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");
  var form = document.getElementById("record-form");
  if (!form) {
    return;
  }
  var M = JSON.parse(document.getElementById("inspect-messages").textContent);
  var server = JSON.parse(document.getElementById("record-state").textContent);
  var recordId = form.dataset.record;
  var KEY = "inspect-record-" + recordId;
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var statusBox = document.getElementById("save-status");
  var statusText = statusBox.querySelector(".status__text");
  var TYPING_DELAY = 800;
  var CHOICE_DELAY = 250;
  var FIRST_RETRY = 2000;
  var MAX_RETRY = 15000;

  var pending = { fields: {}, items: {} };
  var counter = server.revision; // the highest revision known or used
  var batchRevision = null; // the revision of what is pending, once it has been sent
  var inflight = null;
  var timer = null;
  var retryTimer = null;
  var retryDelay = 0;
  var blocked = false; // the server refused the last save: wait for the next change

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) {
      return values[key];
    });
  }

  function setStatus(state, text) {
    statusBox.dataset.state = state;
    statusText.textContent = text;
  }

  function clock() {
    var now = new Date();
    return String(now.getHours()).padStart(2, "0") + ":" + String(now.getMinutes()).padStart(2, "0");
  }

  /* Photos and signatures waiting for the network count too: the line says "saved" only when
   * the server has everything. */
  var waitingFor = {};

  function waiting() {
    return Object.keys(waitingFor).reduce(function (sum, key) {
      return sum + waitingFor[key];
    }, 0);
  }

  function setWaiting(what, count) {
    var before = waiting();
    waitingFor[what] = count;
    if (waiting() > before && statusBox.dataset.state !== "offline") {
      setStatus("syncing", M.syncing);
    } else if (!waiting() && isEmpty(pending)) {
      setStatus("saved", fmt(M.saved_at, { time: clock() }));
    }
  }

  function isEmpty(p) {
    return !Object.keys(p.fields).length && !Object.keys(p.items).length;
  }

  function clone(value) {
    return JSON.parse(JSON.stringify(value));
  }

  function persist() {
    try {
      if (isEmpty(pending)) {
        localStorage.removeItem(KEY);
      } else {
        localStorage.setItem(
          KEY,
          JSON.stringify({
            revision: batchRevision,
            counter: counter,
            fields: pending.fields,
            items: pending.items,
            at: Date.now(),
          })
        );
      }
    } catch (e) {
      /* storage blocked or full: the server's copy is what there is */
    }
  }

  /* --- The form's controls ------------------------------------------------------------------ */

  function controlKey(name) {
    var match = /^item-(\d+)-(\w+)$/.exec(name || "");
    if (match) {
      return { item: match[1], field: match[2] };
    }
    if (name && Object.prototype.hasOwnProperty.call(server.fields, name)) {
      return { field: name };
    }
    return null;
  }

  function valueOf(name) {
    var elements = form.querySelectorAll('[name="' + name + '"]');
    var first = elements[0];
    if (first.type === "checkbox") {
      return first.checked;
    }
    if (first.type === "radio") {
      for (var i = 0; i < elements.length; i++) {
        if (elements[i].checked) {
          return elements[i].value;
        }
      }
      return "";
    }
    return first.value;
  }

  function setValue(name, value) {
    form.querySelectorAll('[name="' + name + '"]').forEach(function (el) {
      if (el.type === "checkbox") {
        el.checked = Boolean(value);
      } else if (el.type === "radio") {
        el.checked = el.value === value;
      } else {
        el.value = value;
      }
    });
  }

  function remember(name) {
    var key = controlKey(name);
    if (!key) {
      return false;
    }
    var value = valueOf(name);
    if (key.item) {
      pending.items[key.item] = pending.items[key.item] || {};
      pending.items[key.item][key.field] = value;
    } else {
      pending.fields[key.field] = value;
    }
    batchRevision = null; // something new: the next send is a new revision
    blocked = false;
    persist();
    return true;
  }

  /* --- Sending ------------------------------------------------------------------------------ */

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(send, delay);
  }

  function scheduleRetry() {
    clearTimeout(retryTimer);
    retryDelay = Math.min(MAX_RETRY, retryDelay ? retryDelay * 2 : FIRST_RETRY);
    retryTimer = setTimeout(send, retryDelay);
  }

  /* The network is back (the online event, or any request that went through): everything
   * waiting goes now. navigator.onLine is only a hint — a tablet on a Wi-Fi without internet
   * says online — so every queue also retries on its own timer. */
  var whenOnline = [];
  function kick() {
    whenOnline.forEach(function (fn) {
      fn();
    });
  }

  function acknowledge(sent, state) {
    counter = Math.max(counter, state.revision);
    Object.keys(sent.fields).forEach(function (name) {
      var held = state.fields[name] === sent.fields[name];
      if ((held || state.applied) && pending.fields[name] === sent.fields[name]) {
        delete pending.fields[name];
      }
    });
    Object.keys(sent.items).forEach(function (id) {
      var serverItem = state.items[id] || {};
      var mine = pending.items[id] || {};
      Object.keys(sent.items[id]).forEach(function (field) {
        var held = serverItem[field] === sent.items[id][field];
        if ((held || state.applied) && mine[field] === sent.items[id][field]) {
          delete mine[field];
        }
      });
      if (pending.items[id] && !Object.keys(pending.items[id]).length) {
        delete pending.items[id];
      }
    });
    if (!isEmpty(pending)) {
      // Newer changes, or another tablet saved in between: send what remains above its revision.
      batchRevision = null;
    }
  }

  function send() {
    clearTimeout(timer);
    timer = null;
    if (inflight) {
      return inflight;
    }
    if (isEmpty(pending)) {
      return Promise.resolve(true);
    }
    if (blocked) {
      return Promise.resolve(false);
    }
    if (!navigator.onLine) {
      setStatus("offline", M.offline);
      scheduleRetry();
      return Promise.resolve(false);
    }
    if (batchRevision === null) {
      counter += 1;
      batchRevision = counter;
    }
    persist();
    var sent = clone(pending);
    setStatus("syncing", M.syncing);
    inflight = fetch(form.dataset.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrf,
      },
      body: JSON.stringify({ revision: batchRevision, fields: sent.fields, items: sent.items }),
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (body) {
            return { response: response, body: body };
          });
      })
      .then(function (answer) {
        inflight = null;
        var response = answer.response;
        var body = answer.body;
        if (response.ok) {
          retryDelay = 0;
          kick();
          acknowledge(sent, body);
          persist();
          if (isEmpty(pending)) {
            if (waiting()) {
              setStatus("syncing", M.syncing);
            } else {
              setStatus("saved", fmt(M.saved_at, { time: clock() }));
            }
            return true;
          }
          schedule(100);
          return false;
        }
        if (response.status === 401) {
          setStatus("error", M.login);
          return false;
        }
        if (response.status === 409) {
          pending = { fields: {}, items: {} };
          persist();
          setStatus("error", M.locked);
          return false;
        }
        if (response.status >= 500) {
          throw new Error("server " + response.status);
        }
        blocked = true;
        setStatus("error", fmt(M.failed, { error: body.error || response.status }));
        return false;
      })
      .catch(function () {
        inflight = null;
        setStatus("offline", M.offline);
        scheduleRetry();
        return false;
      });
    return inflight;
  }

  /* After the network comes back, or when the page is left: send what is pending. */
  function flush() {
    return send().then(function (done) {
      return done && isEmpty(pending);
    });
  }

  /* --- Events ------------------------------------------------------------------------------- */

  form.addEventListener("input", function (event) {
    var el = event.target;
    if (el.type === "file") {
      return;
    }
    if (remember(el.name)) {
      setStatus(navigator.onLine ? "pending" : "offline", navigator.onLine ? M.pending : M.offline);
      var typing = el.tagName === "TEXTAREA" || el.type === "text";
      schedule(typing ? TYPING_DELAY : CHOICE_DELAY);
    }
    if (el.name === "representative_name") {
      document.querySelectorAll("[data-representative-name]").forEach(function (span) {
        span.textContent = el.value;
      });
    }
  });

  form.addEventListener("change", function (event) {
    var el = event.target;
    if (el.type === "file") {
      return;
    }
    if (remember(el.name)) {
      schedule(CHOICE_DELAY);
    }
  });

  // The form's own submit (Enter, "立即保存"): save now through the same path.
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.getAttribute("formaction")) {
      return; // evidence buttons without scripts (handled below when scripts run)
    }
    event.preventDefault();
    send();
  });

  window.addEventListener("online", function () {
    retryDelay = 0;
    clearTimeout(retryTimer);
    send();
    kick();
  });
  window.addEventListener("offline", function () {
    if (!isEmpty(pending)) {
      setStatus("offline", M.offline);
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      send();
    }
  });

  // Submitting: first everything pending must be on the server.
  var submitForm = document.getElementById("submit-form");
  if (submitForm) {
    submitForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = submitForm.querySelector("button");
      button.disabled = true;
      flush().then(function (done) {
        button.disabled = false;
        if (done) {
          localStorage.removeItem(KEY);
          HTMLFormElement.prototype.submit.call(submitForm);
        } else {
          setStatus("error", M.submit_offline);
        }
      });
    });
  }

  /* --- What this device kept from before (a reload, the tablet restarted) ------------------- */

  function restore() {
    var stored = null;
    try {
      stored = JSON.parse(localStorage.getItem(KEY) || "null");
    } catch (e) {
      stored = null;
    }
    if (!stored || server.status !== "draft") {
      localStorage.removeItem(KEY);
      return false;
    }
    counter = Math.max(counter, stored.counter || 0, stored.revision || 0);
    // Not yet applied by the server: resend under the same revision (applied once).
    batchRevision = stored.revision && stored.revision > server.revision ? stored.revision : null;
    Object.keys(stored.fields || {}).forEach(function (name) {
      if (server.fields[name] !== stored.fields[name] && controlKey(name)) {
        pending.fields[name] = stored.fields[name];
        setValue(name, stored.fields[name]);
      }
    });
    Object.keys(stored.items || {}).forEach(function (id) {
      var held = server.items[id];
      if (!held) {
        return; // not a row of this record
      }
      Object.keys(stored.items[id]).forEach(function (field) {
        if (held[field] !== stored.items[id][field]) {
          pending.items[id] = pending.items[id] || {};
          pending.items[id][field] = stored.items[id][field];
          setValue("item-" + id + "-" + field, stored.items[id][field]);
        }
      });
    });
    persist();
    return !isEmpty(pending);
  }

  /* --- Evidence ----------------------------------------------------------------------------- */

  var maxBytes = parseInt(form.dataset.maxBytes, 10);

  function sizeText(bytes) {
    if (bytes >= 1024 * 1024) {
      return (bytes / 1024 / 1024).toFixed(1) + " MB";
    }
    return Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  function uploadBox(item) {
    return form.querySelector('.upload[data-upload-item="' + (item || "") + '"]');
  }

  function say(box, kind, text) {
    var msg = box.querySelector(".upload__msg");
    msg.dataset.kind = kind;
    msg.textContent = text;
  }

  function evidenceEntry(evidence) {
    var li = document.createElement("li");
    li.className = "evidence__entry";
    li.dataset.evidence = evidence.id;
    var link = document.createElement("a");
    link.className = "evidence__thumb";
    link.href = evidence.url;
    link.target = "_blank";
    link.rel = "noopener";
    if (evidence.is_image) {
      var img = document.createElement("img");
      img.src = evidence.url;
      img.alt = evidence.name;
      link.appendChild(img);
    } else {
      var pdf = document.createElement("span");
      pdf.className = "evidence__pdf";
      pdf.textContent = "PDF";
      link.appendChild(pdf);
    }
    var meta = document.createElement("span");
    meta.className = "evidence__meta";
    var name = document.createElement("span");
    name.className = "evidence__name";
    name.textContent = evidence.name;
    var size = document.createElement("span");
    size.className = "evidence__size";
    size.textContent = sizeText(evidence.size);
    meta.append(name, size);
    var remove = document.createElement("button");
    remove.type = "submit";
    remove.className = "btn btn--danger btn--small";
    remove.setAttribute("formaction", evidence.remove_url);
    remove.dataset.remove = evidence.remove_url;
    remove.textContent = M.remove;
    li.append(link, meta, remove);
    return li;
  }

  function listFor(item) {
    return form.querySelector('[data-evidence-list="' + (item || "") + '"]');
  }

  /* Files waiting to go up, kept in IndexedDB so that a reload does not lose a photo. */
  var uploads = (function () {
    var memory = [];
    var running = false;
    var dbPromise = null;
    var retry = null;

    function later() {
      clearTimeout(retry);
      retry = setTimeout(run, 5000);
    }

    function db() {
      if (!dbPromise) {
        dbPromise = new Promise(function (resolve) {
          if (!window.indexedDB) {
            resolve(null);
            return;
          }
          var request = indexedDB.open("inspect-uploads", 1);
          request.onupgradeneeded = function () {
            request.result.createObjectStore("files", { keyPath: "id" });
          };
          request.onsuccess = function () {
            resolve(request.result);
          };
          request.onerror = function () {
            resolve(null);
          };
        });
      }
      return dbPromise;
    }

    function store(mode, work) {
      return db().then(function (database) {
        if (!database) {
          return null;
        }
        return new Promise(function (resolve) {
          var tx = database.transaction("files", mode);
          var result = work(tx.objectStore("files"));
          tx.oncomplete = function () {
            resolve(result && result.result);
          };
          tx.onerror = tx.onabort = function () {
            resolve(null);
          };
        });
      });
    }

    function add(entry) {
      memory.push(entry);
      setWaiting("uploads", memory.length);
      return store("readwrite", function (files) {
        return files.put(entry);
      });
    }

    function drop(entry) {
      memory = memory.filter(function (e) {
        return e.id !== entry.id;
      });
      setWaiting("uploads", memory.length);
      return store("readwrite", function (files) {
        return files.delete(entry.id);
      });
    }

    function load() {
      return store("readonly", function (files) {
        return files.getAll();
      }).then(function (all) {
        (all || []).forEach(function (entry) {
          if (entry.record === recordId && !memory.some((e) => e.id === entry.id)) {
            memory.push(entry);
            setWaiting("uploads", memory.length);
            var box = uploadBox(entry.item);
            if (box) {
              say(box, "offline", fmt(M.upload_queued, { name: entry.name }));
            }
          }
        });
      });
    }

    function sendOne(entry) {
      var box = uploadBox(entry.item);
      var data = new FormData();
      data.append("file", entry.blob, entry.name);
      data.append("item", entry.item || "");
      say(box, "info", fmt(M.uploading, { name: entry.name }));
      return fetch(form.dataset.evidenceUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrf },
        body: data,
      }).then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (body) {
            if (response.ok) {
              body.evidence.forEach(function (evidence) {
                var list = listFor(entry.item);
                if (!list.querySelector('[data-evidence="' + evidence.id + '"]')) {
                  list.appendChild(evidenceEntry(evidence));
                }
              });
              say(box, "info", fmt(M.uploaded, { name: entry.name }));
              return drop(entry);
            }
            if (response.status >= 500 || response.status === 401) {
              throw new Error("retry later");
            }
            // Refused for what the file is: say why; trying again will not help.
            say(box, "error", body.error || String(response.status));
            return drop(entry);
          });
      });
    }

    function run() {
      if (running || !memory.length) {
        return;
      }
      if (!navigator.onLine) {
        memory.forEach(function (entry) {
          say(uploadBox(entry.item), "offline", fmt(M.upload_queued, { name: entry.name }));
        });
        setStatus("offline", M.offline);
        later();
        return;
      }
      running = true;
      var entry = memory[0];
      sendOne(entry)
        .then(function () {
          running = false;
          run();
        })
        .catch(function () {
          running = false;
          say(uploadBox(entry.item), "offline", fmt(M.upload_queued, { name: entry.name }));
          setStatus("offline", M.offline);
          later();
        });
    }

    function pick(input) {
      var box = input.closest(".upload");
      var item = box.dataset.uploadItem;
      var waits = [];
      Array.prototype.forEach.call(input.files, function (file) {
        if (file.size > maxBytes) {
          say(box, "error", fmt(M.too_big, { name: file.name }));
          return;
        }
        var entry = {
          id: recordId + "-" + Date.now() + "-" + Math.random().toString(36).slice(2),
          record: recordId,
          item: item,
          name: file.name,
          blob: file,
        };
        waits.push(add(entry));
      });
      input.value = "";
      Promise.all(waits).then(run);
    }

    return { pick: pick, run: run, load: load };
  })();

  form.addEventListener("change", function (event) {
    if (event.target.classList.contains("upload__input")) {
      uploads.pick(event.target);
    }
  });

  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove]");
    if (!button) {
      return;
    }
    event.preventDefault();
    if (!window.confirm(M.remove_confirm)) {
      return;
    }
    var entry = button.closest(".evidence__entry");
    fetch(button.dataset.remove, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf },
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (response.ok) {
            entry.remove();
          } else {
            window.alert(body.error || response.status);
          }
        });
      })
      .catch(function () {
        window.alert(M.offline);
      });
  });

  /* --- Start -------------------------------------------------------------------------------- */

  whenOnline.push(uploads.run);
  window.inspectRecord = {
    flush: flush,
    csrf: csrf,
    messages: M,
    whenOnline: function (fn) {
      whenOnline.push(fn);
    },
    waiting: setWaiting,
    offline: function () {
      setStatus("offline", M.offline);
    },
  };
  if (restore()) {
    setStatus("syncing", M.restored);
    send();
  } else {
    setStatus("saved", M.saved);
  }
  uploads.load().then(uploads.run);
})();
