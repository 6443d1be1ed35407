// What the pages do with JavaScript, each part optional: without it the
// pages work as plain HTML.

// The main navigation on a phone: one "Menu" button that opens and closes
// the list (aria-expanded says which). Without JavaScript, or on a wider
// screen, the list is simply shown.
(function () {
  'use strict';
  var nav = document.querySelector('.site-nav');
  if (!nav) return;
  var button = nav.querySelector('.menu-toggle');
  var list = nav.querySelector('ul');
  if (!button || !list) return;
  var narrow = window.matchMedia('(max-width: 39.99rem)');
  function set(open) {
    button.setAttribute('aria-expanded', open ? 'true' : 'false');
    list.hidden = !open && narrow.matches;
  }
  button.hidden = false;
  set(false);
  button.addEventListener('click', function () {
    set(button.getAttribute('aria-expanded') !== 'true');
  });
  narrow.addEventListener('change', function () { set(false); });
})();

// Controls that work only through htmx (a search that narrows a list as one
// types) are shown once htmx is there.
(function () {
  'use strict';
  if (!window.htmx) return;
  var only = document.querySelectorAll('[data-js-only]');
  for (var i = 0; i < only.length; i++) only[i].hidden = false;
})();

// A summary of what to correct takes the focus when the page opens, so
// that it is read out first and each of its links leads to its field.
(function () {
  'use strict';
  var summary = document.querySelector('[data-focus-on-load]');
  if (summary) summary.focus();
})();

// A paper's print button: the browser's print dialog, which also saves the
// paper as a PDF file. Without JavaScript the button stays hidden and the
// browser's own menu prints.
(function () {
  'use strict';
  var buttons = document.querySelectorAll('[data-print]');
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener('click', function () { window.print(); });
  }
})();
