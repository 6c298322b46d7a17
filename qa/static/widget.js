/*
 * Medical Information live-chat widget.
 *
 * Embed on any page with one tag:
 *
 *   <script src="https://host/widget.js" data-endpoint="https://host/v1/ask" defer></script>
 *
 * Attributes read from that <script> element:
 *   data-endpoint    URL of POST /v1/ask (default: the script's origin + "/v1/ask";
 *                    a relative value is resolved against the script's URL). The letters'
 *                    titles, dates and disclaimers come from "documents" and the contact line
 *                    from "widget" next to it (GET /v1/documents, GET /v1/widget).
 *   data-open        "true" opens the panel when the page loads
 *   data-timeout-ms  how long to wait for an answer (default 15000)
 *   data-document    optional document id sent with each question
 *   data-k           optional number of passages to ask for (default 5)
 *
 * Strict-CSP friendly: no inline styles (classes only, from widget.css next to this
 * script), no eval, and the DOM is built with createElement/textContent only, because
 * everything the service returns is treated as untrusted text.
 */
(function () {
  'use strict';

  var SCRIPT_NAME = 'widget.js';
  var DEFAULT_TIMEOUT_MS = 15000;
  var DEFAULT_K = 5;
  var RECORDED_NOTICE =
    'Questions are recorded: each one you send is stored by the service, with your network address, ' +
    'for compliance review. Do not include patient details.';
  var KIND_LABELS = {
    row: 'Table row',
    table: 'Table',
    bullet: 'Bullet point',
    paragraph: 'Paragraph',
    summary: 'Summary',
    references: 'References',
    disclaimer: 'Disclaimer',
    literature_search: 'Literature search'
  };
  var SVG_NS = 'http://www.w3.org/2000/svg';

  // ---------------------------------------------------------------- the <script> itself
  function findOwnScript() {
    var current = document.currentScript;
    if (current && current.src) return current;
    var scripts = document.getElementsByTagName('script');
    for (var i = scripts.length - 1; i >= 0; i--) {
      var s = scripts[i];
      if (s.src && !s.hasAttribute('data-qa-widget') && /\/widget\.js(?:[?#].*)?$/.test(s.src)) return s;
    }
    return null;
  }

  var script = findOwnScript();
  if (!script || script.hasAttribute('data-qa-widget')) return;
  script.setAttribute('data-qa-widget', 'loaded');

  if (!window.__qaWidgetCount) window.__qaWidgetCount = 0;
  window.__qaWidgetCount += 1;
  var uid = 'qa-w' + window.__qaWidgetCount;

  function readConfig(el) {
    var scriptUrl = new URL(el.src, document.baseURI);
    var endpointAttr = (el.getAttribute('data-endpoint') || '').trim();
    var endpoint = endpointAttr
      ? new URL(endpointAttr, scriptUrl).href
      : scriptUrl.origin + '/v1/ask';
    var openAttr = el.getAttribute('data-open');
    var open = openAttr !== null && !/^\s*(false|0|no|off)\s*$/i.test(openAttr);
    var timeout = parseInt(el.getAttribute('data-timeout-ms') || '', 10);
    var k = parseInt(el.getAttribute('data-k') || '', 10);
    var documentId = (el.getAttribute('data-document') || '').trim();
    return {
      endpoint: endpoint,
      documentsUrl: new URL('documents', endpoint).href,
      widgetUrl: new URL('widget', endpoint).href,
      cssUrl: new URL(SCRIPT_NAME.replace(/\.js$/, '.css'), scriptUrl).href,
      open: open,
      timeoutMs: timeout > 0 ? timeout : DEFAULT_TIMEOUT_MS,
      k: k > 0 ? k : DEFAULT_K,
      documentId: documentId || null
    };
  }

  var config = readConfig(script);

  // ---------------------------------------------------------------- DOM helpers
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function attrs(node, values) {
    Object.keys(values).forEach(function (name) {
      node.setAttribute(name, values[name]);
    });
    return node;
  }

  function icon(pathData, className) {
    var svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    svg.setAttribute('class', className || 'qa-icon');
    var path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', pathData);
    svg.appendChild(path);
    return svg;
  }

  var ICON_CHAT = 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z';
  var ICON_CLOSE = 'M6 6l12 12M18 6L6 18';
  var ICON_SEND = 'M4 12l16-8-6 16-2.5-6.5L4 12z';

  function asText(value) {
    return typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);
  }

  function asInt(value) {
    var n = typeof value === 'number' ? value : parseInt(value, 10);
    return Number.isInteger(n) && n >= 0 && n < 100000 ? n : null;
  }

  function formatDate(value) {
    var text = asText(value).trim();
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (!m) return text;
    var months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
      'September', 'October', 'November', 'December'];
    var month = months[parseInt(m[2], 10) - 1];
    return month ? month + ' ' + parseInt(m[3], 10) + ', ' + m[1] : text;
  }

  function prefersReducedMotion() {
    return !!(window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches);
  }

  // Scroll `target` into view inside the panel's scroll area only (never the host page).
  function scrollWithin(container, target, offset) {
    var top = target.getBoundingClientRect().top - container.getBoundingClientRect().top;
    var next = container.scrollTop + top - (offset || 0);
    if (typeof container.scrollTo === 'function') {
      container.scrollTo({ top: next, behavior: prefersReducedMotion() ? 'auto' : 'smooth' });
    } else {
      container.scrollTop = next;
    }
  }

  // ---------------------------------------------------------------- stylesheet
  function ensureStylesheet(onReady) {
    var links = document.querySelectorAll('link[rel~="stylesheet"]');
    for (var i = 0; i < links.length; i++) {
      if (links[i].href === config.cssUrl) {
        onReady();
        return;
      }
    }
    var link = attrs(el('link'), { rel: 'stylesheet', href: config.cssUrl });
    link.addEventListener('load', onReady);
    link.addEventListener('error', onReady); // still usable, unstyled
    (document.head || document.documentElement).appendChild(link);
  }

  // ---------------------------------------------------------------- widget
  function build() {
    var state = { inFlight: false, turns: 0, hasResponse: false, contact: '' };

    var root = attrs(el('div', 'qa-root'), { 'data-qa-widget-root': '' });
    root.hidden = true; // shown once widget.css has loaded, so nothing flashes unstyled

    // Launcher
    var launcher = attrs(el('button', 'qa-launcher'), {
      type: 'button',
      'aria-haspopup': 'dialog',
      'aria-expanded': 'false',
      'aria-controls': uid + '-panel'
    });
    launcher.appendChild(icon(ICON_CHAT, 'qa-icon qa-icon-chat'));
    launcher.appendChild(el('span', 'qa-launcher-label', 'Chat live'));

    // Panel
    var panel = attrs(el('section', 'qa-panel'), {
      id: uid + '-panel',
      role: 'dialog',
      'aria-label': 'Medical Information chat'
    });
    panel.hidden = true;

    var header = el('header', 'qa-header');
    var brand = el('div', 'qa-brand');
    var eyebrow = el('p', 'qa-eyebrow', 'Medical Information');
    var title = el('h2', 'qa-title', 'Ask the response letter');
    var subtitle = el('p', 'qa-subtitle', 'Answers are quoted from the approved letter');
    brand.appendChild(eyebrow);
    brand.appendChild(title);
    brand.appendChild(subtitle);
    var closeButton = attrs(el('button', 'qa-close'), { type: 'button', 'aria-label': 'Close chat' });
    closeButton.appendChild(icon(ICON_CLOSE, 'qa-icon qa-icon-close'));
    header.appendChild(brand);
    header.appendChild(closeButton);

    var body = el('div', 'qa-body');
    var intro = el('div', 'qa-intro');
    intro.appendChild(el('p', 'qa-intro-title', 'Ask a question about this letter'));
    intro.appendChild(
      el('p', 'qa-intro-text',
        'You will get verbatim passages from the approved response letter, with citation numbers ' +
        'and references.')
    );
    intro.appendChild(el('p', 'qa-intro-text qa-recorded', RECORDED_NOTICE));
    var log = attrs(el('ol', 'qa-log'), {
      role: 'log',
      'aria-live': 'polite',
      'aria-label': 'Conversation',
      'aria-busy': 'false'
    });
    body.appendChild(intro);
    body.appendChild(log);

    var form = attrs(el('form', 'qa-form'), { novalidate: '' });
    var inputId = uid + '-input';
    var label = attrs(el('label', 'qa-sr-only', 'Ask a question'), { for: inputId });
    var row = el('div', 'qa-input-row');
    var input = attrs(el('input', 'qa-input'), {
      id: inputId,
      type: 'text',
      name: 'question',
      autocomplete: 'off',
      spellcheck: 'true',
      enterkeyhint: 'send',
      placeholder: 'Type your question\u2026'
    });
    var send = attrs(el('button', 'qa-send'), { type: 'submit' });
    send.appendChild(icon(ICON_SEND, 'qa-icon qa-icon-send'));
    send.appendChild(el('span', 'qa-send-label', 'Send'));
    row.appendChild(input);
    row.appendChild(send);
    form.appendChild(label);
    form.appendChild(row);

    var footer = el('footer', 'qa-disclaimer');
    var disclaimerText = el('p', 'qa-disclaimer-text', '');
    footer.appendChild(disclaimerText);
    footer.hidden = true; // shown once the letter's own disclaimer is known

    panel.appendChild(header);
    panel.appendChild(body);
    panel.appendChild(form);
    panel.appendChild(footer);

    root.appendChild(panel);
    root.appendChild(launcher);

    // ------------------------------------------------------------ open / close
    function openPanel(focusInput) {
      panel.hidden = false;
      launcher.hidden = true;
      launcher.setAttribute('aria-expanded', 'true');
      root.classList.add('qa-is-open');
      if (focusInput) input.focus();
    }

    function closePanel() {
      panel.hidden = true;
      launcher.hidden = false;
      launcher.setAttribute('aria-expanded', 'false');
      root.classList.remove('qa-is-open');
      launcher.focus();
    }

    launcher.addEventListener('click', function () {
      openPanel(true);
    });
    closeButton.addEventListener('click', closePanel);
    panel.addEventListener('keydown', function (event) {
      if (event.key === 'Escape' || event.key === 'Esc') {
        event.preventDefault();
        event.stopPropagation();
        closePanel();
      }
    });

    // ------------------------------------------------------------ rendering
    function setBusy(busy) {
      state.inFlight = busy;
      send.disabled = busy;
      log.setAttribute('aria-busy', busy ? 'true' : 'false');
      panel.classList.toggle('qa-is-busy', busy);
    }

    function updateDocument(doc) {
      if (!doc || typeof doc !== 'object') return;
      var docTitle = asText(doc.title).trim();
      var updated = asText(doc.last_updated).trim();
      if (docTitle) title.textContent = docTitle;
      subtitle.textContent = updated ? 'Last updated ' + formatDate(updated) : '';
      subtitle.hidden = !updated;
    }

    function updateDisclaimer(text) {
      var value = asText(text).trim();
      if (value) {
        disclaimerText.textContent = value;
        footer.hidden = false;
      }
    }

    function refId(turnId, number) {
      return turnId + '-ref-' + number;
    }

    function citationList(passage) {
      var out = [];
      (Array.isArray(passage.citations) ? passage.citations : []).forEach(function (c) {
        var n = asInt(c);
        if (n !== null && out.indexOf(n) === -1) out.push(n);
      });
      return out;
    }

    function cardHeading(passage) {
      var study = asText(passage.study).trim();
      var table = asText(passage.table).trim();
      var section = asText(passage.section).trim();
      var kind = KIND_LABELS[passage.kind] || '';
      var main = study || table || section || kind || 'From the letter';
      var sub = '';
      if (table && table !== main) sub = 'Table: ' + table;
      else if (section && section !== main) sub = section;
      return { main: main, sub: sub, kind: kind };
    }

    function renderCitation(turnId, number, knownRefs) {
      if (!knownRefs[number]) return el('span', 'qa-cite qa-cite-plain', '[' + number + ']');
      var link = attrs(el('a', 'qa-cite', '[' + number + ']'), {
        href: '#' + refId(turnId, number),
        title: 'Reference ' + number
      });
      link.addEventListener('click', function (event) {
        // Move within the panel; never touch the host page's URL or scroll position.
        event.preventDefault();
        var target = document.getElementById(refId(turnId, number));
        if (!target) return;
        var details = target.closest('details');
        if (details) details.open = true;
        scrollWithin(body, target, 16);
        target.focus({ preventScroll: true });
        target.classList.remove('qa-ref-flash');
        void target.offsetWidth; // restart the highlight animation
        target.classList.add('qa-ref-flash');
      });
      return link;
    }

    function renderCard(passage, index, turnId, knownRefs) {
      var heading = cardHeading(passage);
      var card = el('li', 'qa-card');
      var head = el('div', 'qa-card-head');
      head.appendChild(el('h3', 'qa-card-title', heading.main));
      var meta = el('p', 'qa-card-meta');
      if (heading.sub) meta.appendChild(el('span', 'qa-card-sub', heading.sub));
      if (heading.kind) meta.appendChild(el('span', 'qa-tag', heading.kind));
      if (meta.childNodes.length) head.appendChild(meta);
      card.appendChild(head);

      var fullText = asText(passage.text);
      var quoteText = asText(passage.highlight).trim() ? asText(passage.highlight) : fullText;
      var quote = el('blockquote', 'qa-quote');
      var quoteBody = el('p', 'qa-quote-text', quoteText);
      var cites = citationList(passage);
      if (cites.length) {
        var citeWrap = el('span', 'qa-cites');
        cites.forEach(function (n) {
          citeWrap.appendChild(renderCitation(turnId, n, knownRefs));
        });
        quoteBody.appendChild(document.createTextNode(' '));
        quoteBody.appendChild(citeWrap);
      }
      quote.appendChild(quoteBody);
      card.appendChild(quote);

      if (fullText) {
        var details = el('details', 'qa-full');
        details.appendChild(el('summary', 'qa-full-summary', 'Show full passage'));
        details.appendChild(el('p', 'qa-full-text', fullText));
        card.appendChild(details);
      }
      card.setAttribute('data-rank', String(asInt(passage.rank) !== null ? passage.rank : index + 1));
      return card;
    }

    function collectReferences(data) {
      var refs = [];
      var known = {};
      (Array.isArray(data.references) ? data.references : []).forEach(function (ref) {
        if (!ref || typeof ref !== 'object') return;
        var n = asInt(ref.number);
        if (n === null || known[n]) return;
        known[n] = true;
        refs.push({ number: n, text: asText(ref.text) });
      });
      refs.sort(function (a, b) { return a.number - b.number; });
      return { list: refs, known: known };
    }

    function renderReferences(turnId, refs) {
      var wrap = el('div', 'qa-refs');
      var headingId = turnId + '-refs-title';
      wrap.appendChild(attrs(el('h4', 'qa-refs-title', 'References'), { id: headingId }));
      var list = attrs(el('ol', 'qa-refs-list'), { 'aria-labelledby': headingId });
      refs.forEach(function (ref) {
        var item = attrs(el('li', 'qa-ref', ref.number + '. ' + ref.text), {
          id: refId(turnId, ref.number),
          tabindex: '-1'
        });
        list.appendChild(item);
      });
      wrap.appendChild(list);
      return wrap;
    }

    function renderCards(passages, turnId, knownRefs) {
      var list = el('ol', 'qa-cards');
      passages.forEach(function (p, i) {
        if (p && typeof p === 'object') list.appendChild(renderCard(p, i, turnId, knownRefs));
      });
      return list;
    }

    function plainAnswer(data, passages, refs) {
      var parts = [];
      if (data.advice_request && asText(data.advice_notice).trim()) parts.push(asText(data.advice_notice).trim());
      if (data.answerable) {
        passages.forEach(function (p) {
          var cites = citationList(p);
          var marker = cites.map(function (n) { return '[' + n + ']'; }).join('');
          var text = asText(p.text).trim() || asText(p.highlight).trim();
          parts.push(marker ? marker + ' ' + text : text);
        });
        if (refs.length) {
          parts.push('References:\n' + refs.map(function (r) { return r.number + '. ' + r.text; }).join('\n'));
        }
      } else {
        parts.push(state.contact ? 'This letter does not answer that. ' + state.contact : 'This letter does not answer that.');
      }
      if (asText(data.disclaimer).trim()) parts.push(asText(data.disclaimer).trim());
      return parts.join('\n\n');
    }

    function copyText(text, restoreFocusTo) {
      var fallback = function () {
        var area = attrs(el('textarea', 'qa-offscreen'), { readonly: '', 'aria-hidden': 'true', tabindex: '-1' });
        area.value = text;
        root.appendChild(area);
        area.select();
        var ok = false;
        try {
          ok = document.execCommand('copy');
        } catch (e) {
          ok = false;
        }
        root.removeChild(area);
        if (restoreFocusTo) restoreFocusTo.focus();
        return ok;
      };
      if (navigator.clipboard && typeof navigator.clipboard.writeText === 'function') {
        return navigator.clipboard.writeText(text).then(
          function () { return true; },
          function () { return fallback(); }
        );
      }
      return Promise.resolve(fallback());
    }

    function renderCopyButton(text) {
      var actions = el('div', 'qa-actions');
      var button = attrs(el('button', 'qa-copy', 'Copy answer'), { type: 'button' });
      var status = attrs(el('span', 'qa-copy-status'), { role: 'status' });
      var timer = null;
      button.addEventListener('click', function () {
        copyText(text, button).then(function (ok) {
          clearTimeout(timer);
          button.textContent = ok ? 'Copied' : 'Copy answer';
          button.classList.toggle('qa-copied', ok);
          status.textContent = ok ? 'Answer copied to the clipboard.' : 'Copy failed. Select the text to copy it.';
          timer = setTimeout(function () {
            button.textContent = 'Copy answer';
            button.classList.remove('qa-copied');
            status.textContent = '';
          }, 2500);
        });
      });
      actions.appendChild(button);
      actions.appendChild(status);
      return actions;
    }

    function renderAnswer(answer, turnId, data) {
      var passages = (Array.isArray(data.passages) ? data.passages : []).filter(function (p) {
        return p && typeof p === 'object';
      });
      var refs = collectReferences(data);

      if (data.advice_request && asText(data.advice_notice).trim()) {
        var advice = attrs(el('div', 'qa-advice'), { role: 'note' });
        advice.appendChild(el('p', 'qa-advice-title', 'Please note'));
        advice.appendChild(el('p', 'qa-advice-text', asText(data.advice_notice)));
        answer.appendChild(advice);
      }

      if (data.answerable && passages.length) {
        answer.appendChild(
          el('p', 'qa-answer-lead',
            passages.length === 1 ? 'From the letter (1 passage):' : 'From the letter (' + passages.length + ' passages):')
        );
        answer.appendChild(renderCards(passages, turnId, refs.known));
        if (refs.list.length) answer.appendChild(renderReferences(turnId, refs.list));
      } else {
        var none = el('div', 'qa-noanswer');
        none.appendChild(el('p', 'qa-noanswer-title', 'This letter does not answer that.'));
        if (state.contact) none.appendChild(el('p', 'qa-noanswer-text qa-contact', state.contact));
        answer.appendChild(none);
        if (passages.length) {
          var closest = el('details', 'qa-closest');
          closest.appendChild(el('summary', 'qa-closest-summary', 'Closest passages in the letter'));
          closest.appendChild(
            el('p', 'qa-closest-note', 'These passages were the nearest matches; they do not answer the question.')
          );
          closest.appendChild(renderCards(passages, turnId, refs.known));
          if (refs.list.length) closest.appendChild(renderReferences(turnId, refs.list));
          answer.appendChild(closest);
        }
      }
      answer.appendChild(renderCopyButton(plainAnswer(data, passages, refs.list)));
    }

    function renderError(answer, problem, retry) {
      var box = attrs(el('div', 'qa-error'), { role: 'alert' });
      box.appendChild(el('p', 'qa-error-title', problem.title));
      if (problem.detail) box.appendChild(el('p', 'qa-error-detail', problem.detail));
      if (problem.hint) box.appendChild(el('p', 'qa-error-hint', problem.hint));
      if (problem.requestId) box.appendChild(el('p', 'qa-error-meta', 'Request ID: ' + problem.requestId));
      if (retry) {
        var again = attrs(el('button', 'qa-retry', 'Try again'), { type: 'button' });
        again.addEventListener('click', function () {
          if (state.inFlight) return;
          retry();
        });
        box.appendChild(again);
      }
      answer.appendChild(box);
    }

    // ------------------------------------------------------------ networking
    function retryAfterSeconds(response) {
      var raw = response.headers.get('Retry-After');
      if (!raw) return null;
      var secs = parseInt(raw, 10);
      if (String(secs) === raw.trim() && secs >= 0) return secs;
      var when = Date.parse(raw);
      if (!isNaN(when)) return Math.max(0, Math.ceil((when - Date.now()) / 1000));
      return null;
    }

    function serverMessage(body) {
      if (!body || typeof body !== 'object') return '';
      if (body.error && typeof body.error === 'object' && body.error.message) return asText(body.error.message);
      if (typeof body.detail === 'string') return body.detail;
      if (Array.isArray(body.detail)) {
        return body.detail
          .map(function (d) { return d && d.msg ? asText(d.msg) : ''; })
          .filter(Boolean)
          .join(' ');
      }
      if (typeof body.message === 'string') return body.message;
      return '';
    }

    function describeHttpError(response, body) {
      var status = response.status;
      var message = serverMessage(body);
      var requestId = response.headers.get('X-Request-ID') || '';
      var wait = retryAfterSeconds(response);
      var waitText = wait !== null
        ? 'Please try again after ' + wait + (wait === 1 ? ' second.' : ' seconds.')
        : 'Please wait a moment and try again.';
      if (status === 429) {
        return { title: 'Too many questions in a short time.', detail: message, hint: waitText, requestId: requestId };
      }
      if (status === 503) {
        return { title: 'The service is busy right now.', detail: message, hint: waitText, requestId: requestId };
      }
      if (status >= 500) {
        return {
          title: 'The service had a problem answering (error ' + status + ').',
          detail: message,
          hint: 'Please try again.',
          requestId: requestId
        };
      }
      return {
        title: 'The question could not be answered.',
        detail: message || 'The service rejected the request (error ' + status + ').',
        hint: '',
        requestId: requestId
      };
    }

    function postQuestion(question) {
      var controller = typeof AbortController === 'function' ? new AbortController() : null;
      var timedOut = false;
      var timer = setTimeout(function () {
        timedOut = true;
        if (controller) controller.abort();
      }, config.timeoutMs);
      var payload = { question: question, k: config.k };
      if (config.documentId) payload.document = config.documentId;

      var failed = function (error) {
        if (timedOut) {
          return { problem: { title: 'The service took too long to answer.', hint: 'Please try again.' } };
        }
        return {
          problem: {
            title: 'The service could not be reached.',
            hint: 'Check your connection and try again.',
            detail: error && error.name === 'SyntaxError' ? 'The response was not valid.' : ''
          }
        };
      };

      return fetch(config.endpoint, {
        method: 'POST',
        mode: 'cors',
        credentials: 'omit',
        cache: 'no-store',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(payload),
        signal: controller ? controller.signal : undefined
      })
        .then(function (response) {
          return response.text().then(function (raw) {
            var body = null;
            try {
              body = raw ? JSON.parse(raw) : null;
            } catch (e) {
              body = null;
            }
            if (!response.ok) return { problem: describeHttpError(response, body) };
            if (!body || typeof body !== 'object' || typeof body.answerable !== 'boolean') {
              return {
                problem: {
                  title: 'The service returned an unexpected response.',
                  hint: 'Please try again.',
                  requestId: response.headers.get('X-Request-ID') || ''
                }
              };
            }
            return { data: body };
          });
        }, failed)
        .catch(failed)
        .then(function (result) {
          clearTimeout(timer);
          return result;
        });
    }

    // ------------------------------------------------------------ asking
    function ask(question, existingTurn) {
      if (state.inFlight) return;
      var turnId = existingTurn ? existingTurn.id : uid + '-t' + (++state.turns);
      var turn = existingTurn;
      var answer;
      if (!turn) {
        turn = attrs(el('li', 'qa-turn'), { id: turnId });
        var q = el('div', 'qa-question');
        q.appendChild(el('p', 'qa-question-label', 'You asked'));
        q.appendChild(el('p', 'qa-question-text', question));
        turn.appendChild(q);
        answer = el('div', 'qa-answer');
        turn.appendChild(answer);
        log.appendChild(turn);
        intro.hidden = true;
      } else {
        answer = turn.querySelector('.qa-answer');
        while (answer.firstChild) answer.removeChild(answer.firstChild);
      }
      answer.setAttribute('aria-busy', 'true');
      var loading = attrs(el('p', 'qa-loading'), { role: 'status' });
      loading.appendChild(attrs(el('span', 'qa-spinner'), { 'aria-hidden': 'true' }));
      loading.appendChild(el('span', 'qa-loading-text', 'Searching the letter\u2026'));
      answer.appendChild(loading);
      setBusy(true);
      scrollWithin(body, turn, 8);

      postQuestion(question).then(function (result) {
        answer.removeChild(loading);
        if (result.data) {
          state.hasResponse = true;
          updateDocument(result.data.document);
          updateDisclaimer(result.data.disclaimer);
          turn.classList.remove('qa-turn-error');
          renderAnswer(answer, turnId, result.data);
        } else {
          turn.classList.add('qa-turn-error');
          renderError(answer, result.problem, function () {
            ask(question, turn);
          });
        }
        answer.setAttribute('aria-busy', 'false');
        setBusy(false);
        // Show the start of the turn; if the question itself is long, the start of the answer.
        var questionBox = turn.querySelector('.qa-question');
        var tall = questionBox && questionBox.offsetHeight > body.clientHeight * 0.4;
        scrollWithin(body, tall ? answer : turn, tall ? 56 : 8);
      });
    }

    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (state.inFlight) return;
      var question = input.value.trim();
      if (!question) {
        input.focus();
        return;
      }
      input.value = '';
      ask(question);
      input.focus();
    });

    // ------------------------------------------------------------ what the service says about itself
    function getJson(url) {
      return fetch(url, { method: 'GET', mode: 'cors', credentials: 'omit', headers: { Accept: 'application/json' } })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .catch(function () {
          return null;
        });
    }

    // The letter the widget speaks for before its first answer: the one asked for, or the only one served.
    getJson(config.documentsUrl).then(function (documents) {
      if (!Array.isArray(documents) || state.hasResponse) return;
      var chosen = documents.filter(function (d) {
        return d && typeof d === 'object' && (config.documentId ? d.id === config.documentId : true);
      });
      if (chosen.length !== 1) return;
      updateDocument(chosen[0]);
      updateDisclaimer(chosen[0].disclaimer);
    });
    getJson(config.widgetUrl).then(function (settings) {
      if (settings && typeof settings === 'object') state.contact = asText(settings.contact).trim();
    });

    // ------------------------------------------------------------ mount
    document.body.appendChild(root);
    if (config.open) openPanel(false);
    ensureStylesheet(function () {
      root.hidden = false;
    });
  }

  if (document.body) {
    build();
  } else {
    document.addEventListener('DOMContentLoaded', build, { once: true });
  }
})();
