"""Plays the person for `gatehouse token --grant authorization-code --no-browser` against the
Canaille the tests start: runs the command given after `--`, reads the sign-in address it prints
on standard error, signs in at Canaille's own pages (user name, password, and consent unless given
before) as USER with PASSWORD, and follows the redirect back to the command's loopback listener. The command's
standard output passes through; its exit status is this script's. For the docs' walk-through
and by hand; the Swift tests drive the same pages themselves (CanailleCLITests).

Usage: sign-in.py USER PASSWORD -- gatehouse token ... --grant authorization-code --no-browser
"""
import http.cookiejar
import re
import subprocess
import sys
import urllib.parse
import urllib.request


def main():
    user, password, separator, *command = sys.argv[1:]
    assert separator == "--", __doc__
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    url = None
    for line in process.stderr:
        found = re.search(r"Sign in at (\S+)", line)
        if found:
            url = found.group(1)
            break
        sys.stderr.write(line)
    if url is None:
        return process.wait()
    issuer = urllib.parse.urlsplit(url)._replace(path="", query="").geturl()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def visit(address, form=None):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        with browser.open(address, data=data, timeout=10) as page:
            return page.read().decode()

    visit(url)  # to the sign-in page
    visit(issuer + "/login", {"login": user})
    # Signed in, the browser is sent back to the authorization page: its consent form, or straight
    # to the loopback listener when the person consented before.
    landed = visit(issuer + "/auth/password", {"password": password})
    if "go back to the terminal" not in landed:
        landed = visit(url, {"answer": "accept"})
    if "go back to the terminal" not in landed:
        sys.stderr.write("sign-in.py: the sign-in did not reach the loopback listener\n")
    rest = process.stderr.read()
    sys.stderr.write(rest.replace("waiting for the browser to come back...\n", ""))
    return process.wait()


if __name__ == "__main__":
    sys.exit(main())
