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

  var login = document.getElementById('passkey-login');
  if (login) {
    login.hidden = false;
    login.addEventListener('click', function () {
      var csrf = login.dataset.csrf;
      say(login, '');
      post('/oidc/passkey/options', { csrf_token: csrf }).then(function (o) {
        var pk = o.publicKey;
        pk.challenge = unb64url(pk.challenge);
        (pk.allowCredentials || []).forEach(function (c) { c.id = unb64url(c.id); });
        return navigator.credentials.get({ publicKey: pk }).then(function (c) {
          return post('/oidc/passkey/login', {
            csrf_token: csrf,
            challenge_id: o.challenge_id,
            request: login.dataset.request || null,
            next: login.dataset.next || null,
            credential: credential(c, {
              clientDataJSON: b64url(c.response.clientDataJSON),
              authenticatorData: b64url(c.response.authenticatorData),
              signature: b64url(c.response.signature),
              userHandle: c.response.userHandle ? b64url(c.response.userHandle) : null
            })
          });
        });
      }).then(function (done) {
        window.location.assign(done.redirect);
      }).catch(function (e) { say(login, e.message || String(e)); });
    });
  }

  var add = document.getElementById('passkey-add');
  if (add) {
    add.hidden = false;
    add.addEventListener('click', function () {
      var csrf = add.dataset.csrf;
      say(add, '');
      post('/tai-khoan/passkey/options', { csrf_token: csrf }).then(function (o) {
        var pk = o.publicKey;
        pk.challenge = unb64url(pk.challenge);
        pk.user.id = unb64url(pk.user.id);
        (pk.excludeCredentials || []).forEach(function (c) { c.id = unb64url(c.id); });
        return navigator.credentials.create({ publicKey: pk }).then(function (c) {
          return post('/tai-khoan/passkey', {
            csrf_token: csrf,
            challenge_id: o.challenge_id,
            credential: credential(c, {
              clientDataJSON: b64url(c.response.clientDataJSON),
              attestationObject: b64url(c.response.attestationObject)
            })
          });
        });
      }).then(function () {
        window.location.reload();
      }).catch(function (e) { say(add, e.message || String(e)); });
    });
  }
})();
