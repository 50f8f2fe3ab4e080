# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every dct.trust_stack module shares: the error a module fails with, the module frame, and running a few
calls at once (the shared options are in _options.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class TrustError(Exception):
    """A failure with a message meant for the user; result holds what was done before it (for example
    changed=True and the tags already signed), reported with the failure; status is the HTTP status of a server's
    answer, where the failure is one (code decides on it, never on the message)."""

    def __init__(self, message, status=None, **result):
        super(TrustError, self).__init__(message)
        self.status = status
        self.result = result


def publish_retries(params):
    """The publish_retries option, refused when negative."""
    if params['publish_retries'] < 0:
        raise TrustError('publish_retries must be 0 or more, not %d' % params['publish_retries'])
    return params['publish_retries']


def run_module(module, action):
    """Run action(module) and exit with its result, or fail with the TrustError it raised."""
    try:
        result = action(module)
    except TrustError as exc:
        module.fail_json(msg=str(exc), **exc.result)
    module.exit_json(**result)


def at_once(function, items, workers):
    """[function(item) for item in items], up to workers calls at a time, in items' order; the first exception
    raised is raised."""
    from concurrent.futures import ThreadPoolExecutor
    items = list(items)
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items)))) as pool:
        return list(pool.map(function, items))
