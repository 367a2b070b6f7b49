#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cloud/os-provision.py: helper of openstack-up.sh (run with /usr/bin/python3).
#
#   os-provision.py secrets STATEDIR
#       create STATEDIR/secrets.json (random passwords) unless it exists.
#   os-provision.py provision STATEDIR KEYSTONE_URL GLANCE_URL [CAFILE]
#       idempotently create, through Keystone's v3 API as the bootstrap admin:
#       projects service/ferry/ferry-other, users glance (admin in service)
#       and ferry (member in ferry and ferry-other), an application credential
#       of ferry on project ferry, the image service and its public/internal/
#       admin endpoints in RegionOne; point the identity and image endpoints
#       at KEYSTONE_URL/GLANCE_URL (they move when the ports change).
#       Then write STATEDIR/env and STATEDIR/clouds.yaml.
#
# Only the standard library is used (urllib), one HTTP call per step: the
# openstack CLI takes several seconds per call here.
import json
import os
import secrets
import ssl
import sys
import urllib.error
import urllib.request

REGION = "RegionOne"
APPCRED_NAME = "ferry-test"


def load_secrets(statedir):
    with open(os.path.join(statedir, "secrets.json")) as f:
        return json.load(f)


def save_secrets(statedir, s):
    path = os.path.join(statedir, "secrets.json")
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(s, f, indent=1)
    os.rename(tmp, path)


def cmd_secrets(statedir):
    if os.path.exists(os.path.join(statedir, "secrets.json")):
        return
    save_secrets(statedir, {
        "admin_password": secrets.token_hex(12),
        "glance_password": secrets.token_hex(12),
        "ferry_password": secrets.token_hex(12),
    })


class Keystone:
    def __init__(self, url, cafile):
        self.url = url.rstrip("/") + "/v3"
        self.ctx = ssl.create_default_context(cafile=cafile) if cafile else None
        self.token = None

    def call(self, method, path, body=None, token=None, ok=(200, 201, 204)):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        tok = token or self.token
        if tok:
            req.add_header("X-Auth-Token", tok)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=60) as r:
                status, hdrs, raw = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, raw = e.code, e.headers, e.read()
        if status not in ok:
            raise RuntimeError("%s %s -> HTTP %d: %s" % (
                method, path, status, raw[:500].decode("utf-8", "replace")))
        return status, hdrs, (json.loads(raw) if raw else None)

    def password_token(self, user, password, project):
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"id": "default"},
                "password": password}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
        _, hdrs, data = self.call("POST", "/auth/tokens", body, token="-")
        return hdrs["X-Subject-Token"], data["token"]

    def appcred_ok(self, cred_id, secret):
        body = {"auth": {"identity": {
            "methods": ["application_credential"],
            "application_credential": {"id": cred_id, "secret": secret}}}}
        st, _, _ = self.call("POST", "/auth/tokens", body, token="-",
                             ok=(201, 401, 404))
        return st == 201

    def find(self, coll, key, **query):
        qs = "&".join("%s=%s" % kv for kv in query.items())
        _, _, data = self.call("GET", "/%s?%s" % (coll, qs))
        return data[key]

    def ensure(self, coll, key, body, **query):
        """Create (POST) unless it exists (409): one call on a cold start."""
        st, _, data = self.call("POST", "/" + coll, {key: body},
                                ok=(201, 409))
        if st == 201:
            return data[key]
        return self.find(coll, coll, **query)[0]


def cmd_provision(statedir, ks_url, glance_url, cafile=None):
    s = load_secrets(statedir)
    done = os.path.join(statedir, "provisioned.json")
    mark = {"keystone": ks_url, "glance": glance_url,
            "appcred_id": s.get("appcred_id")}
    try:
        with open(done) as f:
            if json.load(f) == mark:
                # Warm start with the same URLs: nothing to change.
                write_env(statedir, s, ks_url, glance_url, cafile)
                write_clouds(statedir, s, ks_url, cafile)
                return
    except (OSError, ValueError):
        pass
    ks = Keystone(ks_url, cafile)
    ks.token, _ = ks.password_token("admin", s["admin_password"], "admin")

    projects = {}
    for name in ("service", "ferry", "ferry-other"):
        projects[name] = ks.ensure("projects", "project", {
            "name": name, "domain_id": "default",
            "description": "ferry test project"}, name=name)["id"]
    users = {}
    for name, pw, proj in (("glance", s["glance_password"], "service"),
                           ("ferry", s["ferry_password"], "ferry")):
        users[name] = ks.ensure("users", "user", {
            "name": name, "domain_id": "default", "password": pw,
            "default_project_id": projects[proj]}, name=name)["id"]
    roles = {}
    for name in ("admin", "member", "reader", "service"):
        roles[name] = ks.ensure("roles", "role", {"name": name}, name=name)["id"]
    for proj, user, role in (("service", "glance", "admin"),
                             ("service", "glance", "service"),
                             ("ferry", "ferry", "member"),
                             ("ferry-other", "ferry", "member")):
        ks.call("PUT", "/projects/%s/users/%s/roles/%s" % (
            projects[proj], users[user], roles[role]))

    # Catalog: identity (made by keystone-manage bootstrap) and image.
    services = {}
    for stype, name in (("identity", "keystone"), ("image", "glance")):
        # (service names are not unique: look first, POST would duplicate)
        got = ks.find("services", "services", type=stype)
        if not got:
            got = [ks.call("POST", "/services", {"service": {
                "type": stype, "name": name, "enabled": True}})[2]["service"]]
        services[stype] = got[0]["id"]
    want = {"identity": ks_url.rstrip("/") + "/v3/",
            "image": glance_url.rstrip("/")}
    for stype, url in want.items():
        have = ks.find("endpoints", "endpoints", service_id=services[stype])
        for iface in ("public", "internal", "admin"):
            eps = [e for e in have if e["interface"] == iface]
            if not eps:
                ks.call("POST", "/endpoints", {"endpoint": {
                    "service_id": services[stype], "interface": iface,
                    "region_id": REGION, "url": url, "enabled": True}})
                continue
            for e in eps:
                if e["url"] != url or e.get("region_id") != REGION:
                    ks.call("PATCH", "/endpoints/" + e["id"], {"endpoint": {
                        "url": url, "region_id": REGION}})

    # Application credential, owned by ferry, scoped to project ferry.
    utok, _ = ks.password_token("ferry", s["ferry_password"], "ferry")
    uid = users["ferry"]
    cid, csecret = s.get("appcred_id"), s.get("appcred_secret")
    if not (cid and csecret and ks.appcred_ok(cid, csecret)):
        _, _, data = ks.call("GET", "/users/%s/application_credentials?name=%s"
                             % (uid, APPCRED_NAME), token=utok)
        for c in data["application_credentials"]:
            ks.call("DELETE", "/users/%s/application_credentials/%s"
                    % (uid, c["id"]), token=utok)
        _, _, data = ks.call("POST", "/users/%s/application_credentials" % uid, {
            "application_credential": {
                "name": APPCRED_NAME,
                "description": "ferry test suite"}}, token=utok)
        s["appcred_id"] = data["application_credential"]["id"]
        s["appcred_secret"] = data["application_credential"]["secret"]
        save_secrets(statedir, s)

    write_env(statedir, s, ks_url, glance_url, cafile)
    write_clouds(statedir, s, ks_url, cafile)
    mark["appcred_id"] = s["appcred_id"]
    with open(done, "w") as f:
        json.dump(mark, f)


