// Passkeys (WebAuthn) on the log-in and account pages. Without JavaScript
// or without WebAuthn the buttons stay hidden and the password form works.
(function () {
  'use strict';
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function b64url(buffer) {
    var bytes = new Uint8Array(buffer), s = '';
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function unb64url(text) {
    var s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out.buffer;
  }
  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) throw new Error(j.detail || j.error_description || r.statusText);
        return j;
      });
    });
  }
  // a credential as the server's WebAuthn library reads it
  function credential(c, response) {
    return { id: c.id, rawId: b64url(c.rawId), type: c.type, response: response, extensions: {} };
  }
  function say(el, text) {
    var out = document.getElementById(el.getAttribute('aria-controls'));
    if (out) { out.textContent = text; out.hidden = !text; }
  }

  // The button `id`, once clicked: the options of a ceremony asked at
  // `optionsUrl` and read by `prepare`, the browser's answer from `ceremony`,
  // sent to `answerUrl` as `fields` makes it; `done` with the server's reply.
  function ceremonyButton(id, optionsUrl, prepare, ceremony, answerUrl, fields, done) {
    var button = document.getElementById(id);
    if (!button) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      var csrf = button.dataset.csrf;
      say(button, '');
      post(optionsUrl, { csrf_token: csrf }).then(function (o) {
        var pk = o.publicKey;
        pk.challenge = unb64url(pk.challenge);
        prepare(pk);
        return ceremony({ publicKey: pk }).then(function (c) {
          var body = fields(button, c);
          body.csrf_token = csrf;
          body.challenge_id = o.challenge_id;
          return post(answerUrl, body);
        });
      }).then(done).catch(function (e) { say(button, e.message || String(e)); });
    });
  }

  ceremonyButton('passkey-login', '/oidc/passkey/options', function (pk) {
    (pk.allowCredentials || []).forEach(function (c) { c.id = unb64url(c.id); });
  }, function (options) {
    return navigator.credentials.get(options);
  }, '/oidc/passkey/login', function (button, c) {
    return {
      request: button.dataset.request || null,
      next: button.dataset.next || null,
      credential: credential(c, {
        clientDataJSON: b64url(c.response.clientDataJSON),
        authenticatorData: b64url(c.response.authenticatorData),
        signature: b64url(c.response.signature),
        userHandle: c.response.userHandle ? b64url(c.response.userHandle) : null
      })
    };
  }, function (done) {
    window.location.assign(done.redirect);
  });

  ceremonyButton('passkey-add', '/tai-khoan/passkey/options', function (pk) {
    pk.user.id = unb64url(pk.user.id);
    (pk.excludeCredentials || []).forEach(function (c) { c.id = unb64url(c.id); });
  }, function (options) {
    return navigator.credentials.create(options);
  }, '/tai-khoan/passkey', function (button, c) {
    return {
      credential: credential(c, {
        clientDataJSON: b64url(c.response.clientDataJSON),
        attestationObject: b64url(c.response.attestationObject)
      })
    };
  }, function () {
    window.location.reload();
  });
})();
