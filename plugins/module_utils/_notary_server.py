# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The notary server over HTTPS, as the docker CLI reaches it: the server of the option server (or
DOCKER_CONTENT_TRUST_SERVER), verified with the CA under <config_dir>/tls/<host:port>/ca.crt, with the credentials
`docker login` stored in <config_dir>/config.json for the repository's registry (the front lets the same users reach
the registry and the notary server)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import ssl
from urllib.parse import urlparse

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError
from ansible_collections.dct.trust_stack.plugins.module_utils._diagnosis import is_certificate_error, refusal
from ansible_collections.dct.trust_stack.plugins.module_utils._registry import basic_credentials, docker_config_auth

# Only the Python standard library at module start: a re-run that finds nothing to do costs a module start-up, and
# urllib.request is imported when used (ansible's module_utils.urls would add ~0.1 s to every module start).


class ServerClient(object):
    """The docker config directory and its trust directory, the notary server and the CA it is verified with, for a
    module whose options are those of the dct.trust_stack.trust fragment."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.config_dir = self.params.get('config_dir') or os.path.join(os.path.expanduser('~'), '.docker')
        self.trust_dir = os.path.join(self.config_dir, 'trust')
        self._server_checked = False

    def timeout(self):
        """Seconds one CLI call or one request may take (option timeout)."""
        return int(self.params.get('timeout') or 120)

    def server_url(self):
        return self.params.get('server')

    def credentials(self, gun):
        """(user, password) that `docker login` stored for gun's registry in config_dir, or None."""
        return docker_config_auth(gun.partition('/')[0], os.path.join(self.config_dir, 'config.json'))

    def ca_file(self):
        """Where the docker CLI looks for the notary server's CA: <config_dir>/tls/<host:port>/ca.crt."""
        return os.path.join(self.config_dir, 'tls', urlparse(self.server_url()).netloc, 'ca.crt')

    def get(self, path, auth_gun=None):
        """GET path from the notary server; see request()."""
        return self.request('GET', path, auth_gun=auth_gun)

    def request(self, method, path, body=None, content_type=None, auth_gun=None):
        """Send a request to the notary server, verified with the CA the docker CLI would use; return the body.
        The credentials are those of the registry of the GUN in path (or of auth_gun, a GUN or a registry
        host). Raise TrustError saying whether the server is untrusted, unhealthy, unreachable or refused, with the
        HTTP status as its status when the server answered."""
        import urllib.error
        import urllib.request
        url = self.server_url()
        parsed = urlparse(url)
        hostport = parsed.netloc if parsed.port else '%s:443' % parsed.hostname
        ca_file = self.ca_file()
        context = ssl.create_default_context(cafile=ca_file if os.path.exists(ca_file) else None)
        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
        request = urllib.request.Request(url.rstrip('/') + path, data=body, method=method)
        if content_type:
            request.add_header('Content-Type', content_type)
        # /v2/<gun>/...: the credentials of the gun's registry, sent as Basic (the front takes them so)
        gun = auth_gun or (path[len('/v2/'):].partition('/_trust/')[0] if path.startswith('/v2/') else '')
        credentials = self.credentials(gun) if gun else None
        if credentials:
            request.add_header('Authorization', 'Basic ' + basic_credentials(credentials))
        try:
            with opener.open(request, timeout=self.timeout()) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            body = exc.read().decode('utf-8', 'replace').strip()
            if exc.code in (401, 403):
                raise TrustError(refusal(credentials, gun, 'the notary server %s answered HTTP %s for %s: %s'
                                         % (url, exc.code, path, body[:300])), status=exc.code)
            if exc.code in (502, 504):
                # the front's own page: it got no answer from notary-server behind it
                raise TrustError('the notary server %s answered HTTP %s for %s: its front could not reach '
                                 'notary-server (down, restarting or overloaded)' % (url, exc.code, path), status=exc.code)
            raise TrustError('the notary server %s answered HTTP %s for %s%s'
                             % (url, exc.code, path, ': ' + body[:500] if body else ''), status=exc.code)
        except (urllib.error.URLError, ssl.SSLError, OSError) as exc:
            # an SSL error other than a certificate one (say, the server closed the connection) is "unreachable"
            text = str(getattr(exc, 'reason', None) or exc)
            if is_certificate_error(text):
                raise TrustError('the notary server %s is not trusted: %s (put its CA at %s)' % (url, text, ca_file))
            raise TrustError('the notary server %s (%s) is unreachable: %s' % (url, hostport, text))

    def metadata(self, gun, role):
        """The signed part of a role's metadata (root, targets, targets/<name>...) on the server, or None
        when the server has none. Read as served, not verified: for reports (expiry) and key IDs."""
        try:
            return json.loads(self.get('/v2/%s/_trust/tuf/%s.json' % (gun, role)))['signed']
        except TrustError as exc:
            if exc.status == 404:
                return None
            raise

    def repositories(self, registry, page=1000):
        """Every GUN with trust data on the server, from its changefeed (whose last change of a GUN is not
        a deletion), read with the credentials of registry (the front lets administrators read it)."""
        alive, change_id = {}, '0'
        while True:
            feed = json.loads(self.get('/v2/_trust/changefeed?change_id=%s&records=%d' % (change_id, page),
                                       auth_gun=registry))
            records = feed.get('records') or []
            for record in records:
                alive[record['GUN']] = record.get('Category') != 'deletion'
            if len(records) < page:
                return sorted(gun for gun, present in alive.items() if present)
            change_id = str(records[-1]['ID'])

    def check_readable(self, gun):
        """Raise the front's refusal when this user may not read gun's trust data; a 404 (none yet) is fine."""
        try:
            self.get('/v2/%s/_trust/tuf/root.json' % gun)
        except TrustError as exc:
            if exc.status != 404:
                raise

    def health_report(self):
        """One line on the notary server's health now, for an error message."""
        try:
            self.get('/_notary_server/health')
        except TrustError as exc:
            return 'now: %s' % exc
        return ("the notary server's health check passes now, but it notices a failed database or signer only after a "
                "while: a 500 or EOF from the server means one of them (or the server) failed, and it answers 400 "
                "(rejected operation) to an update it could not check against its database as well as to an invalid "
                "one; retry, or see the notary-server log")

    def check_server(self):
        """Fail clearly, before anything changes, when the notary server is unreachable, unhealthy or not
        trusted by the CA the docker CLI would use."""
        if not self.server_url() or self._server_checked:
            return
        self.get('/_notary_server/health')
        self._server_checked = True  # once per module run: first contact and the first change may both ask