def write_env(statedir, s, ks_url, glance_url, cafile):
    def pid(name):
        try:
            with open(os.path.join(statedir, "run", name + ".pid")) as f:
                return f.read().strip()
        except OSError:
            return ""
    v = [
        ("OS_AUTH_URL", ks_url.rstrip("/") + "/v3"),
        ("OS_IDENTITY_API_VERSION", "3"),
        ("OS_IMAGE_API_VERSION", "2"),
        ("OS_USERNAME", "ferry"),
        ("OS_PASSWORD", s["ferry_password"]),
        ("OS_PROJECT_NAME", "ferry"),
        ("OS_USER_DOMAIN_NAME", "Default"),
        ("OS_PROJECT_DOMAIN_NAME", "Default"),
        ("OS_REGION_NAME", REGION),
        ("OS_INTERFACE", "public"),
        ("FERRY_APPCRED_ID", s["appcred_id"]),
        ("FERRY_APPCRED_SECRET", s["appcred_secret"]),
        ("FERRY_OTHER_PROJECT_NAME", "ferry-other"),
        ("FERRY_ADMIN_PASSWORD", s["admin_password"]),
        ("KEYSTONE_URL", ks_url.rstrip("/")),
        ("GLANCE_URL", glance_url.rstrip("/")),
        ("KEYSTONE_PID", pid("keystone")),
        ("GLANCE_PID", pid("glance")),
        ("OS_CLIENT_CONFIG_FILE", os.path.join(statedir, "clouds.yaml")),
    ]
    if cafile:
        v.append(("OS_CACERT", cafile))
    lines = ["# written by tests/cloud/openstack-up.sh; source it"]
    lines += ["export %s='%s'" % kv for kv in v]
    if not cafile:
        lines.append("unset OS_CACERT")
    tmp = os.path.join(statedir, "env.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.rename(tmp, os.path.join(statedir, "env"))


def write_clouds(statedir, s, ks_url, cafile):
    q = json.dumps   # a JSON string is a valid YAML double-quoted scalar
    auth_url = ks_url.rstrip("/") + "/v3"
    common = ["    region_name: " + q(REGION),
              "    interface: public",
              "    identity_api_version: 3",
              "    image_api_version: 2"]
    if cafile:
        common.append("    cacert: " + q(cafile))
    out = ["# written by tests/cloud/openstack-up.sh", "clouds:"]
    for cloud, user, pw, proj in (
            ("ferrytest", "ferry", s["ferry_password"], "ferry"),
            ("ferrytest-admin", "admin", s["admin_password"], "admin")):
        out += ["  %s:" % cloud,
                "    auth_type: password",
                "    auth:",
                "      auth_url: " + q(auth_url),
                "      username: " + q(user),
                "      password: " + q(pw),
                "      project_name: " + q(proj),
                "      user_domain_name: Default",
                "      project_domain_name: Default"] + common
    out += ["  ferrytest-appcred:",
            "    auth_type: v3applicationcredential",
            "    auth:",
            "      auth_url: " + q(auth_url),
            "      application_credential_id: " + q(s["appcred_id"]),
            "      application_credential_secret: " + q(s["appcred_secret"])
            ] + common
    tmp = os.path.join(statedir, "clouds.yaml.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(out) + "\n")
    os.rename(tmp, os.path.join(statedir, "clouds.yaml"))


def main(argv):
    if len(argv) >= 3 and argv[1] == "secrets":
        cmd_secrets(argv[2])
    elif len(argv) in (5, 6) and argv[1] == "provision":
        cmd_provision(*argv[2:])
    else:
        sys.exit("usage: os-provision.py secrets STATEDIR | "
                 "provision STATEDIR KEYSTONE_URL GLANCE_URL [CAFILE]")


if __name__ == "__main__":
    try:
        main(sys.argv)
    except (RuntimeError, OSError, KeyError, ValueError) as e:
        sys.exit("os-provision.py: %s" % e)
