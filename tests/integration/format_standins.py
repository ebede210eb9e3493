"""Stand-ins for the services that take formatted text, each enforcing the
service's documented rules with Python's own parsers, and refusing what breaks
them the way the service would (so a delivery fails and the test sees it).

  Telegram  core.telegram.org/bots/api#formatting-options (HTML style): only
            b strong i em u ins s strike del a code pre blockquote tg-spoiler
            span.tg-spoiler; tags closed in order; &lt; &gt; &amp; &quot; and
            numeric entities only; 1-4096 characters after entity parsing
            (UTF-16 units, as the API counts offsets)
  Slack     api.slack.com/reference/surfaces/formatting#escaping: & < > only
            as &amp; &lt; &gt;, or < > around a link, or > starting a line
            (#quotes); 40,000 characters
  Discord   2,000 characters of content, 4,096 of an embed description
  Matrix    spec.matrix.org m.room.message: formatted_body in
            org.matrix.custom.html, tags and link schemes from the spec's list
  Pushover  pushover.net/api#html: b i u font a, 1,024 characters
  ntfy, Gotify, Mattermost: the body, markdown flag and limits as documented
"""
import html.parser
import http.server
import json
import threading
import urllib.parse

TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                 "blockquote", "tg-spoiler", "span"}
MATRIX_TAGS = {"font", "del", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "p", "a", "ul", "ol",
               "sup", "sub", "li", "b", "i", "u", "strong", "em", "strike", "code", "hr", "br", "div",
               "table", "thead", "tbody", "tr", "th", "td", "caption", "pre", "span", "img",
               "details", "summary"}
PUSHOVER_TAGS = {"b", "i", "u", "font", "a"}
VOID = {"br", "hr", "img"}
SAFE_SCHEMES = ("http://", "https://", "mailto:", "ftp://", "magnet:")


def utf16_units(text):
    return len(text.encode("utf-16-le")) // 2


class StrictHtml(html.parser.HTMLParser):
    """Collects violations of an allow-list of tags, of nesting and of entities."""

    def __init__(self, tags, entities=None, attributes=None):
        super().__init__(convert_charrefs=False)
        self.tags, self.entities = tags, entities
        self.attributes = attributes or {}
        self.stack, self.problems, self.shown = [], [], ""

    def handle_starttag(self, tag, attrs):
        if tag not in self.tags:
            self.problems.append(f"tag <{tag}> not allowed")
        for name, value in attrs:
            if name not in self.attributes.get(tag, ()):
                self.problems.append(f"attribute {name} on <{tag}>")
            elif name == "href" and not (value or "").lower().startswith(SAFE_SCHEMES):
                self.problems.append(f"link to {value!r}")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        if "<" in data or ">" in data or "&" in data:
            self.problems.append(f"unescaped markup character in {data[:40]!r}")
        self.shown += data

    def handle_entityref(self, name):
        if self.entities is not None and name not in self.entities:
            self.problems.append(f"entity &{name}; not allowed")
        self.shown += "x"

    def handle_charref(self, name):
        self.shown += "x"

    def check(self, text):
        self.feed(text)
        self.close()
        if self.stack:
            self.problems.append(f"<{self.stack[-1]}> not closed")
        return self.problems


def telegram_problems(text):
    parser = StrictHtml(TELEGRAM_TAGS, {"lt", "gt", "amp", "quot"},
                        {"a": ("href",), "code": ("class",), "span": ("class",), "pre": ()})
    problems = parser.check(text)
    if not 1 <= utf16_units(parser.shown) <= 4096:
        problems.append(f"message is too long ({utf16_units(parser.shown)} units)")
    return problems


def slack_problems(text):
    problems = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "&":
            if not any(text.startswith(e, i) for e in ("&amp;", "&lt;", "&gt;")):
                problems.append(f"bare & at {i}")
        elif c == "<":
            end = text.find(">", i)
            target = text[i + 1:end].split("|", 1)[0] if end > 0 else ""
            if end < 0 or not target.startswith(SAFE_SCHEMES):
                problems.append(f"< that is no link at {i}")
            i = max(i, end)
        elif c == ">" and i > 0 and text[i - 1] != "\n":  # at a line's start: a quote
            problems.append(f"bare > at {i}")
        i += 1
    if len(text) > 40000:
        problems.append("over 40,000 characters")
    return problems


