#!/usr/bin/python3
"""README.md and docs/ stay true to the tree: every relative link (and its
#anchor) resolves, every top-level config key and every HTTP route the API
answers is documented, the README stays a front door (at most 200 lines),
and the README's example config passes `notibus check`."""
import os
import re
import subprocess
import sys
import tempfile
import unittest

ROOT = os.environ.get("NOTIBUS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("NOTIBUS_BIN")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def pages():
    out = ["README.md"]
    out += sorted("docs/" + p for p in os.listdir(os.path.join(ROOT, "docs")) if p.endswith(".md"))
    return out


def anchors(text):
    """GitHub's heading ids: lower case, punctuation dropped, spaces to '-'."""
    ids = set()
    for line in text.splitlines():
        m = re.match(r"#+ (.*)", line)
        if m:
            slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
            ids.add(slug)
    return ids


class DocsTest(unittest.TestCase):
    def test_every_relative_link_resolves(self):
        broken = []
        for page in pages():
            # A link written in a code span ("`[t](u)`") is an example, not a link.
            for target in LINK.findall(re.sub(r"`[^`\n]*`", "", read(page))):
                if re.match(r"[a-z]+:", target):
                    continue  # http(s), mailto: outside the tree
                path, _, anchor = target.partition("#")
                resolved = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
                if not os.path.exists(os.path.join(ROOT, resolved)):
                    broken.append(f"{page}: {target} (no {resolved})")
                elif anchor and resolved.endswith(".md") and anchor not in anchors(read(resolved)):
                    broken.append(f"{page}: {target} (no heading #{anchor} in {resolved})")
        self.assertEqual(broken, [])

    def test_every_top_level_key_is_documented(self):
        loader = read("core/src/config/loader.cpp")
        keys = re.findall(r'"([a-z_]+)"', re.search(r"core_keys\(\) \{(.*?)\}", loader, re.S).group(1))
        keys += ["server", "ingest"]  # declared by the program (core/server/)
        self.assertIn("channels", keys)
        configuration = read("docs/configuration.md")
        self.assertEqual([k for k in keys if f"`{k}" not in configuration], [])

    def test_every_http_route_is_documented(self):
        api = read("core/server/api.cpp")
        routes = sorted({r.rstrip("/") or "/" for r in re.findall(r'"(/[a-z0-9/_.-]*)"', api)})
        self.assertIn("/v1/messages", routes)
        docs = "".join(read(p) for p in pages())
        self.assertEqual([r for r in routes if r not in docs], [])

    def test_the_readme_is_a_front_door(self):
        self.assertLessEqual(len(read("README.md").splitlines()), 200)

    @unittest.skipUnless(BIN, "needs NOTIBUS_BIN")
    def test_the_readmes_config_passes_check(self):
        yaml = re.search(r"```yaml\n(.*?)```", read("README.md"), re.S).group(1)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "readme.yaml")
            with open(path, "w") as f:
                f.write(yaml.replace("/var/lib/notibus", os.path.join(tmp, "spool")))
            env = dict(os.environ, SLACK_TOKEN_A="T0", SLACK_TOKEN_B="B0", SLACK_TOKEN_C="x",
                       HOOK_SECRET="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", NOTIBUS_TOKEN="t",
                       SMTP_PASSWORD="p")
            p = subprocess.run([BIN, "check", "-c", path], capture_output=True, text=True, env=env)
            self.assertEqual(p.returncode, 0, p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
