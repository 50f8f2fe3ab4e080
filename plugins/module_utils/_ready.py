# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wait until a service answers an HTTPS request with the wanted status, TLS verified against a CA (stack_container's
ready option)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import http.client
import ssl
import time
from urllib.parse import urlsplit

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError
from ansible_collections.dct.trust_stack.plugins.module_utils._options import alias

# the option (documented in the stack_container module)
READY_ARGS = dict(
    url=dict(type='str'),
    url_after_start=dict(type='str'),
    ca_cert=alias(dict(type='path', required=True), 'ca_path'),
    username=dict(type='str'),
    password=dict(type='str', no_log=True),
    status=dict(type='int', default=200),
    timeout=dict(type='int', default=60),
)


def ask(url, context, headers, timeout):
    """The status url answers, or the reason it gave none."""
    parts = urlsplit(url)
    connection = http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=timeout, context=context)
    try:
        connection.request('GET', parts.path + ('?' + parts.query if parts.query else ''), headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException) as exc:
        return str(exc) or exc.__class__.__name__
    finally:
        connection.close()


def wait_ready(ready, started, **done):
    """Ask ready['url_after_start'] (when the container was just started; else ready['url']) every second until it
    answers ready['status'], for ready['timeout'] seconds; the URL asked, or None when there is none to ask.
    TrustError naming the URL and the last answer, carrying done, when it never does."""
    url = (ready['url_after_start'] or ready['url']) if started else ready['url']
    if not url:
        return None
    if urlsplit(url).scheme != 'https':
        raise TrustError('ready: %s is not an https:// URL (the check verifies TLS against ca_cert)' % url, **done)
    try:
        context = ssl.create_default_context(cafile=ready['ca_cert'])
    except (OSError, ssl.SSLError) as exc:
        raise TrustError('ready: cannot use %s as the CA: %s' % (ready['ca_cert'], exc), **done)
    headers = {}
    if ready['username'] is not None:
        token = base64.b64encode(('%s:%s' % (ready['username'], ready['password'] or '')).encode('utf-8'))
        headers['Authorization'] = 'Basic ' + token.decode('ascii')
    deadline = time.monotonic() + ready['timeout']
    while True:
        answer = ask(url, context, headers, timeout=10)
        if answer == ready['status']:
            return url
        if time.monotonic() >= deadline:
            raise TrustError('%s did not answer %d within %d s (last answer: %s)'
                             % (url, ready['status'], ready['timeout'], answer), **done)
        time.sleep(1)