class StandIn(http.server.BaseHTTPRequestHandler):
    """One server for every service: the path says which one is asked."""

    received = []  # (service, payload as parsed)
    flaky_calls = 0
    lock = threading.Lock()

    def answer(self, status, payload):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        self.do_POST()

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        path = self.path
        if path.endswith("/sendMessage"):
            body = json.loads(raw)
            return self.judge("telegram", body, telegram_problems(body["text"]) if body.get(
                "parse_mode") == "HTML" else [], {"ok": True, "result": {"message_id": 1}},
                              lambda p: {"ok": False, "error_code": 400,
                                         "description": "Bad Request: can't parse entities: " + p})
        if path.startswith("/slack"):
            body = json.loads(raw)
            return self.judge("slack", body, slack_problems(body["text"]), b"ok",
                              lambda p: b"invalid_payload")
        if path.startswith("/discord"):
            body = json.loads(raw)
            if path.startswith("/discord/4/"):  # flaky: the second request fails once
                with StandIn.lock:
                    StandIn.flaky_calls += 1
                    fail = StandIn.flaky_calls == 2
                    StandIn.received.append(("flaky", body, ["failed once"] if fail else []))
                return self.answer(500, {"message": "try later"}) if fail else self.answer(204, b"")
            content = body.get("content", "")
            problems = ["content over 2,000 characters"] if len(content) > 2000 else []
            for e in body.get("embeds", []):
                if len(e.get("description", "")) > 4096:
                    problems.append("embed description over 4,096")
            return self.judge("discord", body, problems, b"", lambda p: {"message": p, "code": 50035},
                              ok_status=204)
        if "/_matrix/" in path:
            body = json.loads(raw)
            problems = []
            if "formatted_body" in body:
                if body.get("format") != "org.matrix.custom.html":
                    problems.append("formatted_body without its format")
                problems += StrictHtml(MATRIX_TAGS, None, {"a": ("href",), "code": ("class",),
                                                           "ol": ("start",)}).check(body["formatted_body"])
            return self.judge("matrix", body, problems, {"event_id": "$1"},
                              lambda p: {"errcode": "M_BAD_JSON", "error": p})
        if path.startswith("/1/messages.json"):
            body = dict(urllib.parse.parse_qsl(raw.decode()))
            problems = []
            if body.get("html") == "1":
                problems = StrictHtml(PUSHOVER_TAGS, None, {"a": ("href",), "font": ("color",)}).check(
                    body["message"])
            if len(body.get("message", "")) > 1024:
                problems.append("message over 1,024 characters")
            return self.judge("pushover", body, problems, {"status": 1, "request": "r"},
                              lambda p: {"status": 0, "errors": [p]})
        if path.startswith("/message"):
            body = json.loads(raw)
            return self.judge("gotify", body, [], {"id": 1}, None)
        if path.startswith("/hooks/"):
            body = json.loads(raw)
            problems = ["over 16,383"] if len(body.get("text", "")) > 16383 else []
            return self.judge("mattermost", body, problems, b"ok", lambda p: {"message": p})
        body = json.loads(raw)  # ntfy publishes JSON to its root
        problems = ["over 4,096 bytes"] if len(body.get("message", "").encode()) > 4096 else []
        return self.judge("ntfy", body, problems, {"id": "x", "event": "message"},
                          lambda p: {"code": 40001, "error": p})

    def judge(self, service, body, problems, ok, refusal, ok_status=200):
        with StandIn.lock:
            StandIn.received.append((service, body, problems))
        if problems:
            return self.answer(400, refusal("; ".join(problems)))
        return self.answer(ok_status, ok)

    def log_message(self, *args):
        pass
