import { rewardsWidgetCss } from "./rewards-widget-css";

/**
 * The embeddable member widget, served as GET /widget.js. It defines <tenure-rewards token="…"> and talks
 * only to the member API of the Tenure that served it (or the element's `api` attribute).
 *
 * Kept as plain browser JavaScript in a string so the Worker serves exactly what is written here. It needs
 * no inline script in the host page and builds every node with textContent (no HTML parsing of data), and its
 * styles are a constructed stylesheet in the shadow root, so it runs under `script-src <tenure origin>` with
 * no 'unsafe-inline'. Theme it with CSS custom properties on the element: --tenure-accent, --tenure-bg,
 * --tenure-fg, --tenure-muted, --tenure-border, --tenure-radius, --tenure-font.
 *
 * No template literals inside: the script is itself a template string.
 */
export const rewardsWidgetScript = String.raw`/* Tenure rewards widget: <tenure-rewards token="..."> */
(function () {
  "use strict";
  if (!window.customElements || window.customElements.get("tenure-rewards")) return;

  var script = document.currentScript;
  var DEFAULT_API = script && script.src ? new URL(script.src).origin : window.location.origin;

  var CSS = ` + JSON.stringify(rewardsWidgetCss) + String.raw`;

  var sheet = null;
  function adoptStyles(root) {
    try {
      if (!sheet) { sheet = new CSSStyleSheet(); sheet.replaceSync(CSS); }
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      var style = document.createElement("style");
      style.textContent = CSS;
      root.appendChild(style);
    }
  }

  /** An element with attributes and children; strings become text nodes, never HTML. */
  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") node.textContent = String(v);
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function money(amount, currency) {
    try {
      var f = new Intl.NumberFormat(undefined, { style: "currency", currency: currency.toUpperCase() });
      return f.format(amount / Math.pow(10, f.resolvedOptions().maximumFractionDigits));
    } catch (e) {
      return amount + " " + currency;
    }
  }
  function points(n) { return new Intl.NumberFormat().format(n) + (Math.abs(n) === 1 ? " point" : " points"); }
  function day(ms) { return new Date(ms).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" }); }
  function newRequestId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "r" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  var ENTRY_TEXT = {
    "points.earned": "Points earned",
    "points.redeemed": "Reward redeemed",
    "points.reversed": "Points reversed",
    "points.adjusted": "Points adjusted",
    "badge.awarded": "Badge earned",
    "referral.paid": "Referral reward",
    "referral.clawed_back": "Referral reward reversed",
    "referral.friend_reward": "Welcome reward",
    "occasion.credit": "Anniversary credit"
  };
  /** A history line in words: what was earned (the earn rule's label), which badge, or the kind of credit. */
  function describe(e, me) {
    var base = ENTRY_TEXT[e.entry] || e.entry;
    var named = null;
    if (e.entry === "points.earned") named = (me.waysToEarn.filter(function (w) { return w.kind === e.kind; })[0] || {}).label;
    if (e.entry === "badge.awarded") named = (me.badges.filter(function (b) { return b.id === e.kind; })[0] || {}).name;
    if (e.entry === "points.redeemed") return base;
    named = named || (e.kind ? String(e.kind).replace(/_/g, " ") : null);
    return named ? base + ": " + named : base;
  }

  // What the member has seen: the newest history time shown, per account, in localStorage (no cookies). Storage
  // can be blocked (private modes, third-party frames): then nothing is marked new.
  function seenKey(accountId) { return "tenure-rewards:seen:" + accountId; }
  function readSeen(accountId) {
    try { var v = window.localStorage.getItem(seenKey(accountId)); return v === null ? null : Number(v) || 0; } catch (e) { return null; }
  }
  function writeSeen(accountId, at) {
    try { window.localStorage.setItem(seenKey(accountId), String(at)); } catch (e) { /* storage blocked */ }
  }

  class TenureRewards extends HTMLElement {
    static get observedAttributes() { return ["token", "api"]; }

    constructor() {
      super();
      this._root = this.attachShadow({ mode: "open" });
      adoptStyles(this._root);
      this._status = h("p", { class: "status", role: "status", "aria-live": "polite", part: "status" });
      this._body = h("div", { "aria-busy": "true" }, [h("p", { class: "muted", text: "Loading your rewards…" })]);
      this._root.appendChild(this._body);
      this._root.appendChild(this._status);
      this._generation = 0;
    }

    // An upgrade reports every initial attribute before connectedCallback; only later changes reload.
    connectedCallback() { this._connected = true; this._load(); }
    disconnectedCallback() { this._connected = false; }
    attributeChangedCallback(name, before, after) { if (before !== after && this._connected) this._load(); }

    get _api() { return (this.getAttribute("api") || DEFAULT_API).replace(/\/+$/, ""); }

    _call(path, init) {
      var token = this.getAttribute("token") || "";
      var headers = { authorization: "Bearer " + token };
      if (init && init.body) headers["content-type"] = "application/json";
      return fetch(this._api + path, Object.assign({ mode: "cors", credentials: "omit", cache: "no-store", headers: headers }, init || {})).then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (body) { return { status: res.status, body: body }; });
      });
    }

    _say(text) { this._status.textContent = text; }

    _load() {
      var self = this;
      var gen = ++this._generation;
      if (!this.getAttribute("token")) return this._signedOut();
      this._body.setAttribute("aria-busy", "true");
      return Promise.all([this._call("/member/me"), this._call("/member/history?limit=5")]).then(function (r) {
        if (gen !== self._generation) return;
        var me = r[0], history = r[1];
        if (me.status === 401 || history.status === 401) return self._signedOut();
        if (me.status !== 200) return self._failed(me.body);
        self._render(me.body, history.status === 200 ? history.body : { entries: [], next: null });
      }, function () {
        if (gen === self._generation) self._failed({});
      });
    }

    _signedOut() {
      this._body.replaceChildren(
        h("div", { class: "signed-out", part: "signed-out" }, [
          h("h2", { text: "Sign in to see your rewards" }),
          h("p", { class: "muted", text: "Your session has ended. Sign in again to see your points, badges and referral link." })
        ])
      );
      this._body.setAttribute("aria-busy", "false");
      this._say("");
      this.dispatchEvent(new CustomEvent("tenure-rewards:unauthorized", { bubbles: true, composed: true }));
    }

    _failed(body) {
      var message = body && body.error && body.error.message ? body.error.message : "Your rewards could not be loaded. Try again later.";
      this._body.replaceChildren(h("p", { role: "alert", text: message }));
      this._body.setAttribute("aria-busy", "false");
    }

    _render(me, history) {
      this._me = me;
      var title = h("h2", { id: "tenure-title", text: me.account.name ? "Rewards for " + me.account.name : "Your rewards" });
      var header = h("header", { part: "header" }, [
        title,
        h("p", { class: "balance", part: "balance", "data-balance": me.points.balance, text: points(me.points.balance) }),
        h("p", { class: "muted", text: points(me.points.earned) + " earned · " + points(me.points.redeemed) + " redeemed" })
      ]);
      var grid = h("div", { class: "grid" }, [
        this._redeemPanel(me),
        this._referralPanel(me.referral),
        this._earnPanel(me.waysToEarn),
        this._badgesPanel(me.badges),
        this._historyPanel(history, me)
      ]);
      this._body.replaceChildren(h("div", { role: "region", "aria-labelledby": "tenure-title" }, [header, grid]));
      this._body.setAttribute("aria-busy", "false");
    }

    _panel(id, heading, children) {
      return h("section", { "aria-labelledby": "tenure-" + id, part: "panel " + id, "data-panel": id }, [h("h3", { id: "tenure-" + id, text: heading })].concat(children));
    }

    _earnPanel(ways) {
      var claimable = ways.filter(function (w) { return w.claim; });
      return this._panel("earn", "Ways to earn", [
        h("ul", {}, ways.map(function (w) { return h("li", {}, [h("span", { text: w.label }), h("span", { class: "earned", text: "+" + points(w.points) })]); })),
        claimable.length ? this._claimForm(claimable) : null
      ]);
    }

    /** Reviews and social shares are claimed with their link, and earn once a program manager approves them. */
    _claimForm(claimable) {
      var self = this;
      var kind = h("select", { id: "tenure-claim-kind" }, claimable.map(function (w) { return h("option", { value: w.claim, text: w.label }); }));
      var url = h("input", { id: "tenure-claim-url", type: "url", required: true, placeholder: "https://", inputmode: "url", autocomplete: "url" });
      var submit = h("button", { type: "submit", class: "secondary", text: "Submit for review" });
      var form = h("form", {
        class: "claim", novalidate: true,
        onsubmit: function (ev) {
          ev.preventDefault();
          if (!/^https:\/\/\S+$/.test(url.value.trim())) { self._say("Enter the https link to your review or post."); url.focus(); return; }
          submit.disabled = true;
          self._call("/member/claims", { method: "POST", body: JSON.stringify({ kind: kind.value, url: url.value.trim() }) }).then(function (r) {
            submit.disabled = false;
            if (r.status === 401) return self._signedOut();
            if (r.status === 201) { url.value = ""; self._say("Thanks! Your link was submitted and is waiting for approval."); return; }
            if (r.status === 200) { self._say("You already submitted this link (" + r.body.claim.status + ")."); return; }
            self._say(r.body && r.body.error ? r.body.error.message : "The link could not be submitted. Try again.");
          }, function () { submit.disabled = false; self._say("The link could not be submitted: no connection. Try again."); });
        }
      }, [
        h("label", { for: "tenure-claim-kind", text: "Claim your points" }),
        kind,
        h("label", { for: "tenure-claim-url", class: "sub", text: "Link to your review or post" }),
        url,
        h("div", { class: "row" }, [submit])
      ]);
      return form;
    }

    _badgesPanel(badges) {
      return this._panel("badges", "Badges", [
        h("ul", {}, badges.map(function (b) {
          var state = b.earned ? "Earned" : b.progress ? b.progress.current + " of " + b.progress.target : "Not yet";
          return h("li", { "aria-label": b.name + ": " + state }, [h("span", { text: (b.earned ? "★ " : "☆ ") + b.name }), h("span", { class: "muted", text: state })]);
        }))
      ]);
    }

    _referralPanel(ref) {
      var self = this;
      if (!ref.link) return this._panel("referral", "Refer a friend", [h("p", { class: "muted", text: "Your referral link appears here once your subscription is active." })]);
      var input = h("input", { id: "tenure-ref-link", type: "text", readonly: true, value: ref.link, part: "referral-link" });
      var copy = h("button", {
        type: "button", class: "secondary", text: "Copy link",
        onclick: function () {
          var done = function () { self._say("Referral link copied."); };
          if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(ref.link).then(done, function () { input.select(); self._say("Press Ctrl+C (or Cmd+C) to copy the selected link."); });
          else { input.select(); self._say("Press Ctrl+C (or Cmd+C) to copy the selected link."); }
        }
      });
      var share = navigator.share ? h("button", { type: "button", class: "secondary", text: "Share", onclick: function () { navigator.share({ url: ref.link }).catch(function () {}); } }) : null;
      return this._panel("referral", "Refer a friend", [
        h("label", { for: "tenure-ref-link", text: "Your referral link" }),
        input,
        h("div", { class: "row" }, [copy, share]),
        h("p", { class: "muted", text: ref.clicks + " clicks · " + ref.signups + " sign-ups · " + ref.rewards.paid + " rewarded · " + ref.rewards.pending + " pending" })
      ]);
    }

    _redeemPanel(me) {
      var self = this;
      var confirmBox = h("div", { class: "confirm", hidden: true });
      var items = me.rewards.map(function (r) {
        var button = h("button", {
          type: "button", text: "Redeem", disabled: !r.affordable, "aria-describedby": "tenure-reward-" + r.id,
          onclick: function () { self._confirm(confirmBox, r, button); }
        });
        var short = r.affordable ? "" : " (" + points(r.points - me.points.balance) + " to go)";
        return h("li", {}, [
          h("span", { id: "tenure-reward-" + r.id, text: r.name + " — " + points(r.points) + short }),
          button
        ]);
      });
      return this._panel("redeem", "Redeem points", [
        items.length ? h("ul", {}, items) : h("p", { class: "muted", text: "No rewards are available for your account yet." }),
        confirmBox
      ]);
    }

    _confirm(box, reward, opener) {
      var self = this;
      var requestId = newRequestId();
      var close = function () { box.hidden = true; box.replaceChildren(); opener.focus(); };
      var yes = h("button", {
        type: "button", text: "Confirm",
        onclick: function () {
          yes.disabled = true;
          self._say("Redeeming…");
          self._call("/member/redemptions", { method: "POST", body: JSON.stringify({ rewardId: reward.id, requestId: requestId }) }).then(function (r) {
            if (r.status === 401) return self._signedOut();
            if (r.status === 200 || r.status === 201) {
              self._say("Redeemed " + reward.name + ": " + money(r.body.credit.amount, r.body.credit.currency) + " will be credited to your account. New balance: " + points(r.body.balance) + ".");
              return self._load();
            }
            yes.disabled = false;
            self._say(r.body && r.body.error ? r.body.error.message : "The redemption failed. Try again.");
          }, function () { yes.disabled = false; self._say("The redemption failed: no connection. Try again."); });
        }
      });
      var no = h("button", { type: "button", class: "secondary", text: "Cancel", onclick: close });
      box.replaceChildren(
        h("p", { id: "tenure-confirm-text", text: "Redeem " + points(reward.points) + " for " + reward.name + "?" }),
        h("div", { class: "row", role: "group", "aria-labelledby": "tenure-confirm-text" }, [yes, no])
      );
      box.hidden = false;
      yes.focus();
    }

    _historyPanel(history, me) {
      var self = this;
      var list = h("ol", { part: "history" });
      var more = h("button", { type: "button", class: "secondary", text: "Show more" });
      var next = null;
      var seen = readSeen(me.account.id);
      var fresh = 0;
      var add = function (page) {
        page.entries.forEach(function (e) {
          var value = e.points ? h("span", { class: e.points > 0 ? "earned" : "spent", text: (e.points > 0 ? "+" : "") + points(e.points) })
            : e.amount ? h("span", { class: "muted", text: money(e.amount, e.currency || "usd") }) : h("span", { class: "muted", text: "" });
          var isNew = seen !== null && e.at > seen;
          if (isNew) fresh++;
          var label = [describe(e, me), h("br"), h("span", { class: "muted", text: day(e.at) })];
          if (isNew) label.unshift(h("span", { class: "new", part: "new", text: "New" }), " ");
          list.appendChild(h("li", isNew ? { "data-new": "true" } : {}, [h("span", {}, label), value]));
        });
        next = page.next;
        more.hidden = !next;
      };
      more.addEventListener("click", function () {
        more.disabled = true;
        self._call("/member/history?limit=5&cursor=" + encodeURIComponent(next)).then(function (r) {
          more.disabled = false;
          if (r.status === 401) return self._signedOut();
          if (r.status === 200) { add(r.body); self._say("More history loaded."); }
        }, function () { more.disabled = false; });
      });
      add(history);
      var newest = history.entries.reduce(function (m, e) { return Math.max(m, e.at); }, seen || 0);
      if (newest > (seen || 0) || seen === null) writeSeen(me.account.id, newest);
      var children = [list, h("div", { class: "row" }, [more])];
      if (fresh) children.unshift(h("p", { class: "news", part: "news", text: fresh + (fresh === 1 ? " new entry" : " new entries") + " since your last visit" }));
      if (!history.entries.length) children.unshift(h("p", { class: "muted", text: "Nothing yet: your points and rewards will show here." }));
      return this._panel("history", "History", children);
    }
  }

  window.customElements.define("tenure-rewards", TenureRewards);
})();
`;
